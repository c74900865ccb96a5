package imago.app;

import imago.core.config.Config;
import imago.inference.InferenceConfig;
import imago.inference.engine.ArtifactCache;
import imago.inference.manifest.ManifestParser;
import imago.node.events.EventBusPublisher;
import imago.storage.StorageConfig;
import imago.storage.cluster.ClusterConfig;
import imago.storage.cluster.Coordinator;
import imago.storage.ingest.Ingest;
import imago.storage.telemetry.Telemetry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code imago worker}: a process that only runs inference jobs, beside a serving process (or
 * several): it shares the SQL queue and the object store, claims jobs with leases, and stores its
 * results through the same ingest path. On the embedded defaults it joins the serving process's S3
 * server and H2 file in the same data folder; at scale point it at MinIO and PostgreSQL.
 */
final class WorkerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);

  private final StorageRuntime storage;
  private final Vertx vertx;
  private final InferenceRuntime inference;
  private final Coordinator coordinator;
  private final TelemetrySampler telemetry;

  private WorkerProcess(StorageRuntime storage, Vertx vertx, InferenceRuntime inference, Coordinator coordinator,
      TelemetrySampler telemetry) {
    this.storage = storage;
    this.vertx = vertx;
    this.inference = inference;
    this.coordinator = coordinator;
    this.telemetry = telemetry;
  }

  static WorkerProcess start(Config config) throws IOException {
    Path data = config.dataDir();
    StorageConfig storageConfig = config.section("storage", StorageConfig.class);
    InferenceConfig inferenceConfig = config.section("inference", InferenceConfig.class);
    if (!inferenceConfig.worker()) throw new IllegalArgumentException("inference.worker is false: nothing to run");
    StorageRuntime storage = StorageRuntime.open(storageConfig, data);
    Vertx vertx = Vertx.vertx();
    Coordinator coordinator = new Coordinator(storage.database().dataSource(), storage.database().isPostgres(),
        config.section("cluster", ClusterConfig.class));
    try {
      EventBusPublisher events = new EventBusPublisher(vertx);
      TelemetrySampler.ReceivedCounts received = new TelemetrySampler.ReceivedCounts();
      Ingest ingest = storage.ingest(storageConfig.duplicatePolicy(), instance -> {
        events.stored(instance);
        received.stored(instance);
      });
      InferenceRuntime inference = new InferenceRuntime(vertx, inferenceConfig, storage, ingest,
          inferenceConfig.loader(data), new ArtifactCache(data.resolve("models"), storage.store()),
          new ManifestParser(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Imago.resultUids(config, data), coordinator);
      TelemetrySampler telemetry = new TelemetrySampler(new Telemetry(storage.database().dataSource()),
          config.section("console", ConsoleConfig.class), coordinator.node(), "worker",
          new JsonObject().put("version", InferenceRuntime.IMAGO_VERSION).put("pid", ProcessHandle.current().pid())
              .put("worker", true), Clock.systemUTC(), received, inference.metrics(), inference.queue(),
          Imago.tenants(config).all().stream().map(imago.core.tenant.Tenant::id).toList()).start(coordinator);
      coordinator.start();
      LOG.info("event=worker.ready data={} node={}", data, coordinator.node());
      return new WorkerProcess(storage, vertx, inference, coordinator, telemetry);
    } catch (RuntimeException e) {
      coordinator.close();
      vertx.close();
      storage.close();
      throw e;
    }
  }

  @Override
  public void close() {
    telemetry.close();
    coordinator.close();
    inference.close();
    vertx.close().await();
    storage.close();
  }
}
