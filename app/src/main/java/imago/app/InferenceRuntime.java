package imago.app;

import imago.core.events.Events;
import imago.inference.InferenceConfig;
import imago.inference.api.InferenceRouter;
import imago.inference.batch.ModelHost;
import imago.inference.engine.ArtifactCache;
import imago.inference.engine.ModelLoader;
import imago.inference.manifest.ManifestParser;
import imago.inference.metrics.InferenceMetrics;
import imago.inference.pipeline.PixelMedDecoder;
import imago.inference.results.ResultUids;
import imago.inference.schedule.CohortRuns;
import imago.inference.schedule.Scheduler;
import imago.inference.worker.JobRunner;
import imago.inference.worker.ResultWriter;
import imago.inference.worker.Worker;
import imago.storage.cluster.Coordinator;
import imago.storage.ingest.Ingest;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.SqlJobQueue;
import imago.web.Access;
import imago.web.Routes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The inference side of one process: the scheduler listening for {@code study.stable}, and (unless
 * {@code inference.worker} is false) a worker with its model host and decode pool.
 */
final class InferenceRuntime implements AutoCloseable {
  /** The durable consumer that turns {@code study.stable} into jobs, on one node of the cluster at a time. */
  static final String SCHEDULER = "scheduler";
  /** The build's version (Maven's project.version), as result objects name their software. */
  static final String IMAGO_VERSION = buildVersion();

  private final Vertx vertx;
  private final StorageRuntime storage;
  private final JobQueue queue;
  private final Scheduler scheduler;
  private final ModelHost host;
  private final ExecutorService decodePool;
  private final Worker worker;
  private final InferenceMetrics metrics;

  InferenceRuntime(Vertx vertx, InferenceConfig config, StorageRuntime storage, Ingest ingest, ModelLoader engines,
      ArtifactCache artifacts, ManifestParser parser, PrometheusMeterRegistry registry, ResultUids resultUids,
      Coordinator coordinator) {
    queue = new SqlJobQueue(storage.database().dataSource(), storage.database().isPostgres());
    scheduler = new Scheduler(storage.index(), storage.models(), queue, parser);
    metrics = new InferenceMetrics(registry);
    if (config.worker()) {
      AtomicInteger n = new AtomicInteger();
      decodePool = Executors.newFixedThreadPool(config.decodeThreadCount(), r -> {
        Thread t = new Thread(r, "decode-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      int engineThreads = config.engineThreadCount();
      host = new ModelHost(engines, artifacts, parser, metrics, config.profileBatches(),
          config.cpuReplicaCount(engines, engineThreads), engineThreads);
      JobRunner runner = new JobRunner(storage.index(), storage.store(), storage.models(), queue, host, new PixelMedDecoder(),
          new ResultWriter(ingest), resultUids, decodePool, metrics, IMAGO_VERSION);
      String id = ManagementFactory.getRuntimeMXBean().getName();
      worker = new Worker(id, queue, runner, config, metrics,
          result -> vertx.eventBus().publish(Events.INFERENCE_RESULT, result))
          // PostgreSQL wakes every worker when jobs are queued (NOTIFY); H2 serves one node and the poll is the wake-up
          .idlePoll(java.time.Duration.ofSeconds(storage.database().isPostgres() ? 5 : 1)).start();
      coordinator.on(SqlJobQueue.JOBS_CHANNEL, worker::wake); // jobs queued by any node
    } else {
      decodePool = null;
      host = null;
      worker = null;
    }
    this.vertx = vertx;
    this.storage = storage;
    // Every study.stable of the cluster, once: a failure is tried again (the consumer's cursor stays).
    coordinator.consumer(SCHEDULER, Set.of(Events.STUDY_STABLE), event -> {
      List<Job> created = scheduler.studyStable(event.tenantId(), event.studyUid());
      if (!created.isEmpty()) wake();
      vertx.eventBus().publish(Events.STUDY_SCHEDULED, new JsonObject().put("tenant", event.tenantId())
          .put("studyUid", event.studyUid()).put("revision", new JsonObject(event.payload()).getValue("revision"))
          .put("jobs", created.size()));
    }, null);
  }

  /** Tells this process's worker (if it runs one) that jobs are waiting. */
  void wake() {
    if (worker != null) worker.wake();
  }

  /** The {@code /inference} API of a serving process. */
  Routes routes(Access access) {
    return new InferenceRouter(vertx, queue, storage.models(), new CohortRuns(storage.index(), storage.models(), queue, scheduler),
        access, this::wake).routes();
  }

  JobQueue queue() {
    return queue;
  }

  Scheduler scheduler() {
    return scheduler;
  }

  InferenceMetrics metrics() {
    return metrics;
  }

  /** Whether this process runs a worker (inference.worker). */
  boolean runsWorker() {
    return worker != null;
  }

  @Override
  public void close() {
    if (worker != null) worker.close();
    if (decodePool != null) decodePool.shutdownNow();
    if (host != null) host.close();
  }

  private static String buildVersion() {
    try (java.io.InputStream in = InferenceRuntime.class.getResourceAsStream("/imago/version.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) p.load(in);
      return p.getProperty("version", "unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
