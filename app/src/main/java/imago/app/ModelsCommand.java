package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code imago models ...}: the registry from a terminal, over the same HTTP API as every other
 * client. Without {@code --token} (or {@code $IMAGO_TOKEN}) it mints a short-lived token with this
 * installation's key, for the tenant {@code --tenant} (default: the first configured) in the role
 * the command needs — a convenience for whoever runs the server, not a way around access control.
 */
final class ModelsCommand {
  static final String USAGE = Usage.of("models");
  private static final List<String> ARTIFACTS = List.of("model.pt", "model.onnx", "model.h5", "model.zip");

  private final ApiClient api;
  private final PrintStream out;

  private ModelsCommand(ApiClient api, PrintStream out) {
    this.api = api;
    this.out = out;
  }

  /** Runs one subcommand; returns the process exit code (0 ok, 1 refused by the server, 2 usage). */
  static int run(Config config, List<String> args, Map<String, String> options, PrintStream out) throws Exception {
    if (args.isEmpty()) throw new IllegalArgumentException("models needs a subcommand\n" + USAGE);
    String sub = args.get(0);
    Caller.Role role = sub.equals("activate") ? Caller.Role.REGION : Caller.Role.RESEARCHER;
    ModelsCommand cmd = new ModelsCommand(ApiClient.of(config, options, role, out), out);
    return switch (sub) {
      case "register" -> cmd.register(args, options);
      case "list" -> cmd.list(options);
      case "show" -> cmd.show(arg(args, 1, "NAME"), args.size() > 2 ? args.get(2) : null);
      case "activate" -> cmd.post(arg(args, 1, "NAME"), arg(args, 2, "VERSION"), "activate",
          new JsonObject().put("mode", options.getOrDefault("mode", "primary")).put("override", options.get("override")));
      case "evaluate" -> cmd.evaluate(arg(args, 1, "NAME"), arg(args, 2, "VERSION"), require(options, "project"),
          !options.containsKey("no-wait"));
      case "retire" -> cmd.post(arg(args, 1, "NAME"), arg(args, 2, "VERSION"), "retire",
          new JsonObject().put("reason", options.getOrDefault("reason", "retired from the command line")));
      default -> throw new IllegalArgumentException("unknown models subcommand '" + sub + "'\n" + USAGE);
    };
  }

  private static String arg(List<String> args, int i, String what) {
    if (args.size() <= i) throw new IllegalArgumentException("missing " + what + "\n" + USAGE);
    return args.get(i);
  }

  private int register(List<String> args, Map<String, String> options) throws IOException, InterruptedException {
    Path manifest;
    Path artifact;
    if (args.size() > 1) {
      Path dir = Main.userPath(args.get(1));
      manifest = dir.resolve("manifest.json");
      List<Path> found = ARTIFACTS.stream().map(dir::resolve).filter(Files::isRegularFile).toList();
      if (!Files.isRegularFile(manifest) || found.size() != 1) {
        throw new IllegalArgumentException(dir + " must hold manifest.json and exactly one of " + ARTIFACTS);
      }
      artifact = found.get(0);
    } else {
      manifest = Main.userPath(require(options, "manifest"));
      artifact = Main.userPath(require(options, "artifact"));
    }
    out.printf("uploading %s (%s) ...%n", artifact, human(Files.size(artifact)));
    HttpResponse<String> r = api.send(upload(api, HttpRequest.BodyPublishers.ofFile(manifest), artifact.getFileName().toString(),
        HttpRequest.BodyPublishers.ofFile(artifact)));
    if (r.statusCode() == 201 || r.statusCode() == 202) {
      JsonObject v = new JsonObject(r.body());
      out.printf("registered %s %s: %s%n", v.getString("name"), v.getString("version"),
          r.statusCode() == 202 ? "validating in the background (imago models show " + v.getString("name") + " "
              + v.getString("version") + ")" : v.getString("state"));
      printValidation(v.getJsonObject("validation"));
      return 0;
    }
    return api.problem(r);
  }

