package imago.models.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /models} on a node serving nothing else, over a real registry that validates in the real
 * ONNX engine: a valid upload is registered and shown, a bad manifest is 422 with JSON pointers,
 * an upload over the limit is 413 and leaves the spool empty, roles and visibility hold, and the
 * artifact comes back as registered, with its digest as ETag.
 */
class ModelsRouterTest {
  static final long UPLOAD_LIMIT = 1L << 20;
  static final String REFERENCE = "lesion-cls-onnx";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path tmp;
  static ModelsNode node;
  static String researcher;
  static String admin;
  static byte[] onnx;

  @BeforeAll
  static void start() throws Exception {
    node = ModelsNode.start(tmp.resolve("node"), UPLOAD_LIMIT);
    researcher = node.token("demo", Caller.Role.RESEARCHER);
    admin = node.token("demo", Caller.Role.ADMIN);
    onnx = Files.readAllBytes(ModelsNode.referenceModel(REFERENCE).resolve("model.onnx"));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void aValidUploadIs201AndItsVersionIsShown() throws Exception {
    HttpResponse<String> r = upload(researcher, manifest("upload-cls", m -> { }), onnx);

    assertEquals(201, r.statusCode(), r.body());
    assertEquals("/models/upload-cls/versions/1.0.0", r.headers().firstValue("Location").orElse(""));
    JsonObject created = new JsonObject(r.body());
    assertEquals("validated", created.getString("state"), r.body());
    assertEquals(sha256(onnx), created.getJsonObject("artifact").getString("sha256"));
    JsonObject shown = json(get(researcher, "/models/upload-cls/versions/1.0.0", null), 200);
    assertEquals("validated", shown.getString("state"));
    assertEquals("demo", shown.getString("tenant"));
    assertEquals("onnx", shown.getString("framework"));
    assertTrue(shown.getJsonObject("validation").getBoolean("passed"), shown.encodePrettily());
    assertEquals(List.of("registered", "validated"),
        shown.getJsonArray("history").stream().map(e -> ((JsonObject) e).getString("to")).toList());
    assertEquals(List.of(), node.spooled(), "the spooled parts went to the registry");
  }

  @Test
  void aManifestErrorIs422WithJsonPointersAndRegistersNothing() throws Exception {
    JsonObject bad = manifest("bad-manifest", m -> {
      m.remove("licence");
      m.getJsonObject("input").remove("channels");
      m.getJsonObject("input").put("height", "sixty-four");
    });
    HttpResponse<String> r = upload(researcher, bad, onnx);

    JsonObject problem = json(r, 422);
    assertTrue(problem.getString("type").endsWith("invalid-manifest"), r.body());
    assertTrue(hasError(problem, "", "licence"), problem.encodePrettily());
    assertTrue(hasError(problem, "/input", "channels"), problem.encodePrettily());
    assertTrue(hasError(problem, "/input/height", "integer"), problem.encodePrettily());
    assertEquals(404, get(admin, "/models/bad-manifest", null).statusCode(), "nothing registered");
    assertEquals(List.of(), node.spooled());
  }

  /** Refused from its Content-Length, before its body is read. */
  @Test
  @Timeout(60)
  void anUploadDeclaredOverTheLimitIs413AtOnce() throws Exception {
    try (Socket s = uploadHead("Content-Length: " + (UPLOAD_LIMIT + 1))) {
      OutputStream out = s.getOutputStream();
      out.write(new byte[16 * 1024]);
      out.flush();
      assertEquals("HTTP/1.1 413", new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII));
    }
    assertEquals(List.of(), node.spooled());
  }

  /** Without a declared length (chunked), refused once the budget is spent; what was spooled is gone before the 413. */
  @Test
  @Timeout(60)
  void aChunkedUploadIsCutAtTheLimitAndLeavesTheSpoolEmpty() throws Exception {
    try (Socket s = uploadHead("Transfer-Encoding: chunked")) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      chunk(out, "--x\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"model.onnx\"\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      byte[] data = new byte[16 * 1024];
      long sent = 0;
      // The server stops reading once the budget is spent, but the kernel's socket buffers on both
      // sides still take several MiB (up to tcp_wmem + tcp_rmem) before a write blocks: what proves
      // the early refusal is an answer while the body is still open, far below an unbounded body.
      long cap = 64 * UPLOAD_LIMIT;
      try {
        while (sent < cap && in.available() == 0) {
          chunk(out, data);
          sent += data.length;
        }
      } catch (IOException closed) {
        // the server answered and closed: read what it said
      }
      assertEquals("HTTP/1.1 413", new String(in.readNBytes(12), StandardCharsets.US_ASCII));
      assertTrue(sent < cap, "refused after " + sent + " bytes");
    }
    assertEquals(List.of(), node.spooled(), "the partial artifact is removed before the answer");
    // the refused connection is closed by now; a request after it is served after that close was handled
    assertEquals(200, get(researcher, "/models/schema", null).statusCode());
    assertEquals(List.of(), node.unhandled(), "the closed connection finds nothing left to close");
  }

