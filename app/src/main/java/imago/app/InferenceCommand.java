package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code imago inference ...}: re-runs and backfills (a model version over a QIDO-style cohort)
 * with a progress bar, and a study's AI results.
 */
final class InferenceCommand {
  static final String USAGE = Usage.of("inference");

  private final ApiClient api;
  private final PrintStream out;

  private InferenceCommand(ApiClient api, PrintStream out) {
    this.api = api;
    this.out = out;
  }

  /** {@code cohort} holds the repeated {@code --cohort KEY=VALUE} options. */
  static int run(Config config, List<String> args, Map<String, String> options, List<String> cohort, PrintStream out)
      throws Exception {
    if (args.isEmpty()) throw new IllegalArgumentException("inference needs a subcommand\n" + USAGE);
    InferenceCommand cmd = new InferenceCommand(ApiClient.of(config, options, Caller.Role.RESEARCHER, out), out);
    return switch (args.get(0)) {
      case "run" -> cmd.run(options, cohort);
      case "results" -> {
        if (args.size() < 2) throw new IllegalArgumentException("inference results needs a Study Instance UID\n" + USAGE);
        yield cmd.results(args.get(1));
      }
      default -> throw new IllegalArgumentException("unknown inference subcommand '" + args.get(0) + "'\n" + USAGE);
    };
  }

  private int run(Map<String, String> options, List<String> cohortOptions) throws Exception {
    String model = options.get("model");
    String version = options.get("version");
    if (model == null || version == null) throw new IllegalArgumentException("--model and --version are required\n" + USAGE);
    JsonObject cohort = new JsonObject();
    for (String kv : cohortOptions) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--cohort takes KEY=VALUE, got '" + kv + "'");
      cohort.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    JsonObject body = new JsonObject().put("model", model).put("version", version).put("cohort", cohort);
    HttpResponse<String> r = api.send(api.request("/inference/runs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
    if (r.statusCode() != 202) return api.problem(r);
    JsonObject run = new JsonObject(r.body());
    out.printf("run %d: %s %s over %d studies, %d new jobs%s%n", run.getLong("run"), model, version,
        run.getInteger("studies"), run.getInteger("jobs"), run.getBoolean("truncated") ? " (cohort truncated: narrow it)" : "");
    if (options.containsKey("no-wait") || run.getInteger("jobs") == 0) return 0;
    JsonObject progress;
    ProgressLine line = new ProgressLine(out, "jobs");
    do {
      Thread.sleep(500);
      HttpResponse<String> p = api.send(api.request(run.getString("href")).GET().build());
      if (p.statusCode() != 200) return api.problem(p);
      progress = new JsonObject(p.body());
      line.show(progress.getInteger("finished"), progress.getInteger("jobs"), states(progress));
    } while (progress.getDouble("progress") < 1.0);
    line.end();
    out.printf("run %d finished in %s: %s%n", run.getLong("run"), ProgressLine.duration(line.elapsedSeconds()), states(progress));
    JsonObject states = progress.getJsonObject("states");
    for (Object o : progress.getJsonArray("failures")) {
      JsonObject f = (JsonObject) o;
      out.printf("  job %d (series %s): %s%n", f.getLong("job"), f.getString("series"), f.getString("reason"));
    }
    return states.getInteger("failed") + states.getInteger("dead") == 0 ? 0 : 1;
  }

  /** {@code done 8, failed 1, dead 0, running 2, queued 9}. */
  static String states(JsonObject progress) {
    JsonObject s = progress.getJsonObject("states");
    return String.format(Locale.ROOT, "done %d, failed %d, dead %d, running %d, queued %d", s.getInteger("done"),
        s.getInteger("failed"), s.getInteger("dead"), s.getInteger("running"), s.getInteger("queued"));
  }

  private int results(String study) throws Exception {
    HttpResponse<String> r = api.send(api.request("/inference/studies/" + study + "/ai-results").GET().build());
    if (r.statusCode() != 200) return api.problem(r);
    out.println(new JsonObject(r.body()).encodePrettily());
    return 0;
  }
}
