package imago.inference.metrics;

import imago.inference.batch.BatchListener;
import imago.storage.jobs.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The inference pipeline's Prometheus metrics: queue depth and jobs by state, a time histogram per
 * stage (fetch, decode, preprocess, queue, engine, write), batch sizes and images inferred.
 */
public final class InferenceMetrics implements BatchListener {
  /** The pipeline's stages, timed separately. */
  public enum Stage { FETCH, DECODE, PREPROCESS, QUEUE, ENGINE, WRITE }

  private final MeterRegistry registry;
  private final Map<Stage, Timer> stages = new EnumMap<>(Stage.class);
  private final Map<JobState, AtomicLong> jobs = new EnumMap<>(JobState.class);
  private final Map<JobState, Counter> finished = new EnumMap<>(JobState.class);
  private final DistributionSummary batchSize;
  private final Counter images;
  private final Timer jobLatency;
  /** Samples per model since this process started, for the console's images/s per model. */
  private final Map<String, LongAdder> imagesByModel = new ConcurrentHashMap<>();
  /** Job latencies (ms) not yet taken by {@link #drainLatencies}, bounded. */
  private final ArrayDeque<Long> latencies = new ArrayDeque<>();
  private static final int MAX_LATENCIES = 100_000;

  public InferenceMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Stage s : Stage.values()) {
      stages.put(s, Timer.builder("imago.inference.stage").description("time spent per pipeline stage")
          .tag("stage", s.name().toLowerCase(java.util.Locale.ROOT)).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(60)).register(registry));
    }
    for (JobState s : JobState.values()) {
      AtomicLong n = new AtomicLong();
      jobs.put(s, n);
      Gauge.builder("imago.inference.jobs", n, AtomicLong::get).description("jobs in the queue by state (all workers)")
          .tag("state", s.id()).register(registry);
      finished.put(s, Counter.builder("imago.inference.jobs.finished").description("jobs this process finished, by outcome")
          .tag("state", s.id()).register(registry));
    }
    Gauge.builder("imago.inference.queue.depth", this, m -> m.jobs.get(JobState.QUEUED).get())
        .description("jobs waiting for a worker").register(registry);
    batchSize = DistributionSummary.builder("imago.inference.batch.size").description("samples per engine call")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
    images = Counter.builder("imago.inference.images").description("samples run through a model").register(registry);
    jobLatency = Timer.builder("imago.inference.job.latency").description("from a job's creation (its series complete) to its "
        + "result stored").publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofHours(1)).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void time(Stage stage, long nanos) {
    stages.get(stage).record(nanos, TimeUnit.NANOSECONDS);
  }

  public void jobsByState(Map<JobState, Long> counts) {
    counts.forEach((state, n) -> jobs.get(state).set(n));
  }

  public void finished(JobState state) {
    finished.get(state).increment();
  }

  /** A job's result was stored {@code latency} after the job was created. */
  public void latency(Duration latency) {
    jobLatency.record(latency);
    synchronized (latencies) {
      if (latencies.size() == MAX_LATENCIES) latencies.removeFirst();
      latencies.addLast(latency.toMillis());
    }
  }

  /** The job latencies (ms) recorded since the last call. */
  public List<Long> drainLatencies() {
    synchronized (latencies) {
      List<Long> out = new ArrayList<>(latencies);
      latencies.clear();
      return out;
    }
  }

  /** Jobs this process finished in {@code state} since it started. */
  public long finishedCount(JobState state) {
    return (long) finished.get(state).count();
  }

  /** Samples each model ran since this process started. */
  public Map<String, Long> imagesByModel() {
    Map<String, Long> out = new TreeMap<>();
    imagesByModel.forEach((model, n) -> out.put(model, n.sum()));
    return out;
  }

  @Override
  public void batch(String model, int size, long queueNanos, long engineNanos) {
    batchSize.record(size);
    images.increment(size);
    imagesByModel.computeIfAbsent(model, m -> new LongAdder()).add(size);
    time(Stage.QUEUE, queueNanos);
    time(Stage.ENGINE, engineNanos);
  }
}
