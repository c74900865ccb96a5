package imago.node.events;

import imago.core.events.Events;
import imago.storage.cluster.Coordinator;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StableStudy;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares a study stable once it has received no instance for the quiet period, and again after
 * more instances arrive. A singleton duty ({@link #DUTY}): one node of the cluster scans at a
 * time, and each claim is an SQL update that writes its {@code study.stable} event to the outbox in
 * the same transaction ({@link Index#claimStableStudies}), so a study is stable once, cluster-wide,
 * whichever nodes its instances went through. This node also publishes the claims it made on its
 * own event bus, for in-process observers.
 */
public final class StudyStabilizer {
  private static final Logger LOG = LoggerFactory.getLogger(StudyStabilizer.class);
  /** The singleton duty's name. */
  public static final String DUTY = "stability";

  private final Vertx vertx;
  private final Index index;
  private final Duration quiet;
  private final Clock clock;
  private final Coordinator coordinator;
  private final AtomicLong scans = new AtomicLong();

  /** {@code clock} decides when a study has been quiet long enough. */
  public StudyStabilizer(Vertx vertx, Index index, Duration quiet, Clock clock, Coordinator coordinator) {
    this.vertx = vertx;
    this.index = index;
    this.quiet = quiet;
    this.clock = clock;
    this.coordinator = coordinator;
  }

  /** How many scans this node has ended, their events written: a later count means a later look. */
  public long scans() {
    return scans.get();
  }

  /** Registers the duty: a scan every second, or every tenth of the quiet period when that is shorter. */
  public StudyStabilizer register() {
    Duration period = Duration.ofMillis(Math.max(100, Math.min(1000, quiet.toMillis() / 10)));
    coordinator.duty(DUTY, period, this::scan);
    return this;
  }

  private void scan() throws SqlUnavailableException {
    try {
      List<StableStudy> claimed = index.claimStableStudies(clock.instant().minus(quiet), 500);
      if (!claimed.isEmpty()) coordinator.signalEvent(Events.STUDY_STABLE);
      for (StableStudy s : claimed) {
        LOG.info("event=study.stable tenant={} study={} revision={} instances={}", s.tenantId(), s.studyUid(), s.revision(),
            s.instances());
        vertx.eventBus().publish(Events.STUDY_STABLE, new JsonObject()
            .put("tenant", s.tenantId())
            .put("studyUid", s.studyUid())
            .put("revision", s.revision())
            .put("instances", s.instances()));
      }
    } finally {
      scans.incrementAndGet();
    }
  }
}
