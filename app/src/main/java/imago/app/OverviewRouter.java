package imago.app;

import imago.core.tenant.Caller;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.telemetry.Telemetry;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Problem;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /admin/overview?range=1h|24h}: what the console's overview shows and {@code imago
 * status} prints, from the samples the nodes keep in the index ({@link TelemetrySampler}): the
 * figures now, a plot per measure over the range, and the nodes. A hospital's admin sees its own
 * hospital's traffic, archive and deliveries beside the service-wide figures ({@code serviceWide}:
 * the inference queue, jobs, latency, models' throughput, nodes: the workers serve every hospital);
 * the region sees every hospital.
 */
final class OverviewRouter {
  /** Points per plot: a bucket is the range divided by this, and never shorter than a sample. */
  private static final int POINTS = 360;

  /** One plot: its measures (sample names), each series of which becomes a line. */
  private record Plot(String id, String title, String unit, List<String> names) {}

  private static final List<Plot> PLOTS = List.of(
      new Plot("received", "Instances received", "instances/s", List.of("instances_received")),
      new Plot("storage", "Storage used", "bytes", List.of("storage_bytes")),
      new Plot("archive", "Studies and instances", "count", List.of("studies", "instances")),
      new Plot("queue", "Inference queue", "jobs", List.of("jobs_queued", "jobs_running")),
      new Plot("latency", "Job latency (study complete to result stored)", "ms", List.of("job_latency_p50", "job_latency_p99")),
      new Plot("images", "Images inferred per model", "images/s", List.of("images_inferred")),
      new Plot("jobs", "Jobs finished", "jobs per point", List.of("jobs_done" + Telemetry.COUNT, "jobs_failed" + Telemetry.COUNT)),
      new Plot("deliveries", "FSE webhook deliveries", "deliveries", List.of("deliveries_pending", "deliveries_failing")));

  /** Rates: "now" is the latest point only while it is recent. */
  private static final java.util.Set<String> RATES = java.util.Set.of("instances_received", "images_inferred");
  /** Figures that are the whole service's whatever the caller's hospital: the models and workers are shared. */
  private static final List<String> SERVICE_WIDE = List.of("jobsQueued", "jobsRunning", "jobsFailed", "jobLatencyP50Ms",
      "jobLatencyP99Ms", "imagesPerSecond");

  private final Vertx vertx;
  private final Access access;
  private final Telemetry telemetry;
  private final JobQueue queue;
  private final ConsoleConfig config;
  private final Clock clock;

  OverviewRouter(Vertx vertx, Access access, Telemetry telemetry, JobQueue queue, ConsoleConfig config, Clock clock) {
    this.vertx = vertx;
    this.access = access;
    this.telemetry = telemetry;
    this.queue = queue;
    this.config = config;
    this.clock = clock;
  }

  Routes routes() {
    Routes r = new Routes(vertx).filter(access.authenticate())
        .filter(Access.requireRole("Role may not see the service overview", "needs role admin (its hospital) or region (all)",
            Caller.Role.ADMIN, Caller.Role.REGION));
    r.get("").handler(this::overview);
    return r;
  }

