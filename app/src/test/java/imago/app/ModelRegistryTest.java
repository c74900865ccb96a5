package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model registry over HTTP against a real Imago (embedded S3, H2, the real engines): the
 * reference models register, validate and activate with outputs equal to Python's; bad uploads
 * fail with a precise message and leave nothing active; tenants and immutability hold.
 */
class ModelRegistryTest {
  static final long UPLOAD_LIMIT = 48L << 20;
  @TempDir static Path tmp;
  static TestImago imago;
  static String researcherA;
  static String researcherB;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"), Map.of("models.maxUploadBytes", Long.toString(UPLOAD_LIMIT)));
    researcherA = imago.token("demo", Caller.Role.RESEARCHER);
    researcherB = imago.token("other", Caller.Role.RESEARCHER);
    admin = imago.token("demo", Caller.Role.REGION);
  }

  @AfterAll
  static void stop() {
    imago.close();
  }

  // --- helpers ---------------------------------------------------------------------------------

  static JsonObject manifest(String model) throws IOException {
    return new JsonObject(Files.readString(ReferenceModels.model(model).resolve("manifest.json")));
  }

  static Path artifact(String model) throws IOException {
    try (var files = Files.list(ReferenceModels.model(model))) {
      return files.filter(f -> f.getFileName().toString().startsWith("model.")).findFirst().orElseThrow();
    }
  }

  static HttpResponse<String> upload(String token, JsonObject manifest, byte[] artifact, String fileName) throws Exception {
    String boundary = "b-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"manifest\"; filename=\"manifest.json\"\r\n"
        + "Content-Type: application/json\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(manifest.encode().getBytes(StandardCharsets.UTF_8));
    body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"" + fileName
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(artifact);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/models"))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .timeout(Duration.ofMinutes(3))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
  }

  /** Registers and, when validation went to the background (202), waits for its outcome. */
  static JsonObject register(String token, JsonObject manifest, Path artifact) throws Exception {
    HttpResponse<String> r = upload(token, manifest, Files.readAllBytes(artifact), artifact.getFileName().toString());
    assertTrue(r.statusCode() == 201 || r.statusCode() == 202, r.statusCode() + " " + r.body());
    JsonObject v = new JsonObject(r.body());
    if (!v.getString("state").equals("registered")) return v;
    String path = "/models/" + v.getString("name") + "/versions/" + v.getString("version");
    return eventually(Duration.ofMinutes(2), "background validation of " + path + " ends",
        () -> get(token, path), x -> !x.getString("state").equals("registered"));
  }

  static JsonObject get(String token, String path) throws Exception {
    HttpResponse<String> r = call(token, "GET", path, null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  static HttpResponse<String> call(String token, String method, String path, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) b.header("Content-Type", "application/json");
    return imago.send(b.build());
  }

  static JsonObject renamed(String model, String name, Consumer<JsonObject> change) throws IOException {
    JsonObject m = manifest(model).put("name", name);
    change.accept(m);
    return m;
  }

  static void assertActiveNever(String name) throws Exception {
    HttpResponse<String> r = call(admin, "GET", "/models?state=active&name=" + name, null);
    assertEquals("[]", r.body(), name + " must have no active version");
  }

  // --- reference models ------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"lesion-cls-torchscript", "lesion-cls-onnx", "lesion-cls-keras", "lesion-seg-torchscript",
      "lesion-seg-onnx", "lesion-det-torchscript"})
  void eachReferenceModelValidatesWithPythonsOutputsAndActivates(String model) throws Exception {
    JsonObject v = register(researcherA, manifest(model), artifact(model));
    assertEquals("validated", v.getString("state"), v.encodePrettily());
    JsonObject validation = v.getJsonObject("validation");
    assertTrue(validation.getBoolean("passed"));
    assertTrue(validation.getLong("loadMillis") >= 0);
    JsonArray runs = validation.getJsonArray("dryRuns");
    assertEquals(2, runs.size(), "batch 1 and batch N");
    for (int i = 0; i < runs.size(); i++) {
      JsonObject run = runs.getJsonObject(i);
      ReferenceModels.Pair python = ReferenceModels.pair(model, "dryrun-b" + run.getInteger("batch"));
      assertEquals(new JsonArray(java.util.Arrays.stream(python.outShape()).boxed().toList()), run.getJsonArray("outputShape"));
      JsonArray head = run.getJsonArray("outputHead");
      for (int k = 0; k < head.size(); k++) {
        assertEquals(python.out()[k], head.getFloat(k), 1e-4, model + " batch " + run.getInteger("batch") + " output " + k);
      }
    }
    String name = v.getString("name");
    String version = v.getString("version");
    JsonObject active = new JsonObject(call(admin, "POST", "/models/" + name + "/versions/" + version + "/activate",
        new JsonObject().put("mode", "primary")).body());
    assertEquals("active", active.getString("state"), active.encode());
    assertEquals("primary", active.getString("mode"));
    JsonArray listed = new JsonArray(call(imago.token("demo", Caller.Role.RADIOLOGIST), "GET", "/models?state=active&name=" + name, null).body());
    assertEquals(1, listed.size(), "a radiologist sees the active version");
  }

  // --- bad uploads -----------------------------------------------------------------------------

  static JsonObject problem(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    return new JsonObject(r.body());
  }

  static boolean hasError(JsonObject problem, String path, String fragment) {
    return problem.getJsonArray("errors", new JsonArray()).stream().map(JsonObject.class::cast)
        .anyMatch(e -> e.getString("path").equals(path) && e.getString("message").contains(fragment));
  }

  @Test
  void aManifestMissingFieldsIsRefusedWithEveryPath() throws Exception {
    JsonObject m = renamed("lesion-cls-torchscript", "bad-missing", x -> {
      x.remove("licence");
      x.getJsonObject("input").remove("channels");
    });
    JsonObject p = problem(upload(researcherA, m, Files.readAllBytes(artifact("lesion-cls-torchscript")), "model.pt"), 422);
    assertTrue(p.getString("type").endsWith("invalid-manifest"), p.encode());
    assertTrue(hasError(p, "", "licence"), p.encodePrettily());
    assertTrue(hasError(p, "/input", "channels"), p.encodePrettily());
    assertEquals(404, call(admin, "GET", "/models/bad-missing", null).statusCode(), "nothing registered");
  }

  @Test
  void wrongTypesAndUnknownFrameworksAreRefused() throws Exception {
    byte[] pt = Files.readAllBytes(artifact("lesion-cls-torchscript"));
    JsonObject types = problem(upload(researcherA, renamed("lesion-cls-torchscript", "bad-types",
        x -> x.getJsonObject("input").put("height", "sixty-four")), pt, "model.pt"), 422);
    assertTrue(hasError(types, "/input/height", "integer"), types.encodePrettily());
    JsonObject framework = problem(upload(researcherA, renamed("lesion-cls-torchscript", "bad-framework",
        x -> x.put("framework", "tensorflow-savedmodel")), pt, "model.pt"), 422);
    assertTrue(hasError(framework, "/framework", ""), framework.encodePrettily());
  }

  @Test
  void labelsThatDoNotMatchTheOutputsFailValidation() throws Exception {
    JsonObject m = renamed("lesion-cls-torchscript", "bad-labels", x -> x.getJsonObject("output").getJsonArray("labels")
        .add(new JsonObject().put("name", "third class")));
    JsonObject p = problem(upload(researcherA, m, Files.readAllBytes(artifact("lesion-cls-torchscript")), "model.pt"), 422);
    assertTrue(p.getString("type").endsWith("validation-failed"), p.encode());
    assertTrue(p.getString("detail").contains("expected output [1, 3]") && p.getString("detail").contains("got [1, 2]"),
        p.getString("detail"));
    assertEquals("failed", p.getJsonObject("version").getString("state"));
    assertEquals("failed", get(researcherA, "/models/bad-labels/versions/" + m.getString("version")).getString("state"));
    HttpResponse<String> activate = call(admin, "POST", "/models/bad-labels/versions/" + m.getString("version") + "/activate", null);
    assertEquals(409, activate.statusCode(), "a failed version is never activated");
    assertActiveNever("bad-labels");
  }

  @Test
  void anInputShapeTheArtifactDoesNotDeclareFails() throws Exception {
    JsonObject m = renamed("lesion-cls-onnx", "bad-shape", x -> x.getJsonObject("input").put("height", 32).put("width", 32));
    JsonObject p = problem(upload(researcherA, m, Files.readAllBytes(artifact("lesion-cls-onnx")), "model.onnx"), 422);
    assertTrue(p.getString("detail").startsWith("input-shape: manifest input NCHW [1, 32, 32]"), p.getString("detail"));
    assertTrue(p.getString("detail").contains("model's declared input [1, 64, 64]"), p.getString("detail"));
    assertActiveNever("bad-shape");
  }

  @Test
  void corruptArtifactsAreRefused() throws Exception {
    byte[] pt = Files.readAllBytes(artifact("lesion-cls-torchscript"));
    byte[] flipped = pt.clone();
    for (int i = pt.length / 3; i < pt.length / 3 + 64; i++) flipped[i] ^= 0x5a;
    JsonObject crc = problem(upload(researcherA, renamed("lesion-cls-torchscript", "bad-crc", x -> { }), flipped, "model.pt"), 422);
    assertTrue(crc.getString("detail").contains("corrupt") || crc.getString("detail").contains("does not load"), crc.encode());
    byte[] onnx = Files.readAllBytes(artifact("lesion-cls-onnx"));
    byte[] half = java.util.Arrays.copyOf(onnx, onnx.length / 2);
    JsonObject truncated = problem(upload(researcherA, renamed("lesion-cls-onnx", "bad-truncated", x -> { }), half, "model.onnx"), 422);
    assertTrue(truncated.getString("detail").startsWith("load: artifact does not load in onnx"), truncated.getString("detail"));
    JsonObject text = problem(upload(researcherA, renamed("lesion-cls-keras", "bad-text", x -> { }),
        "not a model".getBytes(StandardCharsets.UTF_8), "model.h5"), 422);
    assertTrue(text.getString("detail").contains("expects an HDF5 file"), text.getString("detail"));
    assertActiveNever("bad-crc");
    assertActiveNever("bad-truncated");
  }

  @Test
  void aZipBombIsRefusedAsSuch() throws Exception {
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bomb)) {
      zip.setLevel(9);
      zip.putNextEntry(new ZipEntry("model/data/0"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 100; i++) zip.write(zeros);
      zip.closeEntry();
    }
    JsonObject p = problem(upload(researcherA, renamed("lesion-cls-torchscript", "bad-bomb", x -> { }), bomb.toByteArray(), "model.pt"), 422);
    assertTrue(p.getString("type").endsWith("invalid-artifact"), p.encode());
    assertTrue(p.getString("detail").contains("zip bomb"), p.getString("detail"));
    assertEquals(404, call(admin, "GET", "/models/bad-bomb", null).statusCode());
  }

  /** A 2 GB upload over the limit is refused from its Content-Length, before its body is read. */
  @Test
  void aTwoGigabyteUploadIsRefusedAtOnce() throws Exception {
    try (Socket s = new Socket("127.0.0.1", imago.imago.httpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + researcherA
          + "\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " + (2L << 30) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[64 * 1024]);
      out.flush();
      String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", head);
    }
  }

  /** The same without a declared length (chunked): refused once the budget is spent, not at 2 GB. */
  @Test
  void aChunkedUploadIsCutAtTheLimit() throws Exception {
    try (Socket s = new Socket("127.0.0.1", imago.imago.httpPort())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + researcherA
          + "\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      byte[] head = "--x\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"model.pt\"\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII);
      out.write((Integer.toHexString(head.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(head);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[1 << 20];
      long sent = 0;
      InputStream in = s.getInputStream();
      try {
        while (sent < (2L << 30) && in.available() == 0) {
          out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          sent += chunk.length;
        }
      } catch (IOException closed) {
        // the server closed the connection after answering: read what it said
      }
      assertTrue(sent < 4 * UPLOAD_LIMIT, "refused after " + sent + " bytes");
      assertEquals("HTTP/1.1 413", new String(in.readNBytes(12), StandardCharsets.US_ASCII));
    }
    try (var spool = Files.list(imago.data.resolve("spool"))) {
      assertFalse(spool.anyMatch(f -> f.getFileName().toString().startsWith("model-")), "the partial upload is removed");
    }
  }

  // --- tenants, roles, immutability ------------------------------------------------------------

  @Test
  void versionsAreImmutable() throws Exception {
    JsonObject m = renamed("lesion-cls-onnx", "immutable-cls", x -> { });
    Path onnx = artifact("lesion-cls-onnx");
    JsonObject v = register(researcherA, m, onnx);
    assertEquals("validated", v.getString("state"));
    byte[] other = Files.readAllBytes(artifact("lesion-seg-onnx"));
    JsonObject again = problem(upload(researcherA, m, other, "model.onnx"), 409);
    assertTrue(again.getString("detail").contains("already registered"), again.encode());
    HttpResponse<byte[]> download = imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl()
        + "/models/immutable-cls/versions/" + m.getString("version") + "/artifact")).header("Authorization", "Bearer " + researcherA)
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, download.statusCode());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body()));
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(onnx))), sha);
    assertEquals(sha, v.getJsonObject("artifact").getString("sha256"));
    assertEquals("\"" + sha + "\"", download.headers().firstValue("ETag").orElse(""));
    assertTrue(imago.object("models/immutable-cls/" + m.getString("version") + "/model.onnx").length == Files.size(onnx));
  }

  @Test
  void aResearcherCannotRetireAnotherTenantsModelNorRegisterItsName() throws Exception {
    JsonObject m = renamed("lesion-cls-onnx", "tenant-a-cls", x -> { });
    JsonObject v = register(researcherA, m, artifact("lesion-cls-onnx"));
    String path = "/models/tenant-a-cls/versions/" + v.getString("version");
    assertEquals(404, call(researcherB, "GET", path, null).statusCode(), "B does not see A's validated version");
    assertEquals(403, call(researcherA, "POST", path + "/activate", new JsonObject()).statusCode(), "researchers do not activate");
    // Security: activation is region-wide, so a tenant's own admin may not.
    HttpResponse<String> tenantAdmin = call(imago.token("demo", Caller.Role.ADMIN), "POST", path + "/activate", new JsonObject());
    assertEquals(403, tenantAdmin.statusCode(), tenantAdmin.body());
    assertEquals(200, call(admin, "POST", path + "/activate", new JsonObject().put("mode", "primary")).statusCode());
    HttpResponse<String> retire = call(researcherB, "POST", path + "/retire", new JsonObject().put("reason", "mine now"));
    JsonObject p = problem(retire, 403);
    assertTrue(p.getString("detail").contains("belongs to tenant demo"), p.encode());
    assertEquals("active", get(admin, path).getString("state"));
    JsonObject taken = problem(upload(researcherB, m.copy().put("version", "9.0.0"),
        Files.readAllBytes(artifact("lesion-cls-onnx")), "model.onnx"), 409);
    assertTrue(taken.getString("detail").contains("belongs to tenant demo"), taken.encode());
    JsonObject retired = new JsonObject(call(researcherA, "POST", path + "/retire", new JsonObject()).body());
    assertEquals("retired", retired.getString("state"));
    JsonArray history = get(researcherA, path).getJsonArray("history");
    assertEquals(4, history.size(), history.encodePrettily());
  }

  @Test
  void aNewPrimaryRetiresTheOldAndShadowsRunBeside() throws Exception {
    JsonObject base = renamed("lesion-cls-onnx", "primary-cls", x -> { });
    for (String version : new String[] {"1.0.0", "1.1.0", "2.0.0"}) {
      assertEquals("validated", register(researcherA, base.copy().put("version", version), artifact("lesion-cls-onnx")).getString("state"));
    }
    call(admin, "POST", "/models/primary-cls/versions/1.0.0/activate", new JsonObject().put("mode", "primary"));
    call(admin, "POST", "/models/primary-cls/versions/1.1.0/activate", new JsonObject().put("mode", "shadow"));
    call(admin, "POST", "/models/primary-cls/versions/2.0.0/activate", new JsonObject().put("mode", "primary"));
    assertEquals("retired", get(admin, "/models/primary-cls/versions/1.0.0").getString("state"));
    assertEquals("shadow", get(admin, "/models/primary-cls/versions/1.1.0").getString("mode"));
    assertEquals("primary", get(admin, "/models/primary-cls/versions/2.0.0").getString("mode"));
    JsonArray active = new JsonArray(call(admin, "GET", "/models?name=primary-cls&state=active", null).body());
    assertEquals(2, active.size());
  }

  @Test
  void theSchemaAndTheOpenApiDocumentAreServed() throws Exception {
    HttpResponse<String> schema = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/models/schema")).build());
    assertEquals(200, schema.statusCode());
    assertEquals("https://json-schema.org/draft/2020-12/schema", new JsonObject(schema.body()).getString("$schema"));
    HttpResponse<String> openapi = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/openapi.json")).build());
    assertEquals(200, openapi.statusCode());
    JsonObject doc = new JsonObject(openapi.body());
    assertTrue(doc.getString("openapi").startsWith("3."));
    assertTrue(doc.getJsonObject("paths").containsKey("/models/{name}/versions/{version}/activate"));
  }
}
