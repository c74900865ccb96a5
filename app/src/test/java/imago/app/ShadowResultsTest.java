package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security: a shadow version is being judged, not used. Its results stay out of every clinical
 * output: no SR/SEG in the study, none in the FSE link's FHIR Bundle, and the study's AI results
 * show them only to the tenant's admins (and the model's own researchers), not to the hospital.
 */
class ShadowResultsTest {
  @TempDir static Path tmp;
  static TestImago imago;

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void aShadowVersionsResultsStayOutOfClinicalOutputs() throws Exception {
    imago = TestImago.start(tmp.resolve("data"), Map.of("inference.profileBatches", "false"));
    InferenceFixture fx = new InferenceFixture(imago, tmp);
    String primary = fx.activate(ReferenceModels.model("lesion-cls-onnx"));
    String shadow = fx.activate(ReferenceModels.model("lesion-seg-onnx"), "shadow");
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-S");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    String admin = imago.token("demo", Caller.Role.ADMIN);
    JsonArray all = eventually(Duration.ofMinutes(3), "both jobs finish", () ->
        new JsonArray(fx.get("/inference/jobs?studyUID=" + study.studyUid, admin).body()), jobs -> jobs.size() == 2
        && jobs.stream().allMatch(o -> ((JsonObject) o).getString("state").equals("done")));
    JsonObject shadowJob = fx.jobOf(all, shadow);
    assertEquals(Boolean.TRUE, shadowJob.getJsonObject("result").getBoolean("shadow"), shadowJob.encodePrettily());
    assertEquals(0, shadowJob.getJsonObject("result").getJsonArray("objects").size(), "no SEG written into the study");
    assertEquals(1, fx.jobOf(all, primary).getJsonObject("result").getJsonArray("objects").size());

    // The hospital sees the primary result only; the study holds no SEG.
    JsonArray hospitalJobs = fx.jobsOf(study.studyUid);
    assertEquals(1, hospitalJobs.size(), hospitalJobs.encodePrettily());
    JsonObject results = new JsonObject(fx.get("/inference/studies/" + study.studyUid + "/ai-results", fx.hospital).body());
    assertEquals(1, results.getJsonArray("results").size(), results.encodePrettily());
    assertEquals(2, new JsonObject(fx.get("/inference/studies/" + study.studyUid + "/ai-results", admin).body())
        .getJsonArray("results").size());
    HttpResponse<String> seg = fx.get("/dicomweb/studies/" + study.studyUid + "/series?Modality=SEG", admin);
    assertEquals(204, seg.statusCode(), seg.body());

    // The FSE link's FHIR Bundle names the primary model and not the shadow one.
    JsonObject link = new JsonObject(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + fx.hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", study.studyUid).encode())).build()).body());
    String fhir = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/l/" + link.getString("token") + "/fhir"))
        .build()).body();
    assertTrue(fhir.contains(primary), fhir);
    assertFalse(fhir.contains(shadow), fhir);
  }

  /**
   * A new version run in shadow beside its primary is judged on the same series: here the same
   * network exported to TorchScript beside its ONNX primary, so they agree on every series and
   * their probabilities differ by rounding only. Only roles that may see shadow results may ask.
   */
  @Test
  void aShadowVersionsAgreementWithItsPrimaryIsMeasuredOnTheSameSeries() throws Exception {
    try (TestImago node = TestImago.start(tmp.resolve("agreement"), Map.of("inference.profileBatches", "false"))) {
      InferenceFixture fx = new InferenceFixture(node, tmp);
      String model = fx.activate(ReferenceModels.model("lesion-cls-onnx"));
      Path next = Files.createDirectories(tmp.resolve("lesion-cls-2"));
      Path torchscript = ReferenceModels.model("lesion-cls-torchscript");
      Files.writeString(next.resolve("manifest.json"), new JsonObject(Files.readString(torchscript.resolve("manifest.json")))
          .put("name", model).put("version", "2.0.0").encode());
      Files.copy(torchscript.resolve("model.pt"), next.resolve("model.pt"));
      fx.activate(next, "shadow");
      PhantomStudy study = PhantomStudy.write(tmp.resolve("agreement-study"), "PH-AG");
      assertTrue(Dcmtk.storescu("127.0.0.1", node.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
      String admin = node.token("demo", Caller.Role.ADMIN);
      eventually(Duration.ofMinutes(3), "both versions finish", () -> new JsonArray(fx.get("/inference/jobs?studyUID="
          + study.studyUid, admin).body()), jobs -> jobs.size() == 2
          && jobs.stream().allMatch(o -> ((JsonObject) o).getString("state").equals("done")));

      String path = "/inference/agreement?model=" + model + "&version=2.0.0";
      HttpResponse<String> r = fx.get(path, admin);
      assertEquals(200, r.statusCode(), r.body());
      JsonObject agreement = new JsonObject(r.body());
      assertEquals("1.0.0", agreement.getString("against"), "the primary by default");
      assertEquals(1, agreement.getInteger("pairs"), agreement.encode());
      assertEquals(1.0, agreement.getDouble("agreement"), agreement.encode());
      assertTrue(agreement.getDouble("meanProbabilityDifference") < 1e-3, agreement.encode());
      assertEquals("demo", agreement.getString("hospitals"));
      assertEquals(1, new JsonObject(fx.get(path, node.token("demo", Caller.Role.REGION)).body()).getInteger("pairs"));
      assertEquals(0, new JsonObject(fx.get(path, node.token("other", Caller.Role.ADMIN)).body()).getInteger("pairs"),
          "another hospital's admin counts its own series only");
      assertEquals(404, fx.get(path, node.token("demo", Caller.Role.RADIOLOGIST)).statusCode(), "not a role that judges models");
      assertEquals(404, fx.get("/inference/agreement?model=" + model + "&version=9.9.9", node.token("demo", Caller.Role.RADIOLOGIST))
          .statusCode(), "the same answer whether the version exists or not");
      assertEquals(400, fx.get(path + "&against=2.0.0", admin).statusCode());
      assertEquals(409, fx.get("/inference/agreement?model=" + model + "&version=1.0.0", admin).statusCode(),
          "the primary has no other primary to be compared with");
    }
  }
}
