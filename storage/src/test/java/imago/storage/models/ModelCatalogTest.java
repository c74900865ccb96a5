package imago.storage.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The registry's SQL, on embedded H2 and on PostgreSQL. */
class ModelCatalogTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  /** A catalog on an empty database. */
  private static ModelCatalog catalog(Backend backend) throws Exception {
    return new SqlModelCatalog(DATABASES.fresh(backend).dataSource());
  }

  private static NewModelVersion version(String name, String version, String tenant) {
    return new NewModelVersion(name, version, tenant, "onnx", "classification", "models/" + name + "/" + version + "/model.onnx",
        "ab".repeat(32), 1234, "2.25.1", "{\"name\":\"" + name + "\"}", "alice@" + tenant);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void versionsAreImmutableAndNamesBelongToOneTenant(Backend backend) throws Exception {
    ModelCatalog catalog = catalog(backend);
    ModelVersion v = catalog.register(version("chest-a", "1.0.0", "asst-a"));
    assertEquals(ModelState.REGISTERED, v.state());
    ModelCatalog.Conflict again = assertThrows(ModelCatalog.Conflict.class, () -> catalog.register(version("chest-a", "1.0.0", "asst-a")));
    assertTrue(again.getMessage().contains("already registered"), again.getMessage());
    ModelCatalog.Conflict other = assertThrows(ModelCatalog.Conflict.class, () -> catalog.register(version("chest-a", "2.0.0", "asst-b")));
    assertTrue(other.getMessage().contains("belongs to tenant asst-a"), other.getMessage());
    catalog.register(version("chest-a", "1.1.0", "asst-a"));
    assertEquals(2, catalog.list("chest-a", null, null).size());
    assertEquals("asst-a", catalog.owner("chest-a").orElseThrow());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aNewPrimaryRetiresTheOldOneAndShadowsStayBeside(Backend backend) throws Exception {
    ModelCatalog catalog = catalog(backend);
    for (String ver : List.of("1.0.0", "1.1.0", "2.0.0")) {
      catalog.register(version("chest-b", ver, "asst-a"));
      catalog.transition("chest-b", ver, Set.of(ModelState.REGISTERED), ModelState.VALIDATED, "validator", null, "{}").orElseThrow();
    }
    catalog.activate("chest-b", "1.0.0", Set.of(ModelState.VALIDATED), ModelVersion.PRIMARY, "admin").orElseThrow();
    catalog.activate("chest-b", "1.1.0", Set.of(ModelState.VALIDATED), ModelVersion.SHADOW, "admin").orElseThrow();
    ModelVersion two = catalog.activate("chest-b", "2.0.0", Set.of(ModelState.VALIDATED), ModelVersion.PRIMARY, "admin").orElseThrow();
    assertEquals(ModelState.ACTIVE, two.state());
    assertEquals(ModelState.RETIRED, catalog.find("chest-b", "1.0.0").orElseThrow().state());
    assertEquals(ModelVersion.SHADOW, catalog.find("chest-b", "1.1.0").orElseThrow().mode());
    List<ModelEvent> history = catalog.history("chest-b", "1.0.0");
    assertEquals(List.of(ModelState.REGISTERED, ModelState.VALIDATED, ModelState.ACTIVE, ModelState.RETIRED),
        history.stream().map(ModelEvent::to).toList());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void stateChangesAreCompareAndSet(Backend backend) throws Exception {
    ModelCatalog catalog = catalog(backend);
    catalog.register(version("chest-c", "1.0.0", "asst-a"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Boolean>> racers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        racers.add(() -> catalog.transition("chest-c", "1.0.0", Set.of(ModelState.REGISTERED), ModelState.FAILED,
            "validator", "boom", null).isPresent());
      }
      int winners = 0;
      for (Future<Boolean> f : pool.invokeAll(racers)) winners += f.get() ? 1 : 0;
      assertEquals(1, winners);
    } finally {
      pool.shutdown();
    }
    ModelVersion failed = catalog.find("chest-c", "1.0.0").orElseThrow();
    assertEquals("boom", failed.reason());
    assertTrue(catalog.activate("chest-c", "1.0.0", Set.of(ModelState.VALIDATED), ModelVersion.PRIMARY, "admin").isEmpty());
  }
}
