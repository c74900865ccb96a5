package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.testkit.Dcmtk;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference detector (models/reference: the lesion segmenter with a detection head) on the four held-out
 * phantoms, two with a lesion: its job ends done; a box holds each lesion's centre (phantoms.json
 * gives it) and none lands on a normal phantom; the SR carries each box as an Image Region SCOORD
 * selected from its image, and passes dciodvfy and dsrdump.
 */
class DetectionTest {
  static final String DETECTOR = "lesion-det-torchscript";

  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    fx = new InferenceFixture(imago, tmp);
    fx.activate(ReferenceModels.model(DETECTOR));
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void boxesLandOnTheLesionsAndTheReportCarriesThem() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-DET");
    Dcmtk.Result push = Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files);
    assertTrue(push.ok(), push.output());

    JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 1), "lesion-det");
    assertEquals("done", job.getString("state"), job.encodePrettily());
    JsonObject result = job.getJsonObject("result");
    assertEquals("detection", result.getString("task"));
    JsonArray images = new JsonObject(Files.readString(ReferenceModels.model(DETECTOR)
        .resolve("phantom-raw/phantoms.json"))).getJsonArray("images");
    JsonArray regions = result.getJsonArray("regions");
    List<String> lesionSops = new ArrayList<>();
    for (int k = 0; k < images.size(); k++) {
      JsonObject phantom = images.getJsonObject(k);
      String sop = study.sopInstanceUids.get(k);
      List<JsonObject> mine = new ArrayList<>();
      for (Object o : regions) if (((JsonObject) o).getString("sopInstanceUID").equals(sop)) mine.add((JsonObject) o);
      if (!phantom.getBoolean("lesion")) {
        assertEquals(List.of(), mine, "no box on normal phantom " + k);
        continue;
      }
      lesionSops.add(sop);
      assertEquals(1, mine.size(), "one box on lesion phantom " + k + ": " + mine);
      JsonArray box = mine.get(0).getJsonArray("box");
      // the centre in SCOORD coordinates: pixel (row, column)'s centre is (column + 0.5, row + 0.5)
      double x = phantom.getDouble("column") + 0.5;
      double y = phantom.getDouble("row") + 0.5;
      assertTrue(box.getDouble(0) <= x && x <= box.getDouble(2) && box.getDouble(1) <= y && y <= box.getDouble(3),
          "phantom " + k + "'s lesion at (" + x + ", " + y + ") is outside " + box);
      assertTrue(box.getDouble(2) - box.getDouble(0) < 32, "a box around a lesion, not the image: " + box);
    }
    assertEquals(2, lesionSops.size());
    JsonObject finding = result.getJsonArray("findings").getJsonObject(0);
    assertEquals("lesion", finding.getString("label"));
    assertTrue(finding.getBoolean("present"), finding.encode());

    JsonObject sr = result.getJsonArray("objects").getJsonObject(0);
    Path file = tmp.resolve("detections.dcm");
    Files.write(file, fx.wado(study.studyUid, sr.getString("seriesInstanceUID"), sr.getString("sopInstanceUID")));
    Dcmtk.Result verify = Dcmtk.dciodvfy(file);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify.output());
    Dcmtk.Result dumped = Dcmtk.dsrdump(file, "+Pu", "+Pl");
    assertTrue(dumped.ok(), dumped::toString);
    String dump = dumped.output();
    // each box twice: at group level (TID 1410, what OHIF draws) and under its probability (what OHIF lists)
    assertEquals(4, dump.split("\"Image Region\"\\)=\\(POLYLINE", -1).length - 1, dump);
    List<String> selectedFrom = dump.lines().filter(l -> l.contains("<selected from IMAGE:")).toList();
    assertEquals(4, selectedFrom.size(), dump);
    for (String sop : lesionSops) {
      assertTrue(selectedFrom.stream().anyMatch(l -> l.contains(sop)), "a box is selected from " + sop + ": " + dump);
    }
    // the hospital sees the result among the study's AI results
    String hospital = imago.token("demo", Caller.Role.HOSPITAL);
    assertTrue(fx.get("/inference/studies/" + study.studyUid + "/ai-results", hospital).body().contains("\"regions\""));
  }
}
