package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In headless Chromium, OHIF 3.13.2 shows each kind of AI result where the radiologist looks: a
 * detector's boxes drawn over the image where the job put them (and listed in the measurement
 * panel), a classifier's finding in words on the image, a segmenter's nodule coloured over the CT;
 * signed in and through an FSE link. Screenshots stay in target/viewer-findings.
 */
class ViewerFindingsTest {
  private static final Path OUT = Path.of("target", "viewer-findings").toAbsolutePath();

  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"), Map.of("inference.profileBatches", "false"));
    fx = new InferenceFixture(imago, tmp);
    fx.activate(ReferenceModels.model(DetectionTest.DETECTOR));
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void aDetectorsBoxesAreDrawnOverTheImageAndListedAsMeasurementsSignedInAndThroughAnFseLink() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-VF");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 1), "lesion-det");
    assertEquals("done", job.getString("state"), job.encodePrettily());
    JsonArray regions = job.getJsonObject("result").getJsonArray("regions");
    assertEquals(2, regions.size(), regions.encode());

    Map<String, String> signedIn = Map.of("IMAGO_TOKEN", imago.token("demo", Caller.Role.RADIOLOGIST),
        "STUDY_UID", study.studyUid);
    JsonNode viewer = browse("signed-in", signedIn);
    assertBoxDrawnOnARegion(viewer, regions, OUT.resolve("signed-in"));
    // OHIF's SR loader turns each box into a rectangle measurement, listed under the finding's name
    String panel = viewer.at("/steps/measurementPanel/text").asText();
    assertTrue(panel.contains("Measurements (2)"), "the measurement panel lists both boxes: " + panel);
    assertEquals(2, panel.split("\nLesion\n", -1).length - 1, panel);

