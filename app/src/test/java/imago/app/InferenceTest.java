package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.events.Events;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study pushed with storescu gets every matching active model's results: SR (TID 1500) for the
 * classifiers in each engine, SEG for the segmenter, each equal to Python's output for the same
 * pixels, checked by dciodvfy and dsrdump, found by QIDO and retrieved by WADO.
 */
class InferenceTest {
  static final List<String> CLASSIFIERS = List.of("lesion-cls-torchscript", "lesion-cls-onnx", "lesion-cls-keras");
  static final String SEGMENTER = "lesion-seg-torchscript";

  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;
  static String hospital;

  @BeforeAll
  static void start() throws Exception {
    // The manifests' batch limits as written (no load-time profile), so batching is the same on every machine.
    imago = TestImago.start(tmp.resolve("data"), Map.of("inference.retryBackoff", "PT0.2S", "inference.profileBatches", "false"));
    fx = new InferenceFixture(imago, tmp);
    hospital = fx.hospital;
    for (String m : CLASSIFIERS) fx.activate(ReferenceModels.model(m));
    fx.activate(ReferenceModels.model(SEGMENTER));
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  static double[] softmax(float a, float b) {
    double m = Math.max(a, b);
    double ea = Math.exp(a - m);
    double eb = Math.exp(b - m);
    return new double[] {ea / (ea + eb), eb / (ea + eb)};
  }

  static String modelName(String dir) throws Exception {
    return new JsonObject(Files.readString(ReferenceModels.model(dir).resolve("manifest.json"))).getString("name");
  }

  @Test
  void aStudyPushedWithStorescuGetsEachModelsResultEqualToPython() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study-a"), "PH-A");
    List<JsonObject> scheduled = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> scheduling = imago.imago.vertx().eventBus().<JsonObject>consumer(Events.STUDY_SCHEDULED,
        m -> {
          if (study.studyUid.equals(m.body().getString("studyUid"))) scheduled.add(m.body());
        });
    scheduling.completion().await();
    Dcmtk.Result push = Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files);
    assertTrue(push.ok(), push.output());
    JsonArray jobs = fx.awaitJobs(study.studyUid, CLASSIFIERS.size() + 1);
    assertEquals(CLASSIFIERS.size() + 1, jobs.size(), "one job per matching model: " + jobs.encodePrettily());

