package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import imago.core.synthetic.ChestPhantoms;
import imago.core.tenant.Caller;
import imago.models.registry.ModelRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Judging model versions on a research cohort (issue 18): the reference lesion classifier and
 * detector on synthetic chest radiographs whose lesions the generator placed, so the labels are
 * known. A researcher exports the cohort, labels it by the project's UIDs, and evaluates; the
 * figures are checked against scikit-learn on the same scores, and the promotion gate holds a
 * worse version back until the region overrides it with a reason.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvaluationTest {
  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;
  static ResearchFixture research;
  static final int STUDIES = 24;
  static final String CLASSIFIER = "lesion-cls-onnx";
  static final String DETECTOR = "lesion-det"; // models/reference lesion-det-torchscript
  static final String PROJECT = "lesion-eval";
  /** Source study UID -> whether it has a lesion, and its box. */
  static final Map<String, ChestPhantoms.Study> SOURCES = new HashMap<>();
  static String gina;
  static String region;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    fx = new InferenceFixture(imago, tmp);
    research = new ResearchFixture(imago);
    fx.activate(ReferenceModels.model(CLASSIFIER)); // 1.0.0, the primary
    ModelRegistry registry = imago.imago.models();
    Caller researcher = new Caller("researcher@demo", "demo", Caller.Role.RESEARCHER);
    // 2.0.0: the same network fed images normalised wrongly, so worse; 1.1.0: the same as the primary
    JsonObject manifest = new JsonObject(Files.readString(ReferenceModels.model(CLASSIFIER).resolve("manifest.json")));
    JsonObject worse = manifest.copy().put("version", "2.0.0");
    worse.getJsonObject("preprocessing").getJsonObject("normalise").put("mean", new JsonArray().add(2.5));
    register(registry, researcher, worse, ReferenceModels.model(CLASSIFIER).resolve("model.onnx"));
    register(registry, researcher, manifest.copy().put("version", "1.1.0"), ReferenceModels.model(CLASSIFIER).resolve("model.onnx"));
    register(registry, researcher, new JsonObject(Files.readString(ReferenceModels.model(DetectionTest.DETECTOR)
        .resolve("manifest.json"))), ReferenceModels.model(DetectionTest.DETECTOR).resolve("model.pt"));

    List<byte[]> parts = new ArrayList<>();
    for (int i = 0; i < STUDIES; i++) {
      ChestPhantoms.Study s = ChestPhantoms.radiograph(new ChestPhantoms.Patient("EVAL-" + i, "Eval^" + i, "F", "19700101"),
          i % 2 == 0, 7000 + i);
      SOURCES.put(s.studyUid(), s);
      parts.addAll(s.instances());
    }
    assertEquals(200, imago.stow(imago.token("demo", Caller.Role.HOSPITAL), null, parts).statusCode());
    gina = imago.imago.auth().mint("gina", "demo", Caller.Role.RESEARCHER, Duration.ofHours(1));
    region = imago.token("demo", Caller.Role.REGION);
    assertEquals(201, post(gina, "/research", new JsonObject().put("name", PROJECT)
        .put("cohort", new JsonObject().put("ModalitiesInStudy", "CR"))).statusCode());
    assertEquals(200, post(imago.token("demo", Caller.Role.ADMIN), "/research/" + PROJECT + "/consent", null).statusCode());
  }

  @AfterAll
  static void stop() {
    imago.close();
  }

  static void register(ModelRegistry registry, Caller researcher, JsonObject manifest, Path artifact) throws Exception {
    Path copy = Files.createTempDirectory(tmp, "upload").resolve(artifact.getFileName());
    Files.copy(artifact, copy);
    var reg = registry.register(researcher, manifest.encode().getBytes(StandardCharsets.UTF_8), copy);
    assertEquals("validated", reg.version().state().id(), String.valueOf(reg.version().reason()));
  }

  static HttpResponse<String> post(String token, String path, JsonObject body) throws Exception {
    return research.post(token, path, body);
  }

  static HttpResponse<String> get(String token, String path) throws Exception {
    return research.get(token, path);
  }

  /**
   * The researcher's side: export the cohort, recognise each image by its pixels (which
   * de-identification leaves as they are), and label it by the project's UIDs: a study-level
   * label for the classifier, and the lesion's box (or its absence) on the image for the detector.
   */
  /**
   * The researcher's side: export the cohort, recognise each image, and label it by the project's
   * UIDs: a study-level label for the classifier, the lesion's box (or its absence) for the detector.
   * A file with one bad line is refused whole.
   */
  @Test
  @Order(1)
  void theResearcherLabelsTheExportedCohort() throws Exception {
    String csv = ResearchFixture.labels(research.export(gina, PROJECT), SOURCES.values(), true);
    HttpResponse<String> put = research.postCsv(gina, "/research/" + PROJECT + "/labels", csv);
    assertEquals(201, put.statusCode(), put.body());
    assertEquals(STUDIES * 2, new JsonObject(put.body()).getInteger("stored"));

    String firstLine = csv.lines().skip(1).findFirst().orElseThrow();
    HttpResponse<String> bad = research.postCsv(gina, "/research/" + PROJECT + "/labels",
        "study,instance,finding,present\n2.25.1,,lesion,1\n" + firstLine + "\n");
    assertEquals(422, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("line 2") && bad.body().contains("no study 2.25.1"), bad.body());
    assertEquals(STUDIES * 2, get(gina, "/research/" + PROJECT + "/labels").body().lines().count() - 1, "a refused upload stores nothing");
  }

  /** Starts an evaluation as gina and waits for its report. */
  static JsonObject evaluate(String model, String version) throws Exception {
    String base = "/models/" + model + "/versions/" + version + "/evaluations";
    HttpResponse<String> started = post(gina, base, new JsonObject().put("project", PROJECT));
    assertEquals(202, started.statusCode(), started.body());
    long id = new JsonObject(started.body()).getLong("id");
    JsonObject done = eventually(Duration.ofMinutes(4), "evaluation " + id + " of " + model + " " + version + " finishes",
        () -> new JsonObject(get(gina, base + "/" + id).body()), e -> !e.getString("state").equals("running"));
    assertEquals("done", done.getString("state"), done.encodePrettily());
    return done;
  }

  static JsonObject finding(JsonObject evaluation) {
    return evaluation.getJsonObject("report").getJsonArray("findings").getJsonObject(0);
  }

  @Test
  @Order(2)
  void aWorseVersionIsJudgedBesideThePrimaryAndHeldBackUntilOverridden() throws Exception {
    JsonObject e = evaluate(CLASSIFIER, "2.0.0");
    JsonObject report = e.getJsonObject("report");
    assertEquals("1.0.0", report.getString("baseline"));
    JsonObject lesion = finding(e);
    assertEquals("study", lesion.getString("level"));
    assertEquals(STUDIES, lesion.getInteger("cases"));
    assertEquals(STUDIES / 2, lesion.getInteger("positives"));
    JsonObject primary = lesion.getJsonObject("baseline");
    JsonObject candidate = lesion.getJsonObject("candidate");

    // the primary's figures, recomputed by scikit-learn from the scores its jobs wrote
    List<Double> scores = new ArrayList<>();
    List<Boolean> truth = new ArrayList<>();
    for (ChestPhantoms.Study s : SOURCES.values()) {
      double best = -1;
      for (Object o : new JsonArray(get(region, "/inference/jobs?studyUID=" + s.studyUid()).body())) {
        JsonObject job = (JsonObject) o;
        if (!job.getString("model", "").equals(CLASSIFIER) && !job.encode().contains("\"" + CLASSIFIER + "\"")) continue;
        JsonObject result = job.getJsonObject("result");
        if (result == null || !"1.0.0".equals(result.getJsonObject("model").getString("version"))) continue;
        for (Object f : result.getJsonArray("findings")) {
          if (((JsonObject) f).getString("label").equals("lesion")) best = Math.max(best, ((JsonObject) f).getDouble("probability"));
        }
      }
      assertTrue(best >= 0, "the primary scored " + s.studyUid());
      scores.add(best);
      truth.add(s.lesionBox() != null);
    }
    JsonObject sklearn = sklearn(scores, truth, primary.getDouble("threshold", lesion.getDouble("threshold")));
    assertEquals(sklearn.getDouble("auc"), primary.getJsonObject("auc").getDouble("value"), 1e-9);
    assertEquals(sklearn.getDouble("sensitivity"), primary.getJsonObject("sensitivity").getDouble("value"), 1e-9);
    assertEquals(sklearn.getDouble("specificity"), primary.getJsonObject("specificity").getDouble("value"), 1e-9);
    assertTrue(primary.getJsonObject("auc").getDouble("value") > 0.9, primary.encode());
    assertTrue(primary.getJsonObject("auc").getDouble("low") <= primary.getJsonObject("auc").getDouble("value"));

    JsonObject comparison = report.getJsonObject("comparison");
    assertTrue(candidate.getJsonObject("auc").getDouble("value") < primary.getJsonObject("auc").getDouble("value") - 0.02,
        comparison.encode());
    assertTrue(comparison.getBoolean("worse"), comparison.encode());

    HttpResponse<String> plot = get(gina, e.getString("plot"));
    assertEquals(200, plot.statusCode());
    assertTrue(plot.body().startsWith("<svg") && plot.body().contains("ROC") && plot.body().contains("primary 1.0.0"), plot.body());

    // the gate: refused with the figures, then overridden with a reason that the history and the audit keep
    String activate = "/models/" + CLASSIFIER + "/versions/2.0.0/activate";
    HttpResponse<String> refused = post(region, activate, new JsonObject().put("mode", "primary"));
    assertEquals(409, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("promotion-refused") && refused.body().contains("AUC"), refused.body());
    assertEquals(200, post(region, activate, new JsonObject().put("mode", "shadow")).statusCode(), "a shadow is no promotion");
    HttpResponse<String> overridden = post(region, activate, new JsonObject().put("mode", "primary")
        .put("override", "site calibration differs; accepted by the clinical board"));
    assertEquals(200, overridden.statusCode(), overridden.body());
    JsonObject version = new JsonObject(get(region, "/models/" + CLASSIFIER + "/versions/2.0.0").body());
    assertEquals("primary", version.getString("mode"));
    assertTrue(version.getJsonArray("history").encode().contains("accepted by the clinical board"), version.encode());
    HttpResponse<String> audit = get(imago.token("demo", Caller.Role.ADMIN), "/admin/audit?action=model.promote.override");
    assertTrue(audit.body().contains("model.promote.override"), audit.body());
  }

  @Test
  @Order(3)
  void aVersionNotWorseThanThePrimaryIsPromotedWithoutOverride() throws Exception {
    JsonObject e = evaluate(CLASSIFIER, "1.1.0");
    JsonObject comparison = e.getJsonObject("report").getJsonObject("comparison");
    assertEquals("2.0.0", e.getString("baseline"), "the primary is now the overridden 2.0.0");
    assertFalse(comparison.getBoolean("worse"), comparison.encode());
    assertTrue(comparison.getDouble("difference") > 0, comparison.encode());
    assertEquals(200, post(region, "/models/" + CLASSIFIER + "/versions/1.1.0/activate", new JsonObject().put("mode", "primary"))
        .statusCode());
  }

  @Test
  @Order(4)
  void aDetectorGetsItsFrocCurve() throws Exception {
    JsonObject e = evaluate(DETECTOR, "1.0.0");
    assertNull(e.getString("baseline"), "no primary detector: the candidate alone");
    JsonObject lesion = finding(e);
    assertEquals(STUDIES, lesion.getInteger("images"));
    assertEquals(STUDIES / 2, lesion.getInteger("lesions"));
    JsonObject c = lesion.getJsonObject("candidate");
    JsonArray at = c.getJsonArray("sensitivityAt");
    assertEquals(7, at.size());
    assertTrue(at.getJsonObject(6).getDouble("sensitivity") >= at.getJsonObject(0).getDouble("sensitivity"));
    assertTrue(c.getDouble("meanSensitivity") > 0.5, c.encode());
    assertNull(e.getJsonObject("report").getJsonObject("comparison"));
    HttpResponse<String> plot = get(gina, e.getString("plot"));
    assertTrue(plot.body().contains("FROC"), plot.body());
    // a researcher of no project, and a radiologist, see no evaluation
    String stranger = imago.imago.auth().mint("henry", "demo", Caller.Role.RESEARCHER, Duration.ofHours(1));
    assertEquals(404, get(stranger, "/models/" + DETECTOR + "/versions/1.0.0/evaluations/" + e.getLong("id")).statusCode());
    assertEquals(404, post(stranger, "/models/" + DETECTOR + "/versions/1.0.0/evaluations", new JsonObject().put("project", PROJECT))
        .statusCode());
  }

  /**
   * The console's research side in Chromium: the admin consents and keeps an opt-out, the
   * researcher exports and reads the worse version's evaluation with its plot, the region meets
   * the gate on that version and overrides it with a reason.
   */
  @Test
  @Order(5)
  void theConsoleShowsProjectsEvaluationsAndTheGate() throws Exception {
    assertEquals(201, post(gina, "/research", new JsonObject().put("name", "waiting-for-demo")).statusCode());
    JsonNode run = BrowserScript.run("/console/research-console.cjs", tmp.resolve("browser"), "research", Duration.ofMinutes(4),
        Map.of("IMAGO_URL", imago.baseUrl(), "ADMIN_TOKEN", imago.token("demo", Caller.Role.ADMIN), "RESEARCHER_TOKEN", gina,
            "REGION_TOKEN", region, "PROJECT", PROJECT, "INVITED", "waiting-for-demo", "MODEL", CLASSIFIER, "WORSE", "2.0.0"));
    assertFalse(run.has("failed"), run.toString());
    assertEquals(0, run.get("pageErrors").size(), run.get("pageErrors").toString());
    JsonNode admin = run.at("/steps/admin");
    assertTrue(admin.get("nav").toString().contains("research"), admin.toString());
    assertTrue(admin.get("before").asText().contains("invited") && admin.get("after").asText().contains("consented"), admin.toString());
    assertTrue(admin.get("optOut").asText().contains(PROJECT), admin.toString());
    JsonNode researcher = run.at("/steps/researcher");
    assertTrue(researcher.get("exported").asText().startsWith(PROJECT + ".zip"), researcher.toString());
    assertTrue(researcher.get("evaluation").asText().contains("AUC"), researcher.toString());
    assertEquals("worse", researcher.get("verdict").asText(), researcher.toString());
    assertEquals(480, researcher.get("plotWidth").asInt());
    assertTrue(researcher.get("form").asBoolean(), "a researcher creates projects here");
    assertFalse(researcher.get("evaluateForm").asBoolean(), "2.0.0 is retired by now: no evaluation is offered");
    JsonNode gate = run.at("/steps/region");
    assertTrue(gate.get("refused").asText().contains("Worse than the primary"), gate.toString());
    assertTrue(gate.get("after").asText().contains("primary"), gate.toString());
    JsonObject version = new JsonObject(get(region, "/models/" + CLASSIFIER + "/versions/2.0.0").body());
    assertTrue(version.getJsonArray("history").encode().contains("approved by the board"), version.encode());
  }

  /** AUC, sensitivity and specificity at {@code threshold}, from scikit-learn. */
  static JsonObject sklearn(List<Double> scores, List<Boolean> truth, double threshold) throws Exception {
    Path script = tmp.resolve("sk.py");
    Files.writeString(script, """
        import json, sys
        import numpy as np
        from sklearn.metrics import roc_auc_score, recall_score
        d = json.load(open(sys.argv[1])); s = np.array(d["scores"]); y = np.array(d["truth"]).astype(int)
        p = (s >= d["threshold"]).astype(int)
        print(json.dumps({"auc": roc_auc_score(y, s), "sensitivity": recall_score(y, p), "specificity": recall_score(1 - y, 1 - p)}))
        """);
    Path data = tmp.resolve("sk.json");
    Files.writeString(data, new JsonObject().put("scores", new JsonArray(scores)).put("truth", new JsonArray(truth))
        .put("threshold", threshold).encode());
    Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), data.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return new JsonObject(out.lines().reduce((a, b) -> b).orElseThrow());
  }
}
