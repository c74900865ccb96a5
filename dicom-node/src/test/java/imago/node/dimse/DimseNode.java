package imago.node.dimse;

import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.node.NodeConfig;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.SqlIndex;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestJournal;
import imago.storage.ingest.IngestListener;
import imago.storage.object.FsObjectStore;
import imago.storage.object.ObjectStore;
import imago.web.Access;
import imago.web.AuthConfig;
import imago.web.BearerAuth;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A {@link DimseServer} of its own for this module's tests, on the storage stack the app wires:
 * the ingest path over an fs object store and an embedded H2 index in {@code dir}, C-FIND, C-MOVE
 * and C-GET over the same index. Called AE IMAGO on a free loopback port; tenants as in the app's
 * tests: {@code demo} (AE DEMO, STORESCU; the C-MOVE destinations given) and {@code other} (AE OTHER, none).
 */
final class DimseNode implements AutoCloseable {
  static final String AE = "IMAGO";

  private final Database database;
  private final IngestJournal journal;
  private final ObjectStore store;
  private final Vertx vertx;
  private final Index index;
  private final DimseServer server;

  private DimseNode(Database database, IngestJournal journal, ObjectStore store, Index index, Vertx vertx,
      DimseServer server) {
    this.database = database;
    this.journal = journal;
    this.store = store;
    this.index = index;
    this.vertx = vertx;
    this.server = server;
  }

  /** Starts a node storing into {@code dir}; demo's C-MOVEs may send to {@code destinations}. */
  static DimseNode start(Path dir, List<Tenant.MoveDestination> destinations) throws IOException {
    return start(dir, destinations, null);
  }

  /** As above, with DICOM TLS on a port of its own from {@code tls} (null: plain only). */
  static DimseNode start(Path dir, List<Tenant.MoveDestination> destinations, imago.web.tls.TlsMaterial tls)
      throws IOException {
    return start(dir, destinations, tls, null);
  }

  /** As above; C-MOVEs reach {@code tls} destinations with {@code outbound} (null: they are refused). */
  static DimseNode start(Path dir, List<Tenant.MoveDestination> destinations, imago.web.tls.TlsMaterial tls,
      javax.net.ssl.SSLContext outbound) throws IOException {
    NodeConfig config = new NodeConfig(AE, "127.0.0.1", 0, 0, "", 8, 131072, Duration.ofSeconds(30), 0,
        Duration.ofSeconds(10), List.of(), List.of(), "127.0.0.1", 0, 0);
    Tenants tenants = new Tenants(List.of(
        // DEMO_IN is a modality: it may store, not query or retrieve
        new Tenant("demo", "Demo", List.of("DEMO", "STORESCU", "DEMO_IN", "DEMO_WARD"), destinations,
            Map.of("DEMO_IN", List.of(Tenant.Right.STORE)), Map.of("DEMO_WARD", List.of("10.20.0.0/16"))),
        new Tenant("other", "Other hospital", List.of("OTHER"))));
    Database database = Database.open(new StorageConfig.Db("", "", "", 4), dir);
    IngestJournal journal = IngestJournal.open(dir.resolve("journal"), true, database::syncToDisk);
    ObjectStore store = new FsObjectStore(dir.resolve("objects"), true, journal.owner());
    Index index = new SqlIndex(database.dataSource());
    Vertx vertx = Vertx.vertx();
    // DIMSE peers are audited by calling AE; the bearer side of Access is not used here
    Access access = new Access(new BearerAuth(vertx, new AuthConfig("dimse-node-test-secret-of-at-least-32-bytes", null, "imago", null, "imago")), index);
    DimseServer server = new DimseServer(config, tenants,
        new Ingest(store, index, journal, StorageConfig.DuplicatePolicy.REJECT, IngestListener.NONE),
        new FindScp(index, access, AE, FindScp.DEFAULT_MAX_MATCHES),
        new MoveScp(index, store, access, config, outbound),
        new GetScp(index, store, access), tls);
    DimseNode node = new DimseNode(database, journal, store, index, vertx, server);
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  int port() {
    return server.port();
  }

  int tlsPort() {
    return server.tlsPort();
  }

  DimseServer server() {
    return server;
  }

  Index index() {
    return index;
  }

  /** The stored object under {@code key}, whole. */
  byte[] object(String key) throws IOException {
    try (InputStream in = store.get(key).orElseThrow(() -> new AssertionError("no object " + key))) {
      return in.readAllBytes();
    }
  }

  /** The data set of a PS3.10 file: what C-STORE carries. */
  static byte[] dataset(byte[] part10) throws MalformedDicomException {
    return Arrays.copyOfRange(part10, Part10.parse(ByteBuffer.wrap(part10)).datasetOffset(), part10.length);
  }

  @Override
  public void close() {
    server.close();
    journal.close();
    store.close();
    database.close();
    vertx.close();
  }
}
