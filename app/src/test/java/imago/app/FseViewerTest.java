package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end in headless Chromium: a study pushed with storescu gets the reference classifier's SR;
 * an FSE link to it opens the OHIF viewer without any login, the images are drawn, the series panel
 * lists the AI result, and revoking the link cuts the open viewer off at its next request.
 */
class FseViewerTest {
  private static final Path OUT = Path.of("target", "viewer").toAbsolutePath();

  @TempDir static Path tmp;
  static TestImago imago;

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  static Path playwright() {
    Path playwright = ReferenceModels.repoRoot().resolve(".cache/playwright/node_modules/playwright-core");
    assertTrue(Files.isDirectory(playwright), "playwright-core is missing: run scripts/setup.sh --test");
    return playwright;
  }

  static synchronized TestImago imago() throws Exception {
    if (imago == null) imago = TestImago.start(tmp.resolve("data"), Map.of("inference.profileBatches", "false"));
    return imago;
  }

  @Test
  void iidForAPatientOpensTheStudyListOnThatPatient() throws Exception {
    TestImago imago = imago();
    PhantomStudy study = PhantomStudy.write(tmp.resolve("iid-study"), "PH-I");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    JsonNode run = BrowserScript.run("/viewer/open-iid.cjs", OUT, "iid", Duration.ofMinutes(3), Map.of("IMAGO_URL",
        imago.baseUrl(), "IMAGO_TOKEN", imago.token("demo", Caller.Role.RADIOLOGIST),
        "IID_PATH", "/IHEInvokeImageDisplay?requestType=PATIENT&patientID=PH-I"));
    boolean askedForThePatient = false;
    // OHIF's study list asks QIDO-RS by tag, with wildcards around what it was given
    for (JsonNode q : run.path("qido")) askedForThePatient |= q.asText().contains("00100020=*PH-I*");
    assertTrue(askedForThePatient, "OHIF's study list searched for the patient: " + run);
    assertTrue(run.path("text").asText().contains("PH-I"), "the patient's study is listed: " + run);
  }

  @Test
  void aLinkOpensTheViewerOnTheStudyWithItsAiResultAndRevocationCutsItOff() throws Exception {
    TestImago imago = imago();
    InferenceFixture fx = new InferenceFixture(imago, tmp);
    fx.activate(ReferenceModels.model("lesion-cls-onnx"));
    fx.activate(ReferenceModels.model("lesion-seg-onnx"));
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-V");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    var jobs = fx.awaitJobs(study.studyUid, 2);
    for (String model : List.of("lesion-cls-onnx", "lesion-seg-onnx")) {
      JsonObject job = fx.jobOf(jobs, model);
      assertEquals("done", job.getString("state"), job.encodePrettily());
    }

    JsonObject link = new JsonObject(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + fx.hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", study.studyUid).encode())).build()).body());
    JsonNode run = BrowserScript.run("/viewer/open-link.cjs", OUT, "link", Duration.ofMinutes(4), Map.of("IMAGO_URL",
        imago.baseUrl(), "LINK_URL", imago.baseUrl() + "/l/" + link.getString("token") + "/",
        "REVOKE_URL", imago.baseUrl() + "/fse/links/" + link.getLong("id"), "HOSPITAL_TOKEN", fx.hospital,
        "EXPECT_TEXT", "AI lesion-cls-onnx 1.0.0", "RENDER_TIMEOUT_MS", "90000"));
    JsonNode opened = run.at("/steps/opened");
    assertEquals(study.studyUid, opened.path("study").asText(), run.toString());
    assertEquals("", opened.path("hashLeft").asText(), "the token leaves the address bar");
    assertEquals(imago.baseUrl() + "/l/{token}/dicomweb", opened.path("qidoRoot").asText());
    assertTrue(run.at("/steps/render/rendered").asBoolean(), "viewport blank: " + run);
    assertTrue(run.at("/steps/seriesPanel/found").asBoolean(), "the SR series is not listed: " + run.at("/steps/seriesPanel"));
    assertTrue(run.at("/steps/seriesPanel/text").asText().contains("AI lesion-seg-onnx 1.0.0"),
        "the SEG series is not listed: " + run.at("/steps/seriesPanel"));
    for (JsonNode rq : run.path("requests")) {
      String path = rq.path("path").asText();
      if (path.contains("/dicomweb/")) {
        assertTrue(path.startsWith("/l/{token}/dicomweb/"), "the viewer reads through the link only: " + path);
        assertTrue(rq.path("authorization").isNull(), "no bearer token in link mode: " + rq);
      }
    }
    assertEquals(204, run.at("/steps/afterRevoke/revokeStatus").asInt(), run.toString());
    assertEquals(401, run.at("/steps/afterRevoke/dicomwebStatus").asInt(), "the open viewer is cut off: " + run);
  }
}
