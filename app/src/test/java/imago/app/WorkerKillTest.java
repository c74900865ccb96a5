package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 5: a worker process killed with SIGKILL in the middle of a job loses only its lease;
 * another worker process finishes the job and the study holds exactly one result.
 */
class WorkerKillTest {
  /** Zero logits, but only after a few seconds of matrix products on real (normalised) images. */
  static final String MAKE_SLOW = String.join("\n",
      "import sys, torch",
      "class Slow(torch.nn.Module):",
      "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
      "        out = torch.zeros(x.shape[0], 2)",
      "        if bool(x.abs().max() > 1.0):",
      "            m = torch.full((512, 512), 0.001)",
      "            for _ in range(300):",
      "                m = torch.tanh(m @ m)",
      "            out = out + m.mean() * 0.0",
      "        return out",
      "torch.jit.save(torch.jit.script(Slow()), sys.argv[1] + '/model.pt')");

  @TempDir Path tmp;

  @Test
  void aWorkerKilledMidJobLosesOnlyItsLeaseAndTheJobCompletesOnceElsewhere() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Map<String, String> env = Map.of("IMAGO_INFERENCE_WORKER", "false", "IMAGO_INFERENCE_LEASE", "PT2S",
        "IMAGO_NODE_STABLE_QUIET_PERIOD", "PT1S");
    try (ServerProcess server = ServerProcess.start(data, imago.core.testkit.PortFinder.freePort(),
        imago.core.testkit.PortFinder.freePort(), env)) {
      Config config = Config.load(null, Map.of(), TestImago.overrides(data));
      String base = "http://127.0.0.1:" + server.httpPort;
      activateSlowModel(config, base);

      Map<String, String> workerEnv = Map.of("IMAGO_INFERENCE_LEASE", "PT2S", "IMAGO_INFERENCE_RETRY_BACKOFF", "PT0.2S");
      try (ServerProcess a = ServerProcess.startWorker(data, "worker-a", workerEnv);
           ServerProcess b = ServerProcess.startWorker(data, "worker-b", workerEnv)) {
        PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-K");
        Dcmtk.Result push = Dcmtk.storescu("127.0.0.1", server.dicomPort, "STORESCU", "IMAGO", study.files);
        assertTrue(push.ok(), push.output());
        String token = TokenCommand.mint(config, "demo", Caller.Role.HOSPITAL, Duration.ofHours(1), "test");

        JsonObject running = awaitJob(base, token, study.studyUid, "running");
        String holder = running.getString("worker");
        ServerProcess victim = holder.startsWith(a.pid() + "@") ? a : b;
        assertTrue(holder.startsWith(victim.pid() + "@"), "the job is held by one of the two workers: " + holder);
        victim.kill();

        JsonObject done = awaitJob(base, token, study.studyUid, "done");
        assertEquals(2, done.getInteger("attempts"), done.encodePrettily());
        JsonArray sr = new JsonArray(get(base, token, "/dicomweb/studies/" + study.studyUid + "/instances?Modality=SR").body());
        assertEquals(1, sr.size(), "exactly one result object: " + sr.encodePrettily());
      }
    }
  }

  void activateSlowModel(Config config, String base) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("slow-model"));
    JsonObject manifest = new JsonObject(Files.readString(ReferenceModels.model("lesion-cls-torchscript").resolve("manifest.json")))
        .put("name", "slow-cls");
    Files.writeString(dir.resolve("manifest.json"), manifest.encode());
    Path script = Files.writeString(dir.resolve("make_slow.py"), MAKE_SLOW + "\n");
    Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, out);
    Files.delete(script);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(printed, true, StandardCharsets.UTF_8);
    String researcher = TokenCommand.mint(config, "demo", Caller.Role.RESEARCHER, Duration.ofHours(1), "researcher@demo");
    String admin = TokenCommand.mint(config, "demo", Caller.Role.REGION, Duration.ofHours(1), "region");
    assertEquals(0, ModelsCommand.run(config, List.of("register", dir.toString()), Map.of("url", base, "token", researcher), ps),
        printed.toString(StandardCharsets.UTF_8));
    assertEquals(0, ModelsCommand.run(config, List.of("activate", "slow-cls", "1.0.0"), Map.of("url", base, "token", admin), ps),
        printed.toString(StandardCharsets.UTF_8));
  }

  static JsonObject awaitJob(String base, String token, String study, String state) throws Exception {
    return eventually(Duration.ofMinutes(2), "a job of " + study + " becomes " + state, () -> {
      HttpResponse<String> r = get(base, token, "/inference/jobs?studyUID=" + study);
      if (r.statusCode() != 200) return null;
      for (Object o : new JsonArray(r.body())) {
        JsonObject j = (JsonObject) o;
        if (j.getString("state").equals(state)) return j;
      }
      return null;
    }, Objects::nonNull);
  }

  static HttpResponse<String> get(String base, String token, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