    for (String dir : CLASSIFIERS) {
      JsonObject job = fx.jobOf(jobs, modelName(dir));
      assertEquals("done", job.getString("state"), job.encodePrettily());
      JsonObject result = job.getJsonObject("result");
      ReferenceModels.Pair python = ReferenceModels.pair(dir, "phantom");
      JsonArray images = result.getJsonArray("images");
      assertEquals(4, images.size());
      double bestLesion = 0;
      for (int k = 0; k < 4; k++) {
        JsonObject image = images.getJsonObject(k);
        int index = study.sopInstanceUids.indexOf(image.getString("sopInstanceUID"));
        double[] want = softmax(python.out()[index * 2], python.out()[index * 2 + 1]);
        JsonArray got = image.getJsonArray("probabilities");
        for (int l = 0; l < 2; l++) {
          assertEquals(want[l], got.getDouble(l), 1e-4, dir + " phantom " + index + " label " + l);
        }
        bestLesion = Math.max(bestLesion, want[1]);
      }
      JsonObject lesion = result.getJsonArray("findings").getJsonObject(1);
      assertEquals("lesion", lesion.getString("label"));
      assertEquals(bestLesion, lesion.getDouble("probability"), 1e-4);

      // The SR is in the study: QIDO finds its series, WADO returns it, dciodvfy and dsrdump accept it.
      JsonObject sr = result.getJsonArray("objects").getJsonObject(0);
      assertEquals("SR", sr.getString("modality"));
      HttpResponse<String> qido = fx.get("/dicomweb/studies/" + study.studyUid + "/series?Modality=SR", hospital);
      assertEquals(200, qido.statusCode(), qido.body());
      assertTrue(qido.body().contains(sr.getString("seriesInstanceUID")), qido.body());
      Path file = tmp.resolve(dir + "-sr.dcm");
      Files.write(file, fx.wado(study.studyUid, sr.getString("seriesInstanceUID"), sr.getString("sopInstanceUID")));
      Dcmtk.Result verify = Dcmtk.dciodvfy(file);
      assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify.output());
      Dcmtk.Result dumped = Dcmtk.dsrdump(file);
      assertTrue(dumped.ok(), dumped::toString);
      String dump = dumped.output();
      assertTrue(dump.contains("Lesion"), dump);
      assertTrue(dump.contains(modelName(dir)), "the SR names the model: " + dump);
      java.util.regex.Matcher num = java.util.regex.Pattern.compile("NUM:\\(,,\"Certainty of Finding\"\\)=\"([-0-9.eE+]+)\"")
          .matcher(dump);
      List<Double> certainties = new ArrayList<>();
      while (num.find()) certainties.add(Double.parseDouble(num.group(1)));
      final double lesionProbability = bestLesion;
      assertTrue(certainties.stream().anyMatch(c -> Math.abs(c - lesionProbability) <= 1e-4),
          "the SR holds the probability " + bestLesion + ", dsrdump shows " + certainties + ": " + dump);
    }

    JsonObject seg = fx.jobOf(jobs, modelName(SEGMENTER));
    assertEquals("done", seg.getString("state"), seg.encodePrettily());
    JsonObject segObject = seg.getJsonObject("result").getJsonArray("objects").getJsonObject(0);
    assertEquals("SEG", segObject.getString("modality"));
    assertTrue(seg.getJsonObject("result").getJsonArray("segments").getJsonObject(0).getLong("pixels") > 0,
        "the segmenter finds the lesions: " + seg.encodePrettily());
    Path segFile = tmp.resolve("seg.dcm");
    Files.write(segFile, fx.wado(study.studyUid, segObject.getString("seriesInstanceUID"), segObject.getString("sopInstanceUID")));
    Dcmtk.Result verify = Dcmtk.dciodvfy(segFile);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify.output());
    assertTrue(Dcmtk.dcmdump(segFile).ok());
    // Beside the SEG, the report measuring it: the phantoms are radiographs (Imager Pixel Spacing
    // 0.5 mm, no stack), so the lesion has a largest cross-section of a quarter mm² a pixel and no volume.
    JsonObject lesion = seg.getJsonObject("result").getJsonArray("segments").getJsonObject(0);
    assertNull(lesion.getDouble("volumeMm3"));
    assertTrue(lesion.getDouble("largestAreaMm2") > 0 && lesion.getDouble("largestAreaMm2") <= lesion.getLong("pixels") * 0.25,
        lesion.encode());
    JsonObject segReport = seg.getJsonObject("result").getJsonArray("objects").getJsonObject(1);
    assertEquals("SR", segReport.getString("modality"));
    Path segSrFile = tmp.resolve("seg-sr.dcm");
    Files.write(segSrFile, fx.wado(study.studyUid, segReport.getString("seriesInstanceUID"),
        segReport.getString("sopInstanceUID")));
    Dcmtk.Result segSrVerify = Dcmtk.dciodvfy(segSrFile);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(segSrVerify.output()), segSrVerify.output());
    Dcmtk.Result segDump = Dcmtk.dsrdump(segSrFile, "+Pu");
    assertTrue(segDump.ok(), segDump::toString);
    String segDumped = segDump.output();
    assertTrue(segDumped.contains("\"Referenced Segment\"") && segDumped.contains(segObject.getString("sopInstanceUID")),
        "the report references the SEG's segment: " + segDumped);
    assertTrue(segDumped.contains("NUM:(,,\"Area\")="), segDumped);

    // GET /inference/studies/{uid}/ai-results lists them all.
    HttpResponse<String> all = fx.get("/inference/studies/" + study.studyUid + "/ai-results", hospital);
    // Security: reading AI findings is an access to patient data, and audited as one.
    assertTrue(imago.imago.index().auditOfStudy("demo", study.studyUid).stream().anyMatch(e -> e.action().equals("ai-results.read")));
    assertEquals(200, all.statusCode(), all.body());
    assertEquals(CLASSIFIERS.size() + 1, new JsonObject(all.body()).getJsonArray("results").size());
    // Another tenant sees none of it: not the results, not a job by its id, not the study's jobs.
    String otherTenant = imago.token("other", Caller.Role.HOSPITAL);
    assertEquals(404, fx.get("/inference/studies/" + study.studyUid + "/ai-results", otherTenant).statusCode());
    long jobId = jobs.getJsonObject(0).getLong("id");
    assertEquals(200, fx.get("/inference/jobs/" + jobId, hospital).statusCode());
    assertEquals(404, fx.get("/inference/jobs/" + jobId, otherTenant).statusCode());
    // Security: job ids are sequential, and another tenant's admin is no exception.
    assertEquals(404, fx.get("/inference/jobs/" + jobId, imago.token("other", Caller.Role.ADMIN)).statusCode());
    assertEquals("[]", fx.get("/inference/jobs?studyUID=" + study.studyUid, otherTenant).body());

    // The study stabilises again (the result series arrived) and the scheduler handles it: no job is
    // repeated, results are not duplicated. A study's revision counts its instances: the originals,
    // then one SR per classifier, and the SEG with its SR.
    long withResults = study.files.size() + CLASSIFIERS.size() + 2;
    eventually(Duration.ofSeconds(60), "the scheduler handles the study once its results are in", () ->
        scheduled.stream().anyMatch(e -> e.getLong("revision") >= withResults));
    scheduling.unregister();
    assertEquals(0, scheduled.get(scheduled.size() - 1).getInteger("jobs"), "nothing scheduled again: " + scheduled);
    assertEquals(CLASSIFIERS.size() + 1, fx.jobsOf(study.studyUid).size());
    HttpResponse<String> series = fx.get("/dicomweb/studies/" + study.studyUid + "/series", hospital);
    assertEquals(1 + CLASSIFIERS.size() + 2, new JsonArray(series.body()).size(), series.body());

    // Batching: the four phantoms of a series went to the engine together.
    HttpResponse<String> metrics = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/metrics")).build());
    assertEquals(200, metrics.statusCode());
    assertTrue(batchesLargerThanOne(metrics.body()) > 0, "no batch larger than 1: " + grep(metrics.body(), "batch_size"));
    assertTrue(metrics.body().contains("imago_inference_stage_seconds_count{stage=\"engine\"}"),
        grep(metrics.body(), "imago_inference_stage"));
  }

  /** Batches counted minus those of size at most 1, from the batch-size histogram. */
  static double batchesLargerThanOne(String prometheus) {
    double count = 0;
    double upToOne = 0;
    for (String line : prometheus.lines().toList()) {
      if (line.startsWith("imago_inference_batch_size_count")) count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      if (line.startsWith("imago_inference_batch_size_bucket{le=\"1.0\"}")) {
        upToOne = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return count - upToOne;
  }

  static String grep(String text, String what) {
    List<String> out = new ArrayList<>();
    for (String l : text.lines().toList()) if (l.contains(what)) out.add(l);
    return String.join("\n", out);
  }

  @Test
  void aRunBackfillsAModelVersionOverACohortOnceWithProgress() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study-run"), "PH-R");
    List<JsonObject> scheduled = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> scheduling = imago.imago.vertx().eventBus().<JsonObject>consumer(Events.STUDY_SCHEDULED,
        m -> {
          if (study.studyUid.equals(m.body().getString("studyUid"))) scheduled.add(m.body());
        });
    scheduling.completion().await();
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    fx.awaitJobs(study.studyUid, CLASSIFIERS.size() + 1);
    // The results the jobs stored make the study change again: once it is quiet, the scheduler looks at it
    // once more (and finds nothing new). Activating the version before that look would let the scheduler,
    // not the run, make its job.
    eventually(Duration.ofSeconds(30), "the study scheduled again after its results", () -> scheduled.size() >= 2
        && scheduled.get(scheduled.size() - 1).getInteger("jobs") == 0);
    scheduling.unregister().await();
    Path dir = ReferenceModels.model("lesion-seg-onnx");
    var reg = imago.imago.models().register(new Caller("researcher@demo", "demo", Caller.Role.RESEARCHER),
        Files.readAllBytes(dir.resolve("manifest.json")), copyOf(dir.resolve("model.onnx")));
    assertEquals("validated", reg.version().state().id());
    Config config = Config.load(null, Map.of(), TestImago.overrides(imago.data));
    Map<String, String> options = Map.of("url", imago.baseUrl(), "model", "lesion-seg-onnx", "version", "1.0.0",
        "token", imago.token("demo", Caller.Role.RESEARCHER));
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    // Security: a merely validated version (which /models may hide from the caller) does not run on patients' studies.
    assertEquals(1, InferenceCommand.run(config, List.of("run"), options, List.of("StudyInstanceUID=" + study.studyUid),
        new java.io.PrintStream(printed, true, StandardCharsets.UTF_8)), printed.toString(StandardCharsets.UTF_8));
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("the region has activated"), printed.toString(StandardCharsets.UTF_8));
    Caller admin = new Caller("operator@region", "demo", Caller.Role.REGION);
    imago.imago.models().activate(admin, "lesion-seg-onnx", "1.0.0", "primary");
    try {
      runsOnceWithProgress(config, options, study);
    } finally {
      imago.imago.models().retire(admin, "lesion-seg-onnx", "1.0.0", "the other tests run without it");
    }
  }

  private void runsOnceWithProgress(Config config, Map<String, String> options, PhantomStudy study) throws Exception {
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    int code = InferenceCommand.run(config, List.of("run"), options, List.of("StudyInstanceUID=" + study.studyUid),
        new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
    String out = printed.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    assertTrue(out.contains("over 1 studies, 1 new jobs"), out);
    assertTrue(out.contains("[########################] 1/1 jobs  done in "), out);
    assertTrue(out.matches("(?s).*run \\d+ finished in \\d+ s: done 1, failed 0.*"), out);
    JsonObject job = fx.jobOf(fx.jobsOf(study.studyUid), "lesion-seg-onnx");
    assertEquals("done", job.getString("state"));
    assertNotNull(job.getLong("run"));
    assertEquals("SEG", job.getJsonObject("result").getJsonArray("objects").getJsonObject(0).getString("modality"));
    // The same run again finds the work done.
    printed.reset();
    assertEquals(0, InferenceCommand.run(config, List.of("run"), options, List.of("StudyInstanceUID=" + study.studyUid),
        new java.io.PrintStream(printed, true, StandardCharsets.UTF_8)));
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("1 studies, 0 new jobs"), printed.toString(StandardCharsets.UTF_8));
    // A cohort key Imago does not index is refused with its name.
    printed.reset();
    assertEquals(1, InferenceCommand.run(config, List.of("run"), options, List.of("ShoeSize=42"),
        new java.io.PrintStream(printed, true, StandardCharsets.UTF_8)));
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("ShoeSize"), printed.toString(StandardCharsets.UTF_8));
  }

  static Path copyOf(Path file) throws java.io.IOException {
    Path copy = Files.createTempDirectory(tmp, "upload").resolve(file.getFileName());
    return Files.copy(file, copy);
  }

  @Test
  void jobQueriesNeedAStudyAndUnknownJobsAreNotFound() throws Exception {
    assertEquals(404, fx.get("/inference/jobs/999999", hospital).statusCode());
    assertEquals(400, fx.get("/inference/jobs", hospital).statusCode());
  }
}
