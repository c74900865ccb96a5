package imago.app;

import imago.storage.ingest.IngestTimings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The ingest path's stage times as Prometheus timers: {@code imago_ingest_stage_seconds_sum} and
 * {@code _count} per {@code stage}. Dividing one by the other gives the mean time an instance
 * spends in each stage; bench/ingest prints that breakdown.
 */
final class IngestMetrics implements IngestTimings {
  private final Map<Stage, Timer> timers = new EnumMap<>(Stage.class);

  IngestMetrics(MeterRegistry registry) {
    for (Stage stage : Stage.values()) {
      timers.put(stage, Timer.builder("imago.ingest.stage").description("time one instance spends in an ingest stage")
          .tag("stage", stage.label()).register(registry));
    }
  }

  @Override
  public void record(Stage stage, long nanos) {
    timers.get(stage).record(nanos, TimeUnit.NANOSECONDS);
  }
}
