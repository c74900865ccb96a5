package imago.node.events;

import imago.core.events.Events;
import imago.storage.index.Index;
import imago.storage.index.StableStudy;
import imago.web.Blocking;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@code study.stable} once for each study that has received no instance for the
 * quiet period, and again after more instances arrive. The decision is a claim in SQL
 * ({@link Index#claimStableStudies}), so it survives restarts and holds with several node
 * processes: exactly one of them announces each quiet study.
 */
public final class StudyStabilizer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StudyStabilizer.class);

  private final Vertx vertx;
  private final Index index;
  private final Duration quiet;
  private final Clock clock;
  private final AtomicLong scans = new AtomicLong();
  private long timer = -1;
  private boolean scanning;

  public StudyStabilizer(Vertx vertx, Index index, Duration quiet) {
    this(vertx, index, quiet, Clock.systemUTC());
  }

  /** {@code clock} decides when a study has been quiet long enough. */
  public StudyStabilizer(Vertx vertx, Index index, Duration quiet, Clock clock) {
    this.vertx = vertx;
    this.index = index;
    this.quiet = quiet;
    this.clock = clock;
  }

  /** How many scans have ended, their study.stable messages published: a later count means a later look. */
  public long scans() {
    return scans.get();
  }

  /** Scans every second, or every tenth of the quiet period when that is shorter. */
  public StudyStabilizer start() {
    long period = Math.max(100, Math.min(1000, quiet.toMillis() / 10));
    timer = vertx.setPeriodic(period, id -> scan());
    return this;
  }

  private void scan() {
    if (scanning) return;
    scanning = true;
    Blocking.<List<StableStudy>>run(vertx, () -> index.claimStableStudies(clock.instant().minus(quiet), 500))
        .onComplete(ar -> {
          scanning = false;
          if (ar.failed()) {
            LOG.warn("event=stable.scan.failed reason=\"{}\"", ar.cause().getMessage());
            scans.incrementAndGet();
            return;
          }
          for (StableStudy s : ar.result()) {
            LOG.info("event=study.stable tenant={} study={} instances={}", s.tenantId(), s.studyUid(), s.instances());
            vertx.eventBus().publish(Events.STUDY_STABLE, new JsonObject()
                .put("tenant", s.tenantId())
                .put("studyUid", s.studyUid())
                .put("revision", s.revision())
                .put("instances", s.instances()));
          }
          scans.incrementAndGet();
        });
  }

  @Override
  public void close() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }
}
