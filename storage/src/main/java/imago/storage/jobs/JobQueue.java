package imago.storage.jobs;

import imago.storage.index.SqlUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The inference job queue, in SQL so that any number of worker processes share it and a job
 * outlives the process that ran it (invariant 5). Workers claim with a lease; a worker that dies
 * loses only its lease, and the job is claimed again once the lease has run out.
 */
public interface JobQueue {

  /** Creates the jobs not already there; returns those created (an existing one is not repeated). */
  List<Job> enqueue(List<NewJob> jobs) throws SqlUnavailableException;

  /**
   * Claims up to {@code max} runnable jobs for {@code worker} until now + {@code lease}: queued ones
   * whose backoff has passed, and running ones whose lease ran out. Each claim counts an attempt; a
   * job whose lease ran out after its last allowed attempt is dead-lettered instead of claimed.
   */
  List<Job> claim(String worker, int max, Duration lease, int maxAttempts) throws SqlUnavailableException;

  /** Extends the lease; false when the worker no longer holds it (it must stop working on the job). */
  boolean heartbeat(long id, String worker, Duration lease) throws SqlUnavailableException;

  /** Finishes a job the worker holds with its result; false (and nothing written) when it does not hold it. */
  boolean complete(long id, String worker, String resultJson) throws SqlUnavailableException;

  /** Ends a job the worker holds as {@code failed}, for a reason a retry would not change. */
  boolean fail(long id, String worker, String reason) throws SqlUnavailableException;

  /**
   * Gives a job back after a passing failure: queued again after {@code backoff}, or {@code dead}
   * when it has had {@code maxAttempts}. Returns the state it is left in, empty if not held.
   */
  Optional<JobState> retry(long id, String worker, String reason, Duration backoff, int maxAttempts)
      throws SqlUnavailableException;

  Optional<Job> find(long id) throws SqlUnavailableException;

  List<Job> ofStudy(String tenantId, String studyUid) throws SqlUnavailableException;

  /**
   * The finished job whose result {@code job}'s result replaces: the latest earlier done job of the
   * same series and model on other input (the series changed since: a late arrival) or of another
   * version of the model (a new version ran on it), if any; a shadow job's only by a shadow job (a
   * shadow job stores no object to replace).
   */
  Optional<Job> replaced(Job job) throws SqlUnavailableException;

  List<Job> ofRun(long runId) throws SqlUnavailableException;

  /** Two versions' results on the same series and the same instances: {@code result} is {@code version}'s. */
  record ResultPair(String seriesUid, String result, String againstResult) {}

  /**
   * The newest {@code limit} series where {@code version} of {@code model}, in shadow, and
   * {@code against}, clinically, both finished on the same instances; every tenant's when
   * {@code tenantId} is null.
   */
  List<ResultPair> pairs(String tenantId, String model, String version, String against, int limit)
      throws SqlUnavailableException;

  /** How many jobs are in each state (every state present, zero included). */
  Map<JobState, Long> counts() throws SqlUnavailableException;

  /** Records a re-run or backfill request; its jobs carry the returned id. */
  long newRun(String tenantId, String modelName, String modelVersion, String cohort, String requestedBy)
      throws SqlUnavailableException;
}
