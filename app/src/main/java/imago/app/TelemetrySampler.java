package imago.app;

import imago.inference.metrics.InferenceMetrics;
import imago.storage.cluster.Coordinator;
import imago.storage.index.Source;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.ingest.IngestListener;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.telemetry.Telemetry;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples what the console plots into the index ({@link Telemetry}) every
 * {@code console.sampleInterval}: each node its own rates (instances received per tenant and
 * protocol, images per model, jobs done and failed, job latency) and that it is alive; the node
 * holding the {@value #DUTY} duty the service-wide gauges (queue, archive size, deliveries), under
 * the node name {@value #SERVICE} so that a plot never counts them twice. The same duty deletes
 * samples older than {@code console.retention}.
 */
final class TelemetrySampler implements AutoCloseable {
  static final String DUTY = "telemetry";
  /** The node name service-wide samples are kept under. */
  static final String SERVICE = "service";
  private static final Logger LOG = LoggerFactory.getLogger(TelemetrySampler.class);

  private final Telemetry store;
  private final ConsoleConfig config;
  private final String node;
  private final String roles;
  private final JsonObject detail;
  private final Clock clock;
  private final Instant started;
  private final InferenceMetrics inference;
  private final JobQueue queue;
  /** The configured tenants: each gets its own lines (deliveries), zero included. */
  private final List<String> tenants;
  private final ReceivedCounts received;
  private final Map<String, Long> receivedBefore = new HashMap<>();
  private final Map<String, Long> imagesBefore = new HashMap<>();
  private long doneBefore;
  private long failedBefore;
  private long sampledAt;
  private int serviceRuns;
  /** The archive's size, counted every {@link #SIZES_EVERY} service samples (a pass over the instances) and repeated between. */
  private List<Telemetry.TenantSize> sizes = List.of();
  private static final int SIZES_EVERY = 6;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "telemetry");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param inference this process's inference metrics, or null when it runs no worker
   * @param detail what the node says of itself on the console (ports, version)
   */
  TelemetrySampler(Telemetry store, ConsoleConfig config, String node, String roles, JsonObject detail, Clock clock,
      ReceivedCounts received, InferenceMetrics inference, JobQueue queue, List<String> tenants) {
    this.store = store;
    this.tenants = List.copyOf(tenants);
    this.received = received;
    this.config = config;
    this.node = node;
    this.roles = roles;
    this.detail = detail;
    this.clock = clock;
    this.started = clock.instant();
    this.inference = inference;
    this.queue = queue;
    this.sampledAt = clock.millis();
    if (inference != null) {
      imagesBefore.putAll(inference.imagesByModel());
      doneBefore = inference.finishedCount(JobState.DONE);
      failedBefore = failedCount(inference);
    }
  }

  /**
   * Instances stored per tenant and protocol: the ingest path's listener, made before the sampler
   * (results the workers store count as {@code inference}; a reindex does not count).
   */
  static final class ReceivedCounts implements IngestListener {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    @Override
    public void stored(StoredInstance i) {
      if (i.source() == Source.REINDEX) return;
      counts.computeIfAbsent(i.tenantId() + '\u0000' + i.source().name().toLowerCase(Locale.ROOT), k -> new LongAdder())
          .increment();
    }
  }

  /** Starts sampling: this node's rates on its own timer, the service's gauges as a cluster duty. */
  TelemetrySampler start(Coordinator coordinator) {
    long step = config.sampleInterval().toMillis();
    heartbeat();
    timer.scheduleAtFixedRate(this::sampleNode, step, step, TimeUnit.MILLISECONDS);
    coordinator.duty(DUTY, config.sampleInterval(), this::sampleService);
    return this;
  }

  private void heartbeat() {
    try {
      store.heartbeat(node, roles, started, clock.instant(), detail.encode());
    } catch (SqlUnavailableException e) {
      LOG.warn("event=telemetry.heartbeat.failed node={} reason=\"{}\"", node, e.getMessage());
    }
  }

  /** This node's rates since the last sample, and its heartbeat. */
  synchronized void sampleNode() {
    try {
      long now = clock.millis();
      double seconds = Math.max(0.001, (now - sampledAt) / 1000.0);
      sampledAt = now;
      List<Telemetry.Sample> samples = new ArrayList<>();
      for (Map.Entry<String, LongAdder> e : received.counts.entrySet()) {
        long total = e.getValue().sum();
        long delta = total - receivedBefore.getOrDefault(e.getKey(), 0L);
        receivedBefore.put(e.getKey(), total);
        String[] key = e.getKey().split("\u0000", 2);
        samples.add(new Telemetry.Sample("instances_received", key[0] + "/" + key[1], key[0], delta / seconds));
      }
      if (inference != null) {
        for (Map.Entry<String, Long> e : inference.imagesByModel().entrySet()) {
          long delta = e.getValue() - imagesBefore.getOrDefault(e.getKey(), 0L);
          imagesBefore.put(e.getKey(), e.getValue());
          samples.add(new Telemetry.Sample("images_inferred", e.getKey(), null, delta / seconds));
        }
        long done = inference.finishedCount(JobState.DONE);
        long failed = failedCount(inference);
        samples.add(new Telemetry.Sample("jobs_done" + Telemetry.COUNT, "", null, done - doneBefore));
        samples.add(new Telemetry.Sample("jobs_failed" + Telemetry.COUNT, "", null, failed - failedBefore));
        doneBefore = done;
        failedBefore = failed;
        List<Long> latencies = inference.drainLatencies();
        if (!latencies.isEmpty()) {
          Collections.sort(latencies);
          samples.add(new Telemetry.Sample("job_latency_p50", "", null, percentile(latencies, 50)));
          samples.add(new Telemetry.Sample("job_latency_p99", "", null, percentile(latencies, 99)));
        }
      }
      store.record(node, now, samples);
      heartbeat();
    } catch (SqlUnavailableException | RuntimeException e) {
      LOG.warn("event=telemetry.sample.failed node={} reason=\"{}\"", node, e.getMessage());
    }
  }

  /** The service-wide gauges, by whichever node holds the duty; now and then, the retention too. */
  void sampleService() throws SqlUnavailableException {
    long now = clock.millis();
    List<Telemetry.Sample> samples = new ArrayList<>();
    Map<JobState, Long> jobs = queue.counts();
    samples.add(new Telemetry.Sample("jobs_queued", "", null, jobs.getOrDefault(JobState.QUEUED, 0L)));
    samples.add(new Telemetry.Sample("jobs_running", "", null, jobs.getOrDefault(JobState.RUNNING, 0L)));
    Map<String, Telemetry.Deliveries> deliveries = store.deliveries();
    for (String tenant : tenants) {
      Telemetry.Deliveries d = deliveries.getOrDefault(tenant, new Telemetry.Deliveries(0, 0));
      samples.add(new Telemetry.Sample("deliveries_pending", tenant, tenant, d.pending()));
      samples.add(new Telemetry.Sample("deliveries_failing", tenant, tenant, d.failing()));
    }
    if (serviceRuns % SIZES_EVERY == 0) sizes = store.sizes();
    for (Telemetry.TenantSize s : sizes) {
      samples.add(new Telemetry.Sample("studies", s.tenantId(), s.tenantId(), s.studies()));
      samples.add(new Telemetry.Sample("instances", s.tenantId(), s.tenantId(), s.instances()));
      samples.add(new Telemetry.Sample("storage_bytes", s.tenantId(), s.tenantId(), s.bytes()));
    }
    store.record(SERVICE, now, samples);
    if (serviceRuns++ % 60 == 0) {
      int pruned = store.prune(now - config.retention().toMillis());
      store.forgetNodes(clock.instant().minus(config.retention()));
      if (pruned > 0) LOG.debug("event=telemetry.pruned samples={}", pruned);
    }
  }

  /** Jobs that ended without a result: failed for good, or out of attempts. */
  private static long failedCount(InferenceMetrics m) {
    return m.finishedCount(JobState.FAILED) + m.finishedCount(JobState.DEAD);
  }

  static double percentile(List<Long> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