  /**
   * A body that is no multipart/form-data although its Content-Type says so is answered 400 and
   * leaves the spool empty, instead of being taken for a vanished client and never answered.
   * Found by the REST fuzz (RestFuzzTest).
   */
  @Test
  @Timeout(60)
  void aMalformedFormIs400() throws Exception {
    for (String body : List.of("[".repeat(50_000), "--y\r\nno headers end here")) {
      HttpResponse<String> r = HTTP.send(request(researcher, "/models", null).timeout(Duration.ofSeconds(20))
          .header("Content-Type", "multipart/form-data; boundary=x").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(400, json(r, 400).getInteger("status"), r.body());
    }
    assertEquals(List.of(), node.spooled());
  }

  @Test
  void aRadiologistMayNotRegister403() throws Exception {
    HttpResponse<String> r = upload(node.token("demo", Caller.Role.RADIOLOGIST), manifest("radiologist-cls", m -> { }), onnx);
    JsonObject problem = json(r, 403);
    assertEquals("Role may not register models", problem.getString("title"));
    assertEquals(404, get(admin, "/models/radiologist-cls", null).statusCode(), "nothing registered");
    assertEquals(List.of(), node.spooled());
  }

  @Test
  void anUnknownVersionIs404() throws Exception {
    assertEquals(201, upload(researcher, manifest("known-cls", m -> { }), onnx).statusCode());
    HttpResponse<String> r = get(admin, "/models/known-cls/versions/9.9.9", null);
    assertEquals("No such model version", json(r, 404).getString("title"));
    assertEquals(404, get(admin, "/models/no-such-model/versions/1.0.0", null).statusCode());
    assertEquals(404, get(node.token("other", Caller.Role.RESEARCHER), "/models/known-cls/versions/1.0.0", null).statusCode(),
        "another tenant's validated version is not shown");
  }

  @Test
  void theArtifactDownloadsAsRegisteredWithItsDigestAsEtagAnd304WhenUnchanged() throws Exception {
    assertEquals(201, upload(researcher, manifest("download-cls", m -> { }), onnx).statusCode());
    String path = "/models/download-cls/versions/1.0.0/artifact";

    HttpResponse<byte[]> r = HTTP.send(request(researcher, path, null).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertArrayEquals(onnx, r.body());
    String etag = r.headers().firstValue("ETag").orElse("");
    assertEquals("\"" + sha256(onnx) + "\"", etag);

    HttpResponse<byte[]> unchanged = HTTP.send(request(researcher, path, etag).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(304, unchanged.statusCode());
    assertEquals(0, unchanged.body().length);
    assertEquals(200, HTTP.send(request(researcher, path, "\"stale\"").build(), HttpResponse.BodyHandlers.ofByteArray())
        .statusCode());
  }

  /** Security: a manifest whose declared input no server could hold fails validation before anything is allocated. */
  @Test
  void aHugeDeclaredInputFailsValidationUnrun() throws Exception {
    HttpResponse<String> r = upload(researcher, manifest("huge-cls", m -> m.getJsonObject("input").put("channels", 512)
        .put("height", 4096).put("width", 4096)), onnx);
    assertEquals(422, r.statusCode(), r.body());
    assertTrue(r.body().contains("input-size"), r.body());
  }

  // ---- helpers

  /** The reference model's manifest under another name, changed by {@code change}. */
  static JsonObject manifest(String name, Consumer<JsonObject> change) throws IOException {
    JsonObject m = new JsonObject(Files.readString(ModelsNode.referenceModel(REFERENCE).resolve("manifest.json"))).put("name", name);
    change.accept(m);
    return m;
  }

  /** POST /models: multipart/form-data with the parts manifest and artifact. */
  static HttpResponse<String> upload(String token, JsonObject manifest, byte[] artifact) throws Exception {
    String boundary = "upload-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"manifest\"; filename=\"manifest.json\"\r\n"
        + "Content-Type: application/json\r\n\r\n" + manifest.encode() + "\r\n--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"model.onnx\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(artifact);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/models"))
        .timeout(Duration.ofMinutes(2))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpRequest.Builder request(String token, String path, String ifNoneMatch) {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofMinutes(1))
        .header("Authorization", "Bearer " + token);
    if (ifNoneMatch != null) rq.header("If-None-Match", ifNoneMatch);
    return rq;
  }

  static HttpResponse<String> get(String token, String path, String ifNoneMatch) throws Exception {
    return HTTP.send(request(token, path, ifNoneMatch).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a response with {@code status}: problem+json for errors, JSON otherwise. */
  static JsonObject json(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(status >= 400 ? "application/problem+json" : "application/json",
        r.headers().firstValue("Content-Type").orElse(""), r.body());
    return new JsonObject(r.body());
  }

  static boolean hasError(JsonObject problem, String pointer, String fragment) {
    return problem.getJsonArray("errors", new JsonArray()).stream().map(JsonObject.class::cast)
        .anyMatch(e -> e.getString("path").equals(pointer) && e.getString("message").contains(fragment));
  }

  /**
   * A connection the test holds, on which the head of a researcher's POST /models (boundary x) has
   * been sent with {@code framing} (Content-Length or Transfer-Encoding): the body is up to the test.
   */
  static Socket uploadHead(String framing) throws IOException {
    Socket s = new Socket("127.0.0.1", node.port());
    s.setSoTimeout(30_000);
    s.getOutputStream().write(("POST /models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + researcher
        + "\r\nContent-Type: multipart/form-data; boundary=x\r\n" + framing + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return s;
  }

  static void chunk(OutputStream out, byte[] data) throws IOException {
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
