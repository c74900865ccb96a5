package imago.node.dicomweb;

import imago.core.io.Spool;
import imago.core.multipart.MultipartRelatedParser;
import imago.core.multipart.PartListener;
import imago.core.tenant.Caller;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.node.NodeConfig;
import imago.node.dicomweb.qido.QidoRs;
import imago.node.dicomweb.wado.WadoRetrieve;
import imago.node.dicomweb.wado.WadoRs;
import imago.node.dicomweb.wado.WadoUri;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.Source;
import imago.storage.index.SqlIndex;
import imago.storage.index.StoredInstance;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestJournal;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.object.FsObjectStore;
import imago.storage.object.ObjectStore;
import imago.web.Access;
import imago.web.AuthConfig;
import imago.web.BearerAuth;
import imago.web.WebServer;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link WebServer} of its own for this module's DICOMweb tests, serving only the families a
 * test names (STOW-RS, QIDO-RS, WADO-RS under {@code /dicomweb}, WADO-URI at {@code /wado}), wired
 * as the app wires them over the same storage stack: the ingest path into an fs object store and
 * an embedded H2 index in {@code dir}. Bearer tokens are signed with a test key; tenants are
 * {@code demo} and {@code other}. Instances a test needs beforehand go in through {@link #store}.
 */
public final class DicomWebNode implements AutoCloseable {
  /** The resource families a node may serve. */
  public enum Family { STOW_RS, QIDO_RS, WADO_RS, WADO_URI }

  public static final Tenants TENANTS = new Tenants(List.of(
      new Tenant("demo", "Demo", List.of("DEMO")),
      new Tenant("other", "Other hospital", List.of("OTHER"))));
  private static final long MAX_STOW_BYTES = 64L << 20;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Database database;
  private IngestJournal journal;
  private ObjectStore store;
  private Index index;
  private Ingest ingest;
  private Vertx vertx;
  private BearerAuth auth;
  private WebServer server;

  private DicomWebNode() {}

  /** Starts a node storing into {@code dir} that serves {@code families} on a free loopback port. */
  public static DicomWebNode start(Path dir, Family... families) throws IOException {
    DicomWebNode node = new DicomWebNode();
    try {
      node.open(dir, EnumSet.of(families[0], families));
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void open(Path dir, Set<Family> families) throws IOException {
    NodeConfig config = new NodeConfig("IMAGO", "127.0.0.1", 0, 0, "", 8, 131072, Duration.ofSeconds(30), MAX_STOW_BYTES,
        Duration.ofSeconds(10), List.of(), List.of(), "127.0.0.1", 0, 0);
    database = Database.open(new StorageConfig.Db("", "", "", 4), dir);
    journal = IngestJournal.open(dir.resolve("journal"), true, database::syncToDisk);
    store = new FsObjectStore(dir.resolve("objects"), true, journal.owner());
    index = new SqlIndex(database.dataSource());
    ingest = new Ingest(store, index, journal, StorageConfig.DuplicatePolicy.REJECT, IngestListener.NONE);
    vertx = Vertx.vertx();
    auth = new BearerAuth(vertx, new AuthConfig("dicomweb-node-test-secret-of-32-bytes", null, "imago", null, "imago"));
    Access access = new Access(auth, index);

    List<DicomWebService> dicomweb = new ArrayList<>();
    if (families.contains(Family.STOW_RS)) {
      StowRs stow = new StowRs(vertx, config, TENANTS, ingest, 2);
      closing.add(stow::close);
      dicomweb.add(stow);
    }
    if (families.contains(Family.QIDO_RS)) dicomweb.add(new QidoRs(config, index, access, QidoRs.DEFAULT_MAX_RESULTS));
    WadoRetrieve wado = new WadoRetrieve(vertx, index, store, 4);
    closing.add(wado);
    if (families.contains(Family.WADO_RS)) dicomweb.add(new WadoRs(wado, access, config));
    List<WebServer.Mount> mounts = new ArrayList<>();
    if (!dicomweb.isEmpty()) mounts.add(WebServer.Mount.api("/dicomweb", DicomWebService.routes(vertx, access, dicomweb)));
    if (families.contains(Family.WADO_URI)) mounts.add(WebServer.Mount.api("/wado", new WadoUri(vertx, wado, access).routes()));
    server = new WebServer(vertx, "127.0.0.1", 0, mounts, List.of()).start().await();
  }

  /** {@code http://127.0.0.1:{port}}: the address requests come to, so the one Imago writes into URLs. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  public int port() {
    return server.port();
  }

  public String token(String tenant, Caller.Role role) {
    return token(role.name().toLowerCase() + "@" + tenant, tenant, role);
  }

  public String token(String subject, String tenant, Caller.Role role) {
    return auth.mint(subject, tenant, role, Duration.ofMinutes(10));
  }

  public Index index() {
    return index;
  }

  /** Stores a PS3.10 file into {@code tenant} through the ingest path, as an import would. */
  public StoredInstance store(String tenant, byte[] part10) throws IOException {
    IngestOutcome outcome;
    try (Spool spool = ingest.newSpool()) {
      spool.write(part10, 0, part10.length);
      outcome = ingest.store(IngestRequest.part10(TENANTS.byId(tenant).orElseThrow(), Source.IMPORT, "test", spool,
          IngestRequest.Expectations.NONE));
    }
    if (!outcome.ok()) throw new AssertionError("not stored: " + outcome.reason());
    return outcome.instance();
  }

  /** The stored object under {@code key}, whole. */
  public byte[] object(String key) throws IOException {
    try (InputStream in = store.get(key).orElseThrow(() -> new AssertionError("no object " + key))) {
      return in.readAllBytes();
    }
  }

  /** Every object key in the store. */
  public Set<String> objectKeys() throws IOException {
    Set<String> keys = new HashSet<>();
    store.list("", info -> keys.add(info.key()));
    return keys;
  }

  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
    return http.send(request, body);
  }

  /** GET {@code pathAndQuery} with a bearer token (none when null) and an Accept header (none when null). */
  public HttpResponse<byte[]> get(String pathAndQuery, String token, String accept) throws IOException, InterruptedException {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery)).timeout(Duration.ofMinutes(1)).GET();
    if (token != null) rq.header("Authorization", "Bearer " + token);
    if (accept != null) rq.header("Accept", accept);
    return http.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A multipart/related body of application/dicom parts (PS3.18 §10.5.1.2). */
  public static byte[] multipart(String boundary, List<byte[]> parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      body.writeBytes(part);
      body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return body.toByteArray();
  }

  /** One part of a multipart/related response: its headers (lower-case names) and its bytes. */
  public record Part(Map<String, String> headers, byte[] body) {}

  /** The parts of a multipart/related response, read with the parser STOW-RS reads requests with. */
  public static List<Part> parts(HttpResponse<byte[]> response) throws IOException {
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    List<Part> parts = new ArrayList<>();
    MultipartRelatedParser parser = MultipartRelatedParser.forContentType(contentType, new PartListener() {
      private Map<String, String> headers;
      private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

      @Override
      public void partStarted(Map<String, String> h) {
        headers = h;
        bytes.reset();
      }

      @Override
      public void partData(byte[] b, int off, int len) {
        bytes.write(b, off, len);
      }

      @Override
      public void partEnded() {
        parts.add(new Part(headers, bytes.toByteArray()));
      }
    });
    parser.feed(response.body(), 0, response.body().length);
    parser.finish();
    return parts;
  }

  @Override
  public void close() {
    if (server != null) server.close();
    for (AutoCloseable c : closing) {
      try {
        c.close();
      } catch (Exception ignored) {
        // a worker pool that will not stop leaves daemon threads only
      }
    }
    if (journal != null) journal.close();
    if (store != null) store.close();
    if (database != null) database.close();
    if (vertx != null) vertx.close().await();
  }
}
