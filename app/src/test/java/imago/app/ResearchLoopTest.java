package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.synthetic.ChestPhantoms;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The research loop of issue 18, end to end, as README's walk-through tells it: a researcher
 * defines a cohort, exports it de-identified and trains the next version of the lesion classifier
 * on it with the project's reference-model script; registers it; the region runs it as a shadow
 * on new studies; the researcher evaluates it beside the primary; it is promoted, and the FSE's
 * link to the next study carries its result.
 */
class ResearchLoopTest {
  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;
  static ResearchFixture research;
  static final String MODEL = "lesion-cls-onnx";
  static int seed = 9000;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    fx = new InferenceFixture(imago, tmp);
    research = new ResearchFixture(imago);
    fx.activate(ReferenceModels.model(MODEL)); // 1.0.0, the region's primary
  }

  @AfterAll
  static void stop() {
    imago.close();
  }

  static List<ChestPhantoms.Study> push(int n) throws Exception {
    List<ChestPhantoms.Study> studies = new ArrayList<>();
    List<byte[]> parts = new ArrayList<>();
    for (int i = 0; i < n; i++, seed++) {
      ChestPhantoms.Study s = ChestPhantoms.radiograph(new ChestPhantoms.Patient("LOOP-" + seed, "Loop^" + seed, "M",
          "19600101"), seed % 2 == 0, seed);
      studies.add(s);
      parts.addAll(s.instances());
    }
    assertEquals(200, imago.stow(fx.hospital, null, parts).statusCode());
    return studies;
  }

  /** The study's finished jobs of {@code MODEL} by version, once each version of {@code versions} has one. */
  static Map<String, JsonObject> results(String study, String... versions) throws Exception {
    return eventually(Duration.ofMinutes(3), "jobs " + List.of(versions) + " finish on " + study, () -> {
      Map<String, JsonObject> byVersion = new HashMap<>();
      for (Object o : new JsonArray(fx.get("/inference/jobs?studyUID=" + study, imago.token("demo", Caller.Role.REGION)).body())) {
        JsonObject job = (JsonObject) o;
        if (job.getJsonObject("result") != null && job.getString("state").equals("done")) {
          JsonObject model = job.getJsonObject("result").getJsonObject("model");
          if (model.getString("name").equals(MODEL)) byVersion.put(model.getString("version"), job);
        }
      }
      return byVersion;
    }, m -> m.keySet().containsAll(List.of(versions)));
  }

  @Test
  void aResearcherTakesANewVersionFromCohortToPrimary() throws Exception {
    List<ChestPhantoms.Study> archive = push(24);
    String researcher = imago.imago.auth().mint("ines", "demo", Caller.Role.RESEARCHER, Duration.ofHours(1));
    String region = imago.token("demo", Caller.Role.REGION);

    // 1. the cohort: the hospital's chest radiographs, with its admin's consent
    assertEquals(201, research.post(researcher, "/research", new JsonObject().put("name", "loop")
        .put("cohort", new JsonObject().put("ModalitiesInStudy", "CR"))).statusCode());
    assertEquals(200, research.post(imago.token("demo", Caller.Role.ADMIN), "/research/loop/consent", null).statusCode());

    // 2. exported de-identified, labelled, and a version trained on it by the project's script
    Map<String, byte[]> export = research.export(researcher, "loop");
    Path exportDir = tmp.resolve("export");
    ResearchFixture.unpack(export, exportDir);
    String labels = ResearchFixture.labels(export, archive, false);
    Files.writeString(tmp.resolve("labels.csv"), labels);
    assertEquals(201, research.postCsv(researcher, "/research/loop/labels", labels).statusCode());
    Path trained = tmp.resolve("trained");
    Process train = new ProcessBuilder("/usr/bin/python3",
        ReferenceModels.repoRoot().resolve("models/reference/train_on_export.py").toString(), exportDir.toString(),
        tmp.resolve("labels.csv").toString(), ReferenceModels.model(MODEL).toString(),
        ReferenceModels.model("lesion-cls-torchscript").toString(), trained.toString(), "1.1.0")
        .redirectErrorStream(true).start();
    String trainLog = new String(train.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(train.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, train.exitValue(), trainLog);
    assertTrue(trainLog.contains("fine-tuning on 24 exported studies"), trainLog);

    // 3. registered by the researcher, as README shows (imago models register DIR)
    Config config = Config.load(null, Map.of(), TestImago.overrides(tmp.resolve("data")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = ModelsCommand.run(config, List.of("register", trained.toString()), Map.of("url", imago.baseUrl(), "token",
        researcher), new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("registered " + MODEL + " 1.1.0"), out.toString(StandardCharsets.UTF_8));

    // 4. the region runs it as a shadow; 5. it runs on new studies beside the primary, into no clinical output
    assertEquals(200, research.post(region, "/models/" + MODEL + "/versions/1.1.0/activate", new JsonObject().put("mode", "shadow"))
        .statusCode());
    List<ChestPhantoms.Study> live = push(2);
    for (ChestPhantoms.Study s : live) {
      Map<String, JsonObject> jobs = results(s.studyUid(), "1.0.0", "1.1.0");
      assertTrue(jobs.get("1.1.0").getJsonObject("result").getJsonArray("objects").isEmpty(), "a shadow writes nothing");
    }
    JsonObject agreement = new JsonObject(fx.get("/inference/agreement?model=" + MODEL + "&version=1.1.0", region).body());
    assertTrue(agreement.getInteger("pairs") >= 2, agreement.encode());

    // 6. judged beside the primary on the labelled cohort
    String base = "/models/" + MODEL + "/versions/1.1.0/evaluations";
    long id = new JsonObject(research.post(researcher, base, new JsonObject().put("project", "loop")).body()).getLong("id");
    JsonObject evaluation = eventually(Duration.ofMinutes(3), "the evaluation finishes",
        () -> new JsonObject(research.get(researcher, base + "/" + id).body()), e -> !e.getString("state").equals("running"));
    assertEquals("done", evaluation.getString("state"), evaluation.encodePrettily());
    JsonObject comparison = evaluation.getJsonObject("report").getJsonObject("comparison");
    assertEquals("1.0.0", evaluation.getString("baseline"));
    assertFalse(comparison.getBoolean("worse"), comparison.encode());

    // 7. promoted; the next study's FSE link carries the new version's finding
    assertEquals(200, research.post(region, "/models/" + MODEL + "/versions/1.1.0/activate", new JsonObject().put("mode", "primary"))
        .statusCode());
    ChestPhantoms.Study next = push(1).get(0);
    JsonObject job = results(next.studyUid(), "1.1.0").get("1.1.0");
    assertFalse(job.getJsonObject("result").getJsonArray("objects").isEmpty(), "as primary it writes its SR");
    JsonObject link = new JsonObject(research.post(fx.hospital, "/fse/links", new JsonObject().put("studyUID", next.studyUid()))
        .body());
    String fhir = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/l/" + link.getString("token") + "/fhir"))
        .build()).body();
    assertTrue(fhir.contains(MODEL) && fhir.contains("1.1.0"), fhir);
    String sr = job.getJsonObject("result").getJsonArray("objects").getJsonObject(0).getString("sopInstanceUID");
    assertTrue(fhir.contains(sr), "the new primary's SR is what the report links");
  }
}
