package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import imago.core.tenant.Caller;
import imago.models.registry.ModelRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the inference tests do to a running Imago: activate models, wait for jobs, fetch results. */
final class InferenceFixture {
  final TestImago imago;
  final Path tmp;
  final String hospital;

  InferenceFixture(TestImago imago, Path tmp) {
    this.imago = imago;
    this.tmp = tmp;
    this.hospital = imago.token("demo", Caller.Role.HOSPITAL);
  }

  /** Registers a model folder as a researcher of demo and activates it as primary, as the region would. */
  String activate(Path dir) throws Exception {
    return activate(dir, "primary");
  }

  /** The same in {@code mode} (primary or shadow). */
  String activate(Path dir, String mode) throws Exception {
    ModelRegistry registry = imago.imago.models();
    byte[] manifest = Files.readAllBytes(dir.resolve("manifest.json"));
    Path artifact;
    try (var files = Files.list(dir)) {
      artifact = files.filter(f -> f.getFileName().toString().startsWith("model.")).findFirst().orElseThrow();
    }
    Path copy = Files.createTempDirectory(tmp, "upload").resolve(artifact.getFileName());
    Files.copy(artifact, copy);
    var reg = registry.register(new Caller("researcher@demo", "demo", Caller.Role.RESEARCHER), manifest, copy);
    assertEquals("validated", reg.version().state().id(), String.valueOf(reg.version().reason()));
    registry.activate(new Caller("region", "demo", Caller.Role.REGION), reg.version().name(), reg.version().version(), mode);
    return reg.version().name();
  }

  JsonArray jobsOf(String study) throws Exception {
    HttpResponse<String> r = get("/inference/jobs?studyUID=" + study, hospital);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonArray(r.body());
  }

  /** Waits until {@code expected} jobs of the study are all finished; returns them. */
  JsonArray awaitJobs(String study, int expected) throws Exception {
    return eventually(Duration.ofMinutes(3), expected + " jobs of " + study + " finish", () -> jobsOf(study), jobs -> {
      boolean finished = jobs.size() >= expected;
      for (Object o : jobs) {
        String s = ((JsonObject) o).getString("state");
        finished &= s.equals("done") || s.equals("failed") || s.equals("dead");
      }
      return finished;
    });
  }

  HttpResponse<String> get(String path, String token) throws Exception {
    return imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(30)).build());
  }

  byte[] wado(String study, String series, String sop) throws Exception {
    HttpResponse<byte[]> r = imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl()
        + "/wado?requestType=WADO&contentType=application/dicom&studyUID=" + study + "&seriesUID=" + series + "&objectUID=" + sop))
        .header("Authorization", "Bearer " + hospital).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  JsonObject jobOf(JsonArray jobs, String model) {
    for (Object o : jobs) {
      JsonObject j = (JsonObject) o;
      if (j.getJsonObject("model").getString("name").equals(model)) return j;
    }
    throw new AssertionError("no job of " + model + " in " + jobs.encodePrettily());
  }
}