    JsonNode linked = browse("fse-link", Map.of("LINK_URL", linkTo(study.studyUid)));
    assertBoxDrawnOnARegion(linked, regions, OUT.resolve("fse-link"));
  }

  /**
   * A classifier's finding has no region of its own: its report ties the probability to a point on
   * the image that gave it, and OHIF writes the finding in words there, on the image, signed in and
   * through an FSE link.
   */
  @Test
  void aClassifiersFindingIsWrittenOverTheImageThatGaveIt() throws Exception {
    fx.activate(ReferenceModels.model("lesion-cls-onnx"));
    PhantomStudy study = PhantomStudy.write(tmp.resolve("cls-study"), "PH-VC");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 2), "lesion-cls-onnx");
    assertEquals("done", job.getString("state"), job.encodePrettily());
    JsonObject lesion = job.getJsonObject("result").getJsonArray("findings").getJsonObject(1);
    assertTrue(lesion.getBoolean("present"), lesion.encode());

    assertFindingWrittenOnTheImage(browse("classification", Map.of("IMAGO_TOKEN", imago.token("demo", Caller.Role.RADIOLOGIST),
        "STUDY_UID", study.studyUid, "SERIES_TEXT", "AI lesion-cls-onnx 1.0.0")), job);
    assertFindingWrittenOnTheImage(browse("classification-fse-link", Map.of("LINK_URL", linkTo(study.studyUid),
        "SERIES_TEXT", "AI lesion-cls-onnx 1.0.0")), job);
  }

  /** A new FSE link to the study, as the hospital asks for one: its viewer address. */
  private static String linkTo(String studyUid) throws Exception {
    JsonObject link = new JsonObject(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + fx.hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", studyUid).encode())).build()).body());
    return imago.baseUrl() + "/l/" + link.getString("token") + "/";
  }

  /** One of the job's findings in words over the opened report, its label inside the image. */
  private static void assertFindingWrittenOnTheImage(JsonNode run, JsonObject job) {
    assertTrue(!run.has("failed"), run.toString());
    // OHIF opens the report on its first finding (label order: "no lesion", on a normal phantom)
    String text = run.at("/steps/openResult/text").asText();
    boolean said = false;
    for (Object o : job.getJsonObject("result").getJsonArray("findings")) {
      JsonObject f = (JsonObject) o;
      said |= text.contains(String.format(java.util.Locale.ROOT, "%s: %s, probability %.2f", f.getString("label"),
          f.getBoolean("present") ? "present" : "absent", f.getDouble("probability")));
    }
    assertTrue(said, "a finding in words over the image: " + text);
    // the label sits inside the image: its text box starts left of the image's right edge
    JsonNode overlays = run.at("/steps/openResult/overlays");
    JsonNode canvas = overlays.path("canvas").path(0);
    double side = Math.min(canvas.path("width").asDouble(), canvas.path("height").asDouble());
    double imageRight = canvas.path("x").asDouble() + (canvas.path("width").asDouble() + side) / 2;
    boolean labelOnImage = false;
    for (JsonNode shape : overlays.path("shapes")) {
      labelOnImage |= shape.path("tag").asText().equals("text") && shape.path("text").asText().contains("probability")
          && shape.path("x").asDouble() + 100 < imageRight;
    }
    assertTrue(labelOnImage, "the finding's label is drawn on the image: " + overlays);
  }

  /**
   * A segmenter run slice by slice on a CT series: its SEG lies in the CT's frame of reference, one
   * frame per slice it marks, equal to what Python's model marks on the same stored pixels; the
   * report beside it measures the nodule (volume, largest cross-section) in the lung. OHIF draws the
   * segment in its colour over the CT, on the nodule, signed in and through an FSE link.
   */
  @Test
  void aSegmentersNoduleIsDrawnOverTheCtAndItsReportMeasuresIt() throws Exception {
    fx.activate(ReferenceModels.model(CtPhantomStudy.MODEL));
    CtPhantomStudy ct = CtPhantomStudy.write(tmp.resolve("ct-study"), "PH-VS");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", ct.files).ok());
    JsonObject job = eventually(Duration.ofMinutes(3), "the nodule segmenter's job on the CT finishes",
        () -> fx.jobsOf(ct.studyUid).stream().map(JsonObject.class::cast)
            .filter(j -> j.getJsonObject("model").getString("name").equals("nodule-seg")).findFirst().orElse(null),
        j -> j != null && j.getString("state").matches("done|failed|dead"));
    assertEquals("done", job.getString("state"), job.encodePrettily());

    // the same voxels as Python's model on the same stored pixels, and close to the true sphere
    JsonObject reference = new JsonObject(Files.readString(ReferenceModels.model(CtPhantomStudy.MODEL).resolve("reference.json")))
        .getJsonObject("files").getJsonObject("volume");
    JsonObject nodule = job.getJsonObject("result").getJsonArray("segments").getJsonObject(0);
    long voxels = nodule.getLong("pixels");
    assertTrue(Math.abs(voxels - reference.getLong("predictedVoxels")) <= 2, nodule + " vs Python's " + reference);
    assertTrue(Math.abs(voxels - ct.volume.getLong("maskVoxels")) <= 0.25 * ct.volume.getLong("maskVoxels"),
        voxels + " voxels marked, the sphere has " + ct.volume.getLong("maskVoxels"));
    assertEquals(voxels * ct.voxelMm3(), nodule.getDouble("volumeMm3"), 1e-6, nodule.encode());
    assertTrue(nodule.getDouble("largestAreaMm2") >= voxels * ct.voxelMm3() / ct.volume.getDouble("sliceThicknessMm")
        / reference.getJsonArray("predictedSlices").size(), "the largest cross-section is at least the mean: " + nodule);

    JsonArray objects = job.getJsonObject("result").getJsonArray("objects");
    JsonObject segObject = objects.getJsonObject(0);
    assertEquals("SEG", segObject.getString("modality"));
    Path segFile = Files.write(tmp.resolve("ct-seg.dcm"),
        fx.wado(ct.studyUid, segObject.getString("seriesInstanceUID"), segObject.getString("sopInstanceUID")));
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(segFile).output()));
    AttributeList seg = new AttributeList();
    seg.read(segFile.toFile());
    AttributeList slice = new AttributeList();
    slice.read(ct.files.get(0).toFile());
    assertEquals(Attribute.getSingleStringValueOrNull(slice, TagFromName.FrameOfReferenceUID),
        Attribute.getSingleStringValueOrNull(seg, TagFromName.FrameOfReferenceUID));
    assertEquals(reference.getJsonArray("predictedSlices").size(),
        Attribute.getSingleIntegerValueOrDefault(seg, TagFromName.NumberOfFrames, 0), "one frame per marked slice");
    String segment = seg.get(TagFromName.SegmentSequence).toString();
    assertTrue(segment.contains("39607008"), "the segment lies in the lung (Anatomic Region): " + segment);

    JsonObject report = objects.getJsonObject(1);
    assertEquals("SR", report.getString("modality"));
    Path srFile = Files.write(tmp.resolve("ct-seg-sr.dcm"),
        fx.wado(ct.studyUid, report.getString("seriesInstanceUID"), report.getString("sopInstanceUID")));
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(srFile).output()));
    String dump = Dcmtk.dsrdump(srFile).output();
    for (String expected : List.of("TEXT:(,,\"Tracking Identifier\")=\"nodule\"", "CODE:(,,\"Finding\")=(27925004,SCT,\"Nodule\")",
        "CODE:(,,\"Finding Site\")=(39607008,SCT,\"Lung structure\")", "NUM:(,,\"Volume\")=", "NUM:(,,\"Area\")=",
        "IMAGE:(,,\"Referenced Segment\")")) {
      assertTrue(dump.contains(expected), expected + " missing in\n" + dump);
    }

    Map<String, String> segmentation = Map.of("SERIES_TEXT", "AI nodule-seg 1.0.0", "SEGMENT_RGB", "255,64,64");
    Map<String, String> signedIn = new java.util.HashMap<>(segmentation);
    signedIn.putAll(Map.of("IMAGO_TOKEN", imago.token("demo", Caller.Role.RADIOLOGIST), "STUDY_UID", ct.studyUid));
    assertSegmentDrawnOnTheNodule(browse("segmentation-signed-in", "/viewer/open-segmentation.cjs", signedIn), ct);
    Map<String, String> linked = new java.util.HashMap<>(segmentation);
    linked.put("LINK_URL", linkTo(ct.studyUid));
    assertSegmentDrawnOnTheNodule(browse("segmentation-fse-link", "/viewer/open-segmentation.cjs", linked), ct);
  }

  /**
   * Pixels of the segment's colour appear over the CT once the SEG is opened (none before), and
   * their centroid, taken back to image pixels (OHIF fits the 64 x 64 slice to the canvas,
   * centred), is the nodule's centre within two pixels.
   */
  private static void assertSegmentDrawnOnTheNodule(JsonNode run, CtPhantomStudy ct) {
    assertTrue(!run.has("failed"), run.toString());
    assertEquals(0, run.at("/steps/before/pixels").asInt(), "nothing of the segment's colour before it is opened: " + run);
    JsonNode tint = run.at("/steps/openSegmentation/tint");
    assertTrue(run.at("/steps/openSegmentation/drawn").asBoolean() && tint.path("pixels").asInt() > 20,
        "the segment is drawn: " + run.at("/steps/openSegmentation"));
    JsonNode canvas = tint.path("canvas").path(0);
    double scale = Math.min(canvas.path("width").asDouble(), canvas.path("height").asDouble()) / 64;
    double left = canvas.path("x").asDouble() + (canvas.path("width").asDouble() - 64 * scale) / 2;
    double top = canvas.path("y").asDouble() + (canvas.path("height").asDouble() - 64 * scale) / 2;
    double column = (tint.path("x").asDouble() - left) / scale - 0.5;
    double row = (tint.path("y").asDouble() - top) / scale - 0.5;
    assertTrue(Math.hypot(column - ct.volume.getDouble("centreColumn"), row - ct.volume.getDouble("centreRow")) < 2,
        "the segment's colour centres on (" + column + ", " + row + "), the nodule on (" + ct.volume.getDouble("centreColumn")
            + ", " + ct.volume.getDouble("centreRow") + ")");
  }

  /**
   * The opened report's box: a polyline over the viewport whose corners, taken back to image
   * pixels (OHIF fits the 64 x 64 phantom to the canvas, centred), are one of the job's boxes
   * within a pixel; and the screenshot holds the overlay's green along it.
   */
  private static void assertBoxDrawnOnARegion(JsonNode run, JsonArray regions, Path out) throws Exception {
    assertTrue(!run.has("failed"), run.toString());
    JsonNode overlays = run.at("/steps/openResult/overlays");
    JsonNode canvas = overlays.path("canvas").path(0);
    JsonNode box = null;
    for (JsonNode shape : overlays.path("shapes")) if (shape.path("tag").asText().equals("polyline")) box = shape;
    assertTrue(box != null, "no box drawn: " + overlays);
    double scale = Math.min(canvas.path("width").asDouble(), canvas.path("height").asDouble()) / 64;
    double left = canvas.path("x").asDouble() + (canvas.path("width").asDouble() - 64 * scale) / 2;
    double top = canvas.path("y").asDouble() + (canvas.path("height").asDouble() - 64 * scale) / 2;
    double[] drawn = {(box.path("x").asDouble() - left) / scale, (box.path("y").asDouble() - top) / scale,
        (box.path("x").asDouble() + box.path("width").asDouble() - left) / scale,
        (box.path("y").asDouble() + box.path("height").asDouble() - top) / scale};
    boolean matches = false;
    for (Object o : regions) {
      JsonArray b = ((JsonObject) o).getJsonArray("box");
      boolean close = true;
      for (int k = 0; k < 4; k++) close &= Math.abs(b.getDouble(k) - drawn[k]) < 1.0;
      matches |= close;
    }
    assertTrue(matches, "the drawn box " + java.util.Arrays.toString(drawn) + " is none of " + regions.encode());
    assertTrue(run.at("/steps/openResult/text").asText().contains("Certainty of Finding: 0.70"), run.toString());

    BufferedImage shot = ImageIO.read(out.resolve("result-opened.png").toFile());
    int green = 0;
    int x0 = (int) box.path("x").asDouble() - 2;
    int y0 = (int) box.path("y").asDouble() - 2;
    int x1 = (int) (box.path("x").asDouble() + box.path("width").asDouble()) + 2;
    int y1 = (int) (box.path("y").asDouble() + box.path("height").asDouble()) + 2;
    for (int y = Math.max(0, y0); y < Math.min(shot.getHeight(), y1); y++) {
      for (int x = Math.max(0, x0); x < Math.min(shot.getWidth(), x1); x++) {
        int rgb = shot.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (g > 180 && r < 90 && b < 90) green++;
      }
    }
    // a dashed 1-pixel outline of about 4 x 107 px: a few hundred pixels of the overlay's green
    assertTrue(green > 100, "only " + green + " overlay-green pixels on the box in " + out.resolve("result-opened.png"));
  }

  private static JsonNode browse(String name, Map<String, String> how) throws Exception {
    return browse(name, "/viewer/open-findings.cjs", how);
  }

  private static JsonNode browse(String name, String scriptResource, Map<String, String> how) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(Map.of("IMAGO_URL", imago.baseUrl(), "SERIES_TEXT", "AI lesion-det 1.0.0",
        "RENDER_TIMEOUT_MS", "90000"));
    env.putAll(how); // may name another SERIES_TEXT
    return BrowserScript.run(scriptResource, OUT.resolve(name), "run", Duration.ofMinutes(4), env);
  }

}
