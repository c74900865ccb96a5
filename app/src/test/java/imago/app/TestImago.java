package imago.app;

import imago.core.config.Config;
import imago.core.dicom.Part10;
import imago.core.tenant.Caller;
import imago.core.testkit.MutableClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real Imago for tests: embedded S3 server, embedded H2, DIMSE and HTTP on free ports, a data
 * folder of the test's own. Tenants: {@code demo} (AE DEMO, STORESCU) and {@code other} (AE OTHER).
 */
public final class TestImago implements AutoCloseable {
  public static final String TENANTS = "[{id: demo, name: Demo, aeTitles: [DEMO, STORESCU]},"
      + " {id: other, name: Other hospital, aeTitles: [OTHER]}]";

  public final Path data;
  public final Imago imago;
  /** What FSE link expiry and the stabilizer's quiet period go by: a test moves it forward instead of waiting. */
  public final MutableClock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private TestImago(Path data, Imago imago, MutableClock clock) {
    this.data = data;
    this.imago = imago;
    this.clock = clock;
  }

  public static Map<String, String> overrides(Path data) {
    Map<String, String> o = new HashMap<>();
    o.put("data", data.toString());
    o.put("node.dicomPort", "0");
    o.put("node.httpPort", "0");
    o.put("node.dicomTlsPort", "0");
    o.put("node.httpsPort", "0");
    o.put("node.tlsBindAddress", "127.0.0.1");
    o.put("node.bindAddress", "127.0.0.1");
    o.put("node.stableQuietPeriod", "PT1S");
    o.put("tenants", TENANTS);
    // One unpacked libtorch/ONNX Runtime/ND4J for every test, not one per data folder (~0.5 GB each).
    o.put("inference.cacheDir", ReferenceModels.repoRoot().resolve(".cache").resolve("engines").toString());
    return o;
  }

  public static TestImago start(Path data) throws IOException {
    return start(data, Map.of());
  }

  public static TestImago start(Path data, Map<String, String> extra) throws IOException {
    Map<String, String> o = overrides(data);
    o.putAll(extra);
    MutableClock clock = new MutableClock();
    return new TestImago(data, Imago.start(Config.load(null, Map.of(), o), clock), clock);
  }

  public int dicomPort() {
    return imago.dicomPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + imago.httpPort();
  }

  public String token(String tenant, Caller.Role role) {
    return imago.auth().mint("test", tenant, role, Duration.ofHours(1));
  }

  /** POST /dicomweb/studies[/{study}] with one application/dicom part per file. */
  public HttpResponse<String> stow(String token, String studyUid, List<byte[]> parts) throws IOException, InterruptedException {
    String boundary = "imago-" + UUID.randomUUID();
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(baseUrl() + "/dicomweb/studies"
            + (studyUid == null ? "" : "/" + studyUid)))
        .timeout(Duration.ofMinutes(2))
        .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
        .header("Accept", "application/dicom+json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(boundary, parts)));
    if (token != null) rq.header("Authorization", "Bearer " + token);
    return http.send(rq.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpClient http() {
    return http;
  }

  public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public static byte[] multipart(String boundary, List<byte[]> parts) {
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      body.writeBytes(part);
      body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return body.toByteArray();
  }

  /** The stored object's bytes, read back from S3. */
  public byte[] object(String key) throws IOException {
    try (InputStream in = imago.store().get(key).orElseThrow(() -> new AssertionError("no object " + key))) {
      return in.readAllBytes();
    }
  }

  /** The data set bytes of a PS3.10 file (what C-STORE carries). */
  public static byte[] dataset(byte[] part10) throws Exception {
    int offset = Part10.parse(ByteBuffer.wrap(part10)).datasetOffset();
    return java.util.Arrays.copyOfRange(part10, offset, part10.length);
  }

  public static byte[] read(Path file) throws IOException {
    return Files.readAllBytes(file);
  }

  @Override
  public void close() {
    imago.close();
  }
}