  /** {@code POST /models}: the manifest and the artifact as multipart/form-data, streamed. */
  static HttpRequest upload(ApiClient api, HttpRequest.BodyPublisher manifest, String artifactName,
      HttpRequest.BodyPublisher artifact) {
    String boundary = "imago-" + UUID.randomUUID();
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.concat(
        HttpRequest.BodyPublishers.ofByteArray(partHead(boundary, "manifest", "manifest.json", "application/json", true)),
        manifest,
        HttpRequest.BodyPublishers.ofByteArray(partHead(boundary, "artifact", artifactName, "application/octet-stream", false)),
        artifact,
        HttpRequest.BodyPublishers.ofByteArray(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII)));
    return api.request("/models").header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build();
  }

  private static byte[] partHead(String boundary, String name, String file, String type, boolean first) {
    return ((first ? "" : "\r\n") + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name
        + "\"; filename=\"" + file + "\"\r\nContent-Type: " + type + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private int list(Map<String, String> options) throws IOException, InterruptedException {
    StringBuilder q = new StringBuilder();
    for (String k : List.of("name", "state", "framework", "task", "modality")) {
      if (options.containsKey(k)) q.append(q.isEmpty() ? "?" : "&").append(k).append('=')
          .append(URLEncoder.encode(options.get(k), StandardCharsets.UTF_8));
    }
    HttpResponse<String> r = api.send(api.request("/models" + q).GET().build());
    if (r.statusCode() != 200) return api.problem(r);
    JsonArray versions = new JsonArray(r.body());
    if (versions.isEmpty()) {
      out.println("no model versions");
      return 0;
    }
    table(versions);
    return 0;
  }

  private void table(JsonArray versions) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "VERSION", "FRAMEWORK", "TASK", "STATE", "MODE", "TENANT", "REGISTERED"});
    for (Object o : versions) {
      JsonObject v = (JsonObject) o;
      rows.add(new String[] {v.getString("name"), v.getString("version"), v.getString("framework"), v.getString("task"),
          v.getString("state"), v.getString("mode", "-"), v.getString("tenant"), v.getString("registeredAt").substring(0, 19)});
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) line.append(String.format("%-" + (width[i] + 2) + "s", row[i]));
      out.println(line.toString().stripTrailing());
    }
  }

  private int show(String name, String version) throws IOException, InterruptedException {
    if (version == null) {
      HttpResponse<String> r = api.send(api.request("/models/" + name).GET().build());
      if (r.statusCode() != 200) return api.problem(r);
      table(new JsonObject(r.body()).getJsonArray("versions"));
      return 0;
    }
    HttpResponse<String> r = api.send(api.request("/models/" + name + "/versions/" + version).GET().build());
    if (r.statusCode() != 200) return api.problem(r);
    JsonObject v = new JsonObject(r.body());
    JsonObject m = v.getJsonObject("manifest");
    out.printf("%s %s  (%s, %s)%n", v.getString("name"), v.getString("version"), v.getString("framework"), v.getString("task"));
    out.printf("  state        %s%s%s%n", v.getString("state"), v.containsKey("mode") ? " (" + v.getString("mode") + ")" : "",
        v.containsKey("reason") ? ": " + v.getString("reason") : "");
    out.printf("  tenant       %s, registered by %s at %s%n", v.getString("tenant"), v.getString("registeredBy"), v.getString("registeredAt"));
    out.printf("  artifact     %s, %s, sha256 %s%n", v.getJsonObject("artifact").getString("key"),
        human(v.getJsonObject("artifact").getLong("size")), v.getJsonObject("artifact").getString("sha256"));
    out.printf("  device UID   %s%n", v.getString("deviceUID"));
    JsonObject in = m.getJsonObject("input");
    out.printf("  input        %s %dx%dx%d %s%n", in.getString("layout"), in.getInteger("channels"), in.getInteger("height"),
        in.getInteger("width"), in.getString("dtype"));
    JsonArray labels = m.getJsonObject("output").getJsonArray("labels", m.getJsonObject("output").getJsonArray("labelMap"));
    List<String> names = labels == null ? List.of() : labels.stream().map(l -> ((JsonObject) l).getString("name")).toList();
    out.printf("  outputs      %s%n", String.join(", ", names));
    out.printf("  applies to   modalities %s%n", m.getJsonObject("applicability").getJsonArray("modalities").encode());
    out.printf("  intended use %s%n", m.getString("intendedUse"));
    printValidation(v.getJsonObject("validation"));
    JsonArray history = v.getJsonArray("history", new JsonArray());
    if (!history.isEmpty()) out.println("  history");
    for (Object o : history) {
      JsonObject e = (JsonObject) o;
      out.printf("    %s  %-10s by %s%s%n", e.getString("at").substring(0, 19), e.getString("to"), e.getString("by"),
          e.containsKey("detail") ? "  " + e.getString("detail") : "");
    }
    return 0;
  }

  private void printValidation(JsonObject validation) {
    if (validation == null) return;
    if (!validation.getBoolean("passed", false)) {
      out.printf("  validation   FAILED at %s: %s%n", validation.getString("failedCheck"), validation.getString("error"));
      return;
    }
    String engine = validation.getString("engine");
    String device = validation.getString("device");
    String on = device == null || engine.contains(device) ? engine : engine + " on " + device;
    out.printf("  validation   passed on %s: load %d ms, +%s resident%n", on, validation.getLong("loadMillis"),
        human(validation.getLong("memoryBytes")));
    for (Object o : validation.getJsonArray("dryRuns", new JsonArray())) {
      JsonObject d = (JsonObject) o;
      out.printf("    batch %-3d %s -> %s  first %.1f ms, steady %.1f ms%n", d.getInteger("batch"),
          d.getJsonArray("inputShape").encode(), d.getJsonArray("outputShape").encode(), d.getDouble("firstCallMillis"),
          d.getDouble("steadyMillis"));
    }
  }

  private int post(String name, String version, String action, JsonObject body) throws IOException, InterruptedException {
    HttpResponse<String> r = api.send(api.request("/models/" + name + "/versions/" + version + "/" + action)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
    if (r.statusCode() != 200) return api.problem(r);
    JsonObject v = new JsonObject(r.body());
    out.printf("%s %s is %s%s%n", v.getString("name"), v.getString("version"), v.getString("state"),
        v.containsKey("mode") ? " (" + v.getString("mode") + ")" : "");
    return 0;
  }

  /**
   * Starts an evaluation on a research project's cohort and, unless told not to wait, follows it
   * to its report: each finding's figures for the candidate beside the primary, and the verdict.
   */
  private int evaluate(String name, String version, String project, boolean wait) throws IOException, InterruptedException {
    String base = "/models/" + name + "/versions/" + version + "/evaluations";
    HttpResponse<String> r = api.send(api.request(base).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("project", project).encode())).build());
    if (r.statusCode() != 202) return api.problem(r);
    JsonObject e = new JsonObject(r.body());
    long id = e.getLong("id");
    out.printf("evaluating %s %s on project %s beside %s (evaluation %d)%n", name, version, project,
        e.getString("baseline") == null ? "no primary" : "primary " + e.getString("baseline"), id);
    if (!wait) {
      out.printf("follow it: GET %s/%d%n", base, id);
      return 0;
    }
    ProgressLine progress = new ProgressLine(out, "jobs");
    while (true) {
      r = api.send(api.request(base + "/" + id).GET().build());
      if (r.statusCode() != 200) return api.problem(r);
      e = new JsonObject(r.body());
      if (!e.getString("state").equals("running")) break;
      JsonObject p = e.getJsonObject("progress");
      if (p != null) progress.show(p.getLong("jobsDone"), p.getLong("jobs"), "");
      Thread.sleep(1000);
    }
    progress.end();
    if (e.getString("state").equals("failed")) {
      out.printf("evaluation %d failed: %s%n", id, e.getJsonObject("report").getString("error"));
      return 1;
    }
    printReport(e.getJsonObject("report"));
    out.printf("plots: %s%s (?finding=NAME for another finding)%n", api.base(), e.getString("plot"));
    return 0;
  }

  private void printReport(JsonObject report) {
    boolean detection = "detection".equals(report.getString("task"));
    String baseline = report.getString("baseline");
    out.printf("%d studies, %d failed jobs%n", report.getInteger("studies"), report.getInteger("failedJobs"));
    for (Object o : report.getJsonArray("findings")) {
      JsonObject f = (JsonObject) o;
      JsonObject c = f.getJsonObject("candidate");
      JsonObject b = f.getJsonObject("baseline");
      if (detection) {
        out.printf("%s: %d images, %d lesions%n", f.getString("finding"), f.getInteger("images"), f.getInteger("lesions"));
        out.printf("  %-28s %-12s %s%n", "sensitivity at FP/image", "candidate", b == null ? "" : "primary " + baseline);
        for (int i = 0; i < c.getJsonArray("sensitivityAt").size(); i++) {
          JsonObject at = c.getJsonArray("sensitivityAt").getJsonObject(i);
          out.printf("  %-28s %-12s %s%n", at.getDouble("falsePositivesPerImage"), fmt(at.getDouble("sensitivity")),
              b == null ? "" : fmt(b.getJsonArray("sensitivityAt").getJsonObject(i).getDouble("sensitivity")));
        }
        out.printf("  %-28s %-12s %s%n", "mean", fmt(c.getDouble("meanSensitivity")),
            b == null ? "" : fmt(b.getDouble("meanSensitivity")));
      } else {
        out.printf("%s (%s level): %d cases, %d positive, threshold %s%n", f.getString("finding"), f.getString("level"),
            f.getInteger("cases"), f.getInteger("positives"), f.getDouble("threshold"));
        out.printf("  %-12s %-24s %s%n", "", "candidate", b == null ? "" : "primary " + baseline);
        for (String metric : List.of("auc", "sensitivity", "specificity")) {
          out.printf("  %-12s %-24s %s%n", metric, interval(c.getJsonObject(metric)), b == null ? "" : interval(b.getJsonObject(metric)));
        }
      }
    }
    JsonObject comparison = report.getJsonObject("comparison");
    if (comparison != null) {
      out.printf("%s: candidate %s, primary %s, difference %+.3f: %s%n", comparison.getString("metric"),
          fmt(comparison.getDouble("candidate")), fmt(comparison.getDouble("baseline")), comparison.getDouble("difference"),
          comparison.getBoolean("worse") ? "WORSE than the primary by more than " + comparison.getDouble("margin")
              + " (promotion to primary is refused without --override)" : "not worse than the primary");
    }
  }

  private static String interval(JsonObject i) {
    if (i == null || i.getValue("value") == null) return "n/a";
    return fmt(i.getDouble("value")) + (i.getValue("low") == null ? "" : " (" + fmt(i.getDouble("low")) + "-"
        + fmt(i.getDouble("high")) + ")");
  }

  private static String fmt(Double v) {
    return v == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", v);
  }

  private static String require(Map<String, String> options, String key) {
    String v = options.get(key);
    if (v == null) throw new IllegalArgumentException("--" + key + " is required\n" + USAGE);
    return v;
  }

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1 << 20) return String.format("%.1f KiB", bytes / 1024.0);
    if (bytes < 1 << 30) return String.format("%.1f MiB", bytes / 1048576.0);
    return String.format("%.2f GiB", bytes / 1073741824.0);
  }
}