  private void overview(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String range = ctx.queryParams().get("range") == null ? "1h" : ctx.queryParams().get("range");
    Duration span = switch (range) {
      case "1h" -> Duration.ofHours(1);
      case "24h", "1d" -> Duration.ofDays(1);
      default -> throw Problem.of(400, "bad-request", "Unknown range", "range is 1h or 24h, not " + range).exception();
    };
    String tenant = caller.role() == Caller.Role.REGION ? null : caller.tenantId();
    Blocking.respond(ctx, () -> build(tenant, range, span), json -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      ctx.json(json);
    });
  }

  JsonObject build(String tenant, String range, Duration span) throws Exception {
    Instant now = clock.instant();
    long bucket = Math.max(config.sampleInterval().toMillis(), span.toMillis() / POINTS);
    long from = now.toEpochMilli() - span.toMillis();
    List<Telemetry.Point> points = telemetry.points(from - from % bucket, bucket, tenant);
    // name -> series -> [t, v] in time order
    Map<String, Map<String, JsonArray>> byName = new LinkedHashMap<>();
    Map<String, Double> latest = new LinkedHashMap<>();
    Map<String, Long> latestAt = new LinkedHashMap<>();
    for (Telemetry.Point p : points) {
      byName.computeIfAbsent(p.name(), n -> new java.util.TreeMap<>()).computeIfAbsent(p.series(), s -> new JsonArray())
          .add(new JsonArray().add(p.atMs() / 1000).add(round(p.value())));
      String key = p.name() + '\u0000' + p.series();
      // a rate whose line stopped (its node went away) is 0 now, not its last value
      if (RATES.contains(p.name()) && p.atMs() < now.toEpochMilli() - 2 * bucket) continue;
      if (p.atMs() >= latestAt.getOrDefault(key, Long.MIN_VALUE)) {
        latestAt.put(key, p.atMs());
        latest.put(key, p.value());
      }
    }
    JsonArray plots = new JsonArray();
    for (Plot plot : PLOTS) {
      JsonArray series = new JsonArray();
      for (String name : plot.names()) {
        byName.getOrDefault(name, Map.of()).forEach((label, data) -> series.add(new JsonObject()
            .put("name", name).put("label", plot.names().size() > 1 ? shortName(name) + (label.isEmpty() ? "" : " " + label) : label)
            .put("points", data)));
      }
      plots.add(new JsonObject().put("id", plot.id()).put("title", plot.title()).put("unit", plot.unit()).put("series", series));
    }

    // the figures now: live where a query is cheap, else the last sample
    Map<JobState, Long> jobs = queue.counts();
    long pending = 0;
    long failing = 0;
    for (Map.Entry<String, Telemetry.Deliveries> d : telemetry.deliveries().entrySet()) {
      if (tenant != null && !tenant.equals(d.getKey())) continue;
      pending += d.getValue().pending();
      failing += d.getValue().failing();
    }
    double failed = 0;
    for (Telemetry.Point p : points) if (p.name().equals("jobs_failed" + Telemetry.COUNT)) failed += p.value();
    // the archive's size: the service's newest sample, not its last bucket's average
    Map<String, Double> archive = new LinkedHashMap<>();
    for (Telemetry.Point p : telemetry.latest(TelemetrySampler.SERVICE, from, tenant)) {
      archive.merge(p.name() + '\u0000', p.value(), Double::sum);
    }
    JsonObject figures = new JsonObject()
        .put("studies", Math.round(sum(archive, "studies")))
        .put("instances", Math.round(sum(archive, "instances")))
        .put("storageBytes", Math.round(sum(archive, "storage_bytes")))
        .put("instancesPerSecond", round(sum(latest, "instances_received")))
        .put("imagesPerSecond", round(sum(latest, "images_inferred")))
        .put("jobsQueued", jobs.getOrDefault(JobState.QUEUED, 0L))
        .put("jobsRunning", jobs.getOrDefault(JobState.RUNNING, 0L))
        .put("jobsFailed", Math.round(failed))
        .put("jobLatencyP50Ms", latest.get("job_latency_p50\u0000"))
        .put("jobLatencyP99Ms", latest.get("job_latency_p99\u0000"))
        .put("deliveriesPending", pending)
        .put("deliveriesFailing", failing);

    JsonArray nodes = new JsonArray();
    Duration stale = config.sampleInterval().multipliedBy(3);
    for (Telemetry.Node n : telemetry.nodes(now.minus(Duration.ofDays(1)))) {
      JsonObject detail;
      try {
        detail = new JsonObject(n.detail());
      } catch (RuntimeException e) {
        detail = new JsonObject();
      }
      nodes.add(new JsonObject().put("node", n.node()).put("roles", n.roles()).put("startedAt", n.startedAt().toString())
          .put("lastSeen", n.lastSeen().toString()).put("healthy", n.lastSeen().isAfter(now.minus(stale)))
          .put("detail", detail));
    }
    return new JsonObject().put("range", range).put("tenant", tenant).put("generatedAt", now.toString())
        .put("from", from / 1000).put("to", now.toEpochMilli() / 1000).put("bucketSeconds", bucket / 1000.0)
        .put("figures", figures).put("serviceWide", new JsonArray(SERVICE_WIDE)).put("plots", plots).put("nodes", nodes);
  }

  private static String shortName(String name) {
    return switch (name) {
      case "jobs_queued" -> "queued";
      case "jobs_running" -> "running";
      case "job_latency_p50" -> "p50";
      case "job_latency_p99" -> "p99";
      case "jobs_done_count" -> "done";
      case "jobs_failed_count" -> "failed";
      case "deliveries_pending" -> "pending";
      case "deliveries_failing" -> "failing";
      default -> name;
    };
  }

  /** The latest value of every series of {@code name}, summed. */
  private static double sum(Map<String, Double> latest, String name) {
    double total = 0;
    for (Map.Entry<String, Double> e : latest.entrySet()) if (e.getKey().startsWith(name + '\u0000')) total += e.getValue();
    return total;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
