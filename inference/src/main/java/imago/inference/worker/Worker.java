package imago.inference.worker;

import imago.inference.InferenceConfig;
import imago.inference.metrics.InferenceMetrics;
import imago.storage.index.SqlUnavailableException;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs from the SQL queue and runs them, up to {@code concurrentJobs} at once; heartbeats
 * extend the leases of the jobs in hand. A job a worker no longer holds (its lease ran out) is
 * finished by whoever claimed it next; the result objects are the same either way.
 */
public final class Worker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  private final String id;
  private final JobQueue queue;
  private final JobRunner runner;
  private final InferenceConfig config;
  private final InferenceMetrics metrics;
  private final Consumer<JsonObject> onDone;
  private final Semaphore slots;
  private final Set<Long> inHand = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> daemon(r, "worker-timers"));
  private final java.util.concurrent.ExecutorService jobs;
  private final Object wake = new Object();
  private boolean woken;
  private volatile Duration idlePoll = Duration.ofSeconds(1);
  private volatile boolean closed;
  private Thread claimer;

  /**
   * @param onDone told of each finished job's result (to publish {@code inference.result})
   */
  public Worker(String id, JobQueue queue, JobRunner runner, InferenceConfig config, InferenceMetrics metrics,
      Consumer<JsonObject> onDone) {
    this.id = id;
    this.queue = queue;
    this.runner = runner;
    this.config = config;
    this.metrics = metrics;
    this.onDone = onDone;
    this.slots = new Semaphore(Math.max(1, config.concurrentJobs()));
    this.jobs = Executors.newFixedThreadPool(Math.max(1, config.concurrentJobs()), r -> daemon(r, "job-" + id));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public String id() {
    return id;
  }

  public Worker start() {
    long beat = Math.max(1000, config.lease().toMillis() / 3);
    timers.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
    timers.scheduleWithFixedDelay(this::countJobs, 0, 5, TimeUnit.SECONDS);
    claimer = daemon(this::claimLoop, "claimer-" + id);
    claimer.start();
    LOG.info("event=worker.started worker={} concurrentJobs={} lease={}", id, config.concurrentJobs(), config.lease());
    return this;
  }

  /**
   * How often an idle worker looks for jobs without being woken: for retries whose back-off ended
   * and leases that ran out, and for new jobs when nothing wakes it (1 s by default; longer where
   * queueing a job notifies every worker).
   */
  public Worker idlePoll(Duration every) {
    idlePoll = every;
    return this;
  }

  /** New jobs are queued: look now rather than at the next poll. */
  public void wake() {
    synchronized (wake) {
      woken = true;
      wake.notifyAll();
    }
  }

  private void claimLoop() {
    while (!closed) {
      try {
        slots.acquire();
        List<Job> claimed;
        try {
          claimed = queue.claim(id, 1, config.lease(), config.maxAttempts());
        } catch (SqlUnavailableException e) {
          LOG.warn("event=job.claim.failed worker={} error=\"{}\"", id, e.getMessage());
          claimed = List.of();
        }
        if (claimed.isEmpty()) {
          slots.release();
          synchronized (wake) {
            if (!woken) wake.wait(idlePoll.toMillis()); // a wake-up since the claim looked is not lost
            woken = false;
          }
          continue;
        }
        Job job = claimed.get(0);
        inHand.add(job.id());
        jobs.execute(() -> {
          try {
            run(job);
          } finally {
            inHand.remove(job.id());
            slots.release();
          }
        });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void run(Job job) {
    long start = System.nanoTime();
    LOG.info("event=job.started job={} worker={} attempt={} model={}:{} series={}", job.id(), id, job.attempts(),
        job.modelName(), job.modelVersion(), job.seriesUid());
    try {
      JsonObject result = runner.run(job);
      result.put("millis", (System.nanoTime() - start) / 1_000_000);
      if (queue.complete(job.id(), id, result.encode())) {
        metrics.finished(JobState.DONE);
        if (job.createdAt() != null) metrics.latency(Duration.between(job.createdAt(), Instant.now()));
        LOG.info("event=job.done job={} worker={} millis={}", job.id(), id, (System.nanoTime() - start) / 1_000_000);
        onDone.accept(result);
      } else {
        LOG.warn("event=job.lease.lost job={} worker={} (another worker finishes it; the result objects are the same)",
            job.id(), id);
      }
    } catch (JobFailure f) {
      settle(job, f);
    } catch (SqlUnavailableException e) {
      settle(job, JobFailure.passing(e.getMessage(), e));
    } catch (RuntimeException e) {
      LOG.error("event=job.crashed job={} worker={}", job.id(), id, e);
      settle(job, JobFailure.permanent("internal error: " + e, e));
    }
  }

  private void settle(Job job, JobFailure f) {
    try {
      if (f.permanent()) {
        queue.fail(job.id(), id, f.getMessage());
        metrics.finished(JobState.FAILED);
        LOG.warn("event=job.failed job={} worker={} reason=\"{}\"", job.id(), id, f.getMessage());
      } else {
        Duration backoff = config.retryBackoff().multipliedBy(1L << Math.min(10, Math.max(0, job.attempts() - 1)));
        Optional<JobState> left = queue.retry(job.id(), id, f.getMessage(), backoff, config.maxAttempts());
        left.ifPresent(metrics::finished);
        LOG.warn("event=job.retry job={} worker={} attempt={} state={} backoff={} reason=\"{}\"", job.id(), id,
            job.attempts(), left.map(JobState::id).orElse("lost"), backoff, f.getMessage());
      }
    } catch (SqlUnavailableException e) {
      // The lease runs out and the job is claimed again: nothing is lost.
      LOG.warn("event=job.settle.failed job={} worker={} error=\"{}\"", job.id(), id, e.getMessage());
    }
  }

  private void heartbeat() {
    for (long job : inHand) {
      try {
        if (!queue.heartbeat(job, id, config.lease())) {
          LOG.warn("event=job.lease.lost job={} worker={}", job, id);
        }
      } catch (SqlUnavailableException e) {
        LOG.warn("event=job.heartbeat.failed job={} worker={} error=\"{}\"", job, id, e.getMessage());
      }
    }
  }

  private void countJobs() {
    try {
      Map<JobState, Long> counts = queue.counts();
      metrics.jobsByState(counts);
    } catch (SqlUnavailableException | RuntimeException e) {
      LOG.debug("event=job.count.failed error=\"{}\"", e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    if (claimer != null) claimer.interrupt();
    timers.shutdownNow();
    jobs.shutdownNow();
  }
}
