package imago.inference.schedule;

import imago.core.tenant.Caller;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import imago.storage.index.query.QueryResult;
import imago.storage.jobs.JobQueue;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Re-runs and backfills: one active model version over the caller's studies that match a
 * QIDO-style cohort, recorded as a run whose jobs the workers then take like any other.
 */
public final class CohortRuns {
  /** Studies a single run may cover; larger cohorts are split by the caller. */
  public static final int MAX_COHORT = 10_000;

  /** The version named cannot run: not registered, or not validated/active. */
  public static final class NotRunnableException extends Exception {
    public NotRunnableException(String message) {
      super(message);
    }
  }

  /** What a started run covers. {@code truncated}: more studies matched than {@link #MAX_COHORT}. */
  public record Started(long runId, int studies, int jobs, boolean truncated) {}

  private final Index index;
  private final ModelCatalog catalog;
  private final JobQueue queue;
  private final Scheduler scheduler;

  public CohortRuns(Index index, ModelCatalog catalog, JobQueue queue, Scheduler scheduler) {
    this.index = index;
    this.catalog = catalog;
    this.queue = queue;
    this.scheduler = scheduler;
  }

  /**
   * Starts a run of {@code name} {@code version} over the caller tenant's studies matching
   * {@code keys} (tag to QIDO matching value); {@code cohort} is how the caller wrote it, kept with the run.
   */
  public Started start(Caller caller, String name, String version, Map<Integer, String> keys, String cohort)
      throws NotRunnableException, InvalidQueryException, SqlUnavailableException {
    Optional<ModelVersion> v = catalog.find(name, version);
    // Only what the region has activated runs on patients' studies (and an active version is visible to every caller).
    if (v.isEmpty() || v.get().state() != ModelState.ACTIVE) {
      throw new NotRunnableException(name + " " + version + (v.isEmpty() ? " is not registered"
          : " is " + v.get().state().id() + "; runs take a version the region has activated"));
    }
    QueryResult studies = index.query(Scope.tenant(caller.tenantId()), QueryRequest.of(QueryLevel.STUDY, keys, MAX_COHORT));
    long runId = queue.newRun(caller.tenantId(), name, version, cohort, caller.subject());
    int created = 0;
    for (QueryMatch m : studies.matches()) {
      created += scheduler.schedule(caller.tenantId(), m.studyUid(), List.of(v.get()), runId).size();
    }
    return new Started(runId, studies.matches().size(), created, studies.more());
  }
}
