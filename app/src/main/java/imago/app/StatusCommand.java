package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * {@code imago status}: the console's overview for a terminal, from the same API call
 * ({@code GET /admin/overview}): the figures now, one sparkline per plotted series over the range,
 * and the nodes with their health. Without {@code --token} it asks as the region (every hospital).
 */
final class StatusCommand {
  /** Block characters where the terminal takes UTF-8, else ASCII. */
  private static final String BARS = "UTF-8".equalsIgnoreCase(System.getProperty("stdout.encoding",
      System.getProperty("sun.stdout.encoding", System.getProperty("file.encoding", "")))) ? "▁▂▃▄▅▆▇█" : "_.-:=+*#";
  private static final int WIDTH = 40;

  private StatusCommand() {}

  static int run(Config config, Map<String, String> options, PrintStream out) throws Exception {
    String range = options.getOrDefault("range", "1h");
    ApiClient api = ApiClient.of(config, options, Caller.Role.REGION, out);
    HttpResponse<String> r = api.send(api.request("/admin/overview?range=" + range).GET().build());
    if (r.statusCode() != 200) return api.problem(r);
    print(new JsonObject(r.body()), api.base(), out);
    return 0;
  }

  static void print(JsonObject o, String base, PrintStream out) {
    JsonObject f = o.getJsonObject("figures");
    out.printf("Imago at %s, %s, %s (%s)%n", base, o.getString("tenant") == null ? "every hospital" : "hospital " + o.getString("tenant"),
        "24h".equals(o.getString("range")) ? "last day" : "last hour", o.getString("generatedAt"));
    out.printf("  archive      %,d studies, %,d instances, %s%n", f.getLong("studies"), f.getLong("instances"),
        ModelsCommand.human(f.getLong("storageBytes")));
    out.printf("  traffic      %.1f instances/s received, %.1f images/s inferred%n", f.getDouble("instancesPerSecond"),
        f.getDouble("imagesPerSecond"));
    out.printf("  inference    %d queued, %d running, %d failed in the range; job latency p50 %s, p99 %s%n",
        f.getLong("jobsQueued"), f.getLong("jobsRunning"), f.getLong("jobsFailed"), ms(f.getDouble("jobLatencyP50Ms")),
        ms(f.getDouble("jobLatencyP99Ms")));
    out.printf("  deliveries   %d pending, %d failing (FSE webhooks)%n", f.getLong("deliveriesPending"),
        f.getLong("deliveriesFailing"));
    long from = o.getLong("from");
    long to = o.getLong("to");
    for (Object p : o.getJsonArray("plots")) {
      JsonObject plot = (JsonObject) p;
      JsonArray series = plot.getJsonArray("series");
      if (series.isEmpty()) continue;
      out.printf("  %s (%s)%n", plot.getString("title"), plot.getString("unit"));
      for (Object s : series) {
        JsonObject line = (JsonObject) s;
        JsonArray points = line.getJsonArray("points");
        double last = points.isEmpty() ? 0 : points.getJsonArray(points.size() - 1).getDouble(1);
        out.printf("    %-26s %s  now %s%n", cut(line.getString("label"), 26), sparkline(points, from, to), number(last));
      }
    }
    out.println("  nodes");
    Instant now = Instant.parse(o.getString("generatedAt"));
    for (Object n : o.getJsonArray("nodes")) {
      JsonObject node = (JsonObject) n;
      Duration up = Duration.between(Instant.parse(node.getString("startedAt")), now);
      Duration seen = Duration.between(Instant.parse(node.getString("lastSeen")), now);
      out.printf("    %-40s %-6s %-9s up %s, last seen %s ago%n", cut(node.getString("node"), 40), node.getString("roles"),
          node.getBoolean("healthy") ? "healthy" : "SILENT", ProgressLine.duration(up.toSeconds()),
          ProgressLine.duration(Math.max(0, seen.toSeconds())));
    }
  }

  /** The series over [from, to] in {@link #WIDTH} cells, each the highest value that fell in it; blank where nothing was sampled. */
  static String sparkline(JsonArray points, long from, long to) {
    double[] cells = new double[WIDTH];
    boolean[] seen = new boolean[WIDTH];
    double max = 0;
    for (Object p : points) {
      JsonArray point = (JsonArray) p;
      int i = (int) Math.min(WIDTH - 1, Math.max(0, (point.getLong(0) - from) * WIDTH / Math.max(1, to - from)));
      double v = point.getDouble(1);
      cells[i] = seen[i] ? Math.max(cells[i], v) : v;
      seen[i] = true;
      max = Math.max(max, v);
    }
    StringBuilder out = new StringBuilder(WIDTH);
    for (int i = 0; i < WIDTH; i++) {
      if (!seen[i]) out.append(' ');
      else out.append(BARS.charAt(max <= 0 ? 0 : (int) Math.round(cells[i] / max * (BARS.length() - 1))));
    }
    return out.toString();
  }

  private static String ms(Double v) {
    return v == null ? "-" : v < 1000 ? Math.round(v) + " ms" : String.format(Locale.ROOT, "%.1f s", v / 1000);
  }

  private static String number(double v) {
    return (v == Math.rint(v) || Math.abs(v) >= 100) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%,d", Math.round(v))
        : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String cut(String s, int n) {
    return s == null ? "" : s.length() <= n ? s : s.substring(0, n - 3) + "...";
  }
}
