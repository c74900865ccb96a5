package imago.models.api;

import imago.core.tenant.Caller;
import imago.inference.engine.ArtifactCache;
import imago.inference.engine.EngineConfig;
import imago.inference.sandbox.Sandbox;
import imago.inference.sandbox.SandboxConfig;
import imago.inference.manifest.ManifestParser;
import imago.models.registry.ModelRegistry;
import imago.models.registry.ModelsConfig;
import imago.models.validation.ModelValidator;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.SqlIndex;
import imago.storage.models.SqlModelCatalog;
import imago.storage.object.FsObjectStore;
import imago.storage.object.ObjectStore;
import imago.web.Access;
import imago.web.AuthConfig;
import imago.web.BearerAuth;
import imago.web.WebServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A {@link WebServer} serving only {@code /models}, over the registry the app wires: the catalog
 * in an embedded H2 index and the artifacts in an fs object store under {@code dir}, validated by
 * the real engines. Bearer tokens are signed with a test key. Uploads spool to {@link #spool()}.
 */
final class ModelsNode implements AutoCloseable {
  /** One per test JVM, as in a server process. */
  private static Sandbox engines;

  private Database database;
  private ObjectStore store;
  private ModelRegistry registry;
  private Vertx vertx;
  private BearerAuth auth;
  private WebServer server;
  private Path spool;
  private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();

  private ModelsNode() {}

  /** Starts a node under {@code dir} that refuses uploads over {@code maxUploadBytes}. */
  static ModelsNode start(Path dir, long maxUploadBytes) throws IOException {
    ModelsNode node = new ModelsNode();
    try {
      node.open(dir, maxUploadBytes);
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void open(Path dir, long maxUploadBytes) throws IOException {
    database = Database.open(new StorageConfig.Db("", "", "", 4), dir);
    store = new FsObjectStore(dir.resolve("objects"), true, "models-node");
    ModelsConfig config = new ModelsConfig(maxUploadBytes, 256L << 20, 256L << 20, 4, 0.02);
    registry = new ModelRegistry(new SqlModelCatalog(database.dataSource()), store, new ManifestParser(),
        new ModelValidator(engines(), config.dryRunBatch()), new ArtifactCache(dir.resolve("models"), store), config);
    vertx = Vertx.vertx();
    vertx.exceptionHandler(unhandled::add);
    auth = new BearerAuth(vertx, new AuthConfig("models-node-test-secret-of-32-bytes", null, "imago", null, "imago"));
    spool = dir.resolve("spool");
    ModelsRouter models = new ModelsRouter(vertx, registry, new Access(auth, new SqlIndex(database.dataSource())), spool);
    server = new WebServer(vertx, "127.0.0.1", 0, List.of(WebServer.Mount.api("/models", models.routes())), List.of())
        .start().await();
  }

  /** Validation runs in sandboxes, as in the server; their engines unpack under the checkout's .cache (outside /root). */
  private static synchronized Sandbox engines() {
    if (engines == null) {
      engines = new Sandbox(SandboxConfig.defaults(), new EngineConfig(2,
          Path.of("..", ".cache", "engines").toAbsolutePath().normalize(), false));
    }
    return engines;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  int port() {
    return server.port();
  }

  String token(String tenant, Caller.Role role) {
    return auth.mint(role.name().toLowerCase() + "@" + tenant, tenant, role, Duration.ofMinutes(10));
  }

  /** What the node's handlers threw that nothing handled (Vert.x would only log it). */
  List<Throwable> unhandled() {
    return List.copyOf(unhandled);
  }

  /** Where uploads are spooled while they arrive. */
  Path spool() {
    return spool;
  }

  /** What is left in the spool. */
  List<Path> spooled() throws IOException {
    try (Stream<Path> files = Files.list(spool)) {
      return files.toList();
    }
  }

  /**
   * The reference model {@code name} that models/reference/make.sh builds (the reactor runs it
   * before this module's tests), at {@code -Dimago.reference.models} or in its target/out.
   */
  static Path referenceModel(String name) {
    Path root = Path.of(System.getProperty("imago.reference.models", Path.of(System.getProperty("imago.repo.root", ".."))
        .resolve("models/reference/target/out").toString()));
    Path dir = root.resolve(name);
    if (!Files.isDirectory(dir)) {
      throw new AssertionError("reference model missing at " + dir + ": run models/reference/make.sh " + root);
    }
    return dir;
  }

  @Override
  public void close() {
    if (server != null) server.close();
    if (registry != null) registry.close();
    if (vertx != null) vertx.close().await();
    if (store != null) store.close();
    if (database != null) database.close();
  }
}
