package imago.storage.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.io.Spool;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.storage.StorageConfig;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.Source;
import imago.storage.index.SqlIndex;
import imago.storage.index.StoredInstance;
import imago.storage.object.EmbeddedS3Fixture;
import imago.storage.object.S3ObjectStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The start-up sweep removes what a crash between S3 put and index commit left, and nothing else. */
class OrphanSweepTest {
  private static final String ORPHAN = "demo/1.2.826.0.1.1/1.2.826.0.1.1.2/1.2.826.0.1.1.2.3.0123456789abcdef.dcm";

  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
  @TempDir static Path tmp;
  static Database db;
  static Index index;

  S3ObjectStore store;

  @BeforeAll
  static void openIndex() {
    db = Database.open(new StorageConfig.Db("", "", "", 4), tmp.resolve("data"));
    index = new SqlIndex(db.dataSource());
  }

  @AfterAll
  static void closeIndex() {
    db.close();
  }

  @BeforeEach
  void freshBucket() throws Exception {
    store = S3.newStore();
  }

  @Test
  void removesAnInstanceObjectThatNoRowPointsAt() throws Exception {
    put(ORPHAN);

    OrphanSweep.Result result = new OrphanSweep(store, index).run(Duration.ZERO);

    assertEquals(List.of(ORPHAN), result.removed());
    assertEquals(1, result.examined());
    assertTrue(store.stat(ORPHAN).isEmpty());
  }

  @Test
  void keepsIndexedInstancesAndObjectsThatAreNotInstances() throws Exception {
    StoredInstance indexed = ingestOne(201);
    List<String> notInstances = List.of(
        "models/chexnet/1/manifest.json",        // not .dcm
        "demo/readme.dcm",                       // too shallow for tenant/study/series/sop
        "demo/1.2/1.2.3/notes.txt",              // instance depth, but not .dcm
        "models/seg/2/fixtures/sample.dcm");     // too deep
    for (String key : notInstances) put(key);
    put(ORPHAN);

    OrphanSweep.Result result = new OrphanSweep(store, index).run(Duration.ZERO);

    assertEquals(List.of(ORPHAN), result.removed());
    assertEquals(notInstances.size() + 2, result.examined());
    assertTrue(store.stat(indexed.objectKey()).isPresent(), "indexed instance kept");
    for (String key : notInstances) assertTrue(store.stat(key).isPresent(), key + " kept");
  }

  @Test
  void leavesOrphansYoungerThanTheGracePeriod() throws Exception {
    put(ORPHAN);

    assertEquals(List.of(), new OrphanSweep(store, index).run(Duration.ofHours(1)).removed(),
        "another node may be between its S3 put and its index commit");
    assertTrue(store.stat(ORPHAN).isPresent());

    assertEquals(List.of(ORPHAN), new OrphanSweep(store, index).run(Duration.ZERO).removed());
  }

  @Test
  void gracePeriodSeparatesOldOrphansFromYoungOnes() throws Exception {
    put(ORPHAN);
    Thread.sleep(3_000);
    String young = ORPHAN.replace("0123456789abcdef", "fedcba9876543210");
    put(young);

    // S3 reports whole seconds: 2 s of grace keeps the young one and takes the 3-s-old one.
    OrphanSweep.Result result = new OrphanSweep(store, index).run(Duration.ofSeconds(2));

    assertEquals(List.of(ORPHAN), result.removed());
    assertTrue(store.stat(young).isPresent());
  }

  @Test
  void instanceKeysAreTenantStudySeriesSopDotDcm() {
    assertTrue(OrphanSweep.isInstanceKey(ORPHAN));
    assertTrue(OrphanSweep.isInstanceKey(ORPHAN + "-4221b8c6-7775-44db-a78d-05a8f99b59a3"), "a half-written upload");
    assertFalse(OrphanSweep.isInstanceKey("demo/1.2/1.2.3/1.2.3.4.json"));
    assertFalse(OrphanSweep.isInstanceKey("demo/1.2/1.2.3.dcm"));
    assertFalse(OrphanSweep.isInstanceKey("a/demo/1.2/1.2.3/1.2.3.4.dcm"));
  }

  private void put(String key) throws Exception {
    byte[] bytes = key.getBytes(StandardCharsets.US_ASCII);
    store.put(key, new ByteArrayInputStream(bytes), bytes.length, "application/octet-stream", Map.of());
  }

  private StoredInstance ingestOne(long seed) throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 1, 32, 32, seed, "SWEEP");
    Path file = Files.write(tmp.resolve("sweep-" + seed + ".dcm"), SyntheticCt.instance(spec, 1, 1, 1));
    Ingest ingest = new Ingest(store, index, DuplicatePolicy.REJECT, IngestListener.NONE);
    try (Spool spool = Spool.ofFile(file)) {
      IngestOutcome outcome = ingest.store(IngestRequest.part10(new Tenant("demo", "Demo", List.of()), Source.IMPORT,
          "test", spool, IngestRequest.Expectations.NONE));
      assertTrue(outcome.ok(), outcome.reason());
      return outcome.instance();
    }
  }
}
