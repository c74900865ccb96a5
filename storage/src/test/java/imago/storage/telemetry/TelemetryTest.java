package imago.storage.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.index.Database;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the console plots, kept in the index: on embedded H2 and on PostgreSQL. */
class TelemetryTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  private static Telemetry telemetry(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    return new Telemetry(db.dataSource());
  }

  /** Within a bucket each node's samples are averaged; across nodes they add up; a tenant sees its own series only. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void pointsAverageWithinABucketAndAddUpAcrossNodes(Backend backend) throws Exception {
    Telemetry t = telemetry(backend);
    long start = 60_000L * 20_000_000L; // a multiple of the bucket below
    t.record("a", start, List.of(new Telemetry.Sample("instances_received", "h1/dimse", "h1", 2.0),
        new Telemetry.Sample("instances_received", "h2/stow", "h2", 5.0), new Telemetry.Sample("jobs_queued", "", null, 7)));
    t.record("a", start + 10_000, List.of(new Telemetry.Sample("instances_received", "h1/dimse", "h1", 4.0)));
    t.record("b", start + 20_000, List.of(new Telemetry.Sample("instances_received", "h1/dimse", "h1", 10.0)));
    t.record("a", start + 60_000, List.of(new Telemetry.Sample("instances_received", "h1/dimse", "h1", 1.0)));

    List<Telemetry.Point> all = t.points(start, 60_000, null);
    assertEquals(List.of(
        new Telemetry.Point("instances_received", "h1/dimse", "h1", start, 13.0), // a: (2 + 4) / 2, plus b: 10
        new Telemetry.Point("instances_received", "h1/dimse", "h1", start + 60_000, 1.0),
        new Telemetry.Point("instances_received", "h2/stow", "h2", start, 5.0),
        new Telemetry.Point("jobs_queued", "", null, start, 7.0)), all);

    List<Telemetry.Point> h2 = t.points(start, 60_000, "h2");
    assertEquals(List.of("instances_received h2/stow", "jobs_queued "), h2.stream().map(p -> p.name() + " " + p.series()).toList(),
        "another tenant's series stay out; service-wide ones are shown");
    assertEquals(1, t.points(start + 60_000, 60_000, null).size(), "from a later time: only what was sampled since");

    assertEquals(5, t.prune(start + 60_000));
    assertEquals(1, t.points(0, 60_000, null).size());
  }

  /** Counts add up over a bucket's samples and the nodes; a percentile keeps the highest node's, since percentiles do not add. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void countsAddUpAndPercentilesKeepTheHighestNode(Backend backend) throws Exception {
    Telemetry t = telemetry(backend);
    long start = 60_000L * 20_000_000L;
    t.record("a", start, List.of(new Telemetry.Sample("jobs_failed_count", "", null, 1),
        new Telemetry.Sample("job_latency_p50", "", null, 100)));
    t.record("a", start + 10_000, List.of(new Telemetry.Sample("jobs_failed_count", "", null, 2),
        new Telemetry.Sample("job_latency_p50", "", null, 300)));
    t.record("b", start + 20_000, List.of(new Telemetry.Sample("jobs_failed_count", "", null, 4),
        new Telemetry.Sample("job_latency_p50", "", null, 150)));
    assertEquals(List.of(new Telemetry.Point("job_latency_p50", "", null, start, 200.0),
        new Telemetry.Point("jobs_failed_count", "", null, start, 7.0)), t.points(start, 60_000, null));
  }

  /** A gauge reads its newest sample, not the average of its last bucket. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void theLatestSampleOfANodeIsWhatAGaugeReadsNow(Backend backend) throws Exception {
    Telemetry t = telemetry(backend);
    long start = 60_000L * 20_000_000L;
    t.record("service", start, List.of(new Telemetry.Sample("storage_bytes", "h1", "h1", 100),
        new Telemetry.Sample("storage_bytes", "h2", "h2", 5)));
    t.record("service", start + 1000, List.of(new Telemetry.Sample("storage_bytes", "h1", "h1", 130),
        new Telemetry.Sample("storage_bytes", "h2", "h2", 7)));
    t.record("a", start + 2000, List.of(new Telemetry.Sample("storage_bytes", "h1", "h1", 999)));
    assertEquals(List.of(new Telemetry.Point("storage_bytes", "h1", "h1", start + 1000, 130.0)),
        t.latest("service", start, "h1"));
    assertEquals(2, t.latest("service", start, null).size());
    assertTrue(t.latest("service", start + 5000, null).isEmpty(), "nothing sampled since");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aHeartbeatUpdatesItsNodeAndOldNodesAreForgotten(Backend backend) throws Exception {
    Telemetry t = telemetry(backend);
    Instant t0 = Instant.parse("2026-12-07T10:00:00Z");
    t.heartbeat("n1", "serve", t0, t0, "{\"version\": \"1\"}");
    t.heartbeat("n2", "worker", t0, t0.plusSeconds(5), "{}");
    t.heartbeat("n1", "serve", t0, t0.plusSeconds(10), "{\"version\": \"1\"}");
    List<Telemetry.Node> nodes = t.nodes(t0);
    assertEquals(List.of("n1", "n2"), nodes.stream().map(Telemetry.Node::node).toList(), "newest first");
    assertEquals(t0.plusSeconds(10), nodes.get(0).lastSeen());
    assertEquals(1, t.forgetNodes(t0.plusSeconds(8)));
    assertEquals(List.of("n1"), t.nodes(t0).stream().map(Telemetry.Node::node).toList());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anEmptyArchiveHasNoSizesAndNoDeliveries(Backend backend) throws Exception {
    Telemetry t = telemetry(backend);
    assertTrue(t.sizes().isEmpty());
    assertTrue(t.deliveries().isEmpty());
  }
}
