package imago.storage.jobs;

import imago.core.events.Events;
import imago.storage.index.Jdbc;
import imago.storage.index.Outbox;
import imago.storage.index.SqlUnavailableException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * {@link JobQueue} over JDBC (tables of V4__inference_jobs.sql). A claim is a compare-and-set
 * UPDATE per candidate row, so two workers never hold one job; on PostgreSQL the candidates are
 * first locked with {@code FOR UPDATE SKIP LOCKED}, so concurrent workers pass each other's rows
 * instead of queueing on them.
 */
public final class SqlJobQueue implements JobQueue {
  private static final String COLUMNS = "id, tenant_id, study_uid, series_uid, model_name, model_version, input_key, "
      + "instances, run_id, state, attempts, not_before, lease_owner, lease_until, reason, result, created_at, "
      + "updated_at, finished_at, shadow";
  private static final String RUNNABLE = "((state = 'queued' AND not_before <= ?) OR (state = 'running' AND lease_until < ?))";

  private final DataSource ds;
  private final boolean postgres;
  private final Clock clock;

  public SqlJobQueue(DataSource ds, boolean postgres) {
    this(ds, postgres, Clock.systemUTC());
  }

  /** {@code clock} decides leases, back-offs and timestamps (tests move it instead of sleeping). */
  public SqlJobQueue(DataSource ds, boolean postgres, Clock clock) {
    this.ds = ds;
    this.postgres = postgres;
    this.clock = clock;
  }

  private <T> T tx(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.transaction(ds, "job queue " + what, work);
  }

  @Override
  public List<Job> enqueue(List<NewJob> jobs) throws SqlUnavailableException {
    List<Long> created = tx("enqueue", c -> {
      List<Long> ids = new ArrayList<>();
      Instant now = clock.instant();
      for (NewJob j : jobs) {
        Jdbc.insert(c, "INSERT INTO inference_jobs (tenant_id, study_uid, series_uid, model_name, model_version, "
            + "input_key, instances, run_id, state, attempts, not_before, created_at, updated_at, shadow) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING", "id",
            j.tenantId(), j.studyUid(), j.seriesUid(), j.modelName(), j.modelVersion(), j.inputKey(), j.instances(),
            j.runId(), now, now, now, j.shadow()).ifPresent(ids::add);
      }
      if (!ids.isEmpty()) Outbox.notifyAtCommit(c, JOBS_CHANNEL); // workers on every node look at commit
      return ids;
    });
    List<Job> out = new ArrayList<>();
    for (long id : created) find(id).ifPresent(out::add);
    return out;
  }

  @Override
  public List<Job> claim(String worker, int max, Duration lease, int maxAttempts) throws SqlUnavailableException {
    Instant now = clock.instant();
    Instant until = clock.instant().plus(lease);
    // A job whose worker died on its last allowed attempt goes to the dead letters, not round again.
    tx("dead-letter", c -> Jdbc.update(c, "UPDATE inference_jobs SET state = 'dead', lease_owner = NULL, reason = ?, "
        + "finished_at = ?, updated_at = ? WHERE state = 'running' AND lease_until < ? AND attempts >= ?",
        "lease of attempt " + maxAttempts + " ran out (the worker died or hung); no attempts left", now, now, now,
        maxAttempts));
    List<Long> claimed = tx("claim", c -> {
      List<Long> candidates = Jdbc.query(c, "SELECT id FROM inference_jobs WHERE " + RUNNABLE + " ORDER BY id LIMIT ?"
          + (postgres ? " FOR UPDATE SKIP LOCKED" : ""), rs -> rs.getLong(1), now, now, postgres ? max : max * 4);
      List<Long> mine = new ArrayList<>();
      for (long id : candidates) {
        if (mine.size() == max) break;
        int won = Jdbc.update(c, "UPDATE inference_jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, "
            + "lease_until = ?, updated_at = ? WHERE id = ? AND " + RUNNABLE, worker, until, now, id, now, now);
        if (won == 1) mine.add(id);
      }
      return mine;
    });
    List<Job> out = new ArrayList<>();
    for (long id : claimed) find(id).ifPresent(out::add);
    return out;
  }

  @Override
  public boolean heartbeat(long id, String worker, Duration lease) throws SqlUnavailableException {
    return held(id, worker, "lease_until = ?", clock.instant().plus(lease)) == 1;
  }

  /** The NOTIFY channel a commit of new jobs wakes workers on (PostgreSQL). */
  public static final String JOBS_CHANNEL = "imago_jobs";

  /** Marks the job done and, in the same transaction, announces {@code inference.result} in the outbox. */
  @Override
  public boolean complete(long id, String worker, String resultJson) throws SqlUnavailableException {
    return tx("complete", c -> {
      int n = Jdbc.update(c, "UPDATE inference_jobs SET state = 'done', result = ?, reason = NULL, lease_owner = NULL, "
          + "lease_until = NULL, finished_at = CURRENT_TIMESTAMP, updated_at = ? WHERE id = ? AND state = 'running' "
          + "AND lease_owner = ?", resultJson, clock.instant(), id, worker);
      if (n != 1) return false;
      record Done(String tenant, String study, String series, String model, String version) {}
      Done d = Jdbc.first(c, "SELECT tenant_id, study_uid, series_uid, model_name, model_version FROM inference_jobs "
          + "WHERE id = ?", rs -> new Done(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
          rs.getString(5)), id).orElseThrow();
      Outbox.append(c, Events.INFERENCE_RESULT, d.tenant(), d.study(), Outbox.json("job", id, "series", d.series(),
          "model", d.model(), "version", d.version()));
      return true;
    });
  }

  @Override
  public boolean fail(long id, String worker, String reason) throws SqlUnavailableException {
    return held(id, worker, "state = 'failed', reason = ?, lease_owner = NULL, lease_until = NULL, "
        + "finished_at = CURRENT_TIMESTAMP", truncate(reason)) == 1;
  }

  @Override
  public Optional<JobState> retry(long id, String worker, String reason, Duration backoff, int maxAttempts)
      throws SqlUnavailableException {
    Optional<Job> job = find(id);
    if (job.isEmpty()) return Optional.empty();
    if (job.get().attempts() >= maxAttempts) {
      int n = held(id, worker, "state = 'dead', reason = ?, lease_owner = NULL, lease_until = NULL, "
          + "finished_at = CURRENT_TIMESTAMP", truncate("attempt " + job.get().attempts() + " of " + maxAttempts + ": " + reason));
      return n == 1 ? Optional.of(JobState.DEAD) : Optional.empty();
    }
    int n = held(id, worker, "state = 'queued', reason = ?, lease_owner = NULL, lease_until = NULL, not_before = ?",
        truncate(reason), clock.instant().plus(backoff));
    return n == 1 ? Optional.of(JobState.QUEUED) : Optional.empty();
  }

  /** An UPDATE of a running job that {@code worker} holds; returns the rows changed (0 or 1). */
  private int held(long id, String worker, String set, Object... values) throws SqlUnavailableException {
    List<Object> args = new ArrayList<>(Arrays.asList(values));
    args.add(clock.instant());
    args.add(id);
    args.add(worker);
    return tx("update", c -> Jdbc.update(c, "UPDATE inference_jobs SET " + set + ", updated_at = ? "
        + "WHERE id = ? AND state = 'running' AND lease_owner = ?", args.toArray()));
  }

  private static String truncate(String reason) {
    return reason == null || reason.length() <= 4000 ? reason : reason.substring(0, 3997) + "...";
  }

  @Override
  public Optional<Job> find(long id) throws SqlUnavailableException {
    List<Job> jobs = select("WHERE id = ?", id);
    return jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.get(0));
  }

  @Override
  public Optional<Job> replaced(Job job) throws SqlUnavailableException {
    return tx("replaced", c -> Jdbc.first(c, "SELECT " + COLUMNS + " FROM inference_jobs WHERE tenant_id = ? AND "
        + "series_uid = ? AND model_name = ? AND (model_version <> ? OR input_key <> ?) AND state = 'done' AND id < ? "
        + "AND shadow = ? ORDER BY id DESC LIMIT 1", SqlJobQueue::job, job.tenantId(), job.seriesUid(), job.modelName(),
        job.modelVersion(), job.inputKey(), job.id(), job.shadow()));
  }

  @Override
  public List<Job> ofStudy(String tenantId, String studyUid) throws SqlUnavailableException {
    return select("WHERE tenant_id = ? AND study_uid = ? ORDER BY id", tenantId, studyUid);
  }

  @Override
  public List<ResultPair> pairs(String tenantId, String model, String version, String against, int limit)
      throws SqlUnavailableException {
    String sql = "SELECT a.series_uid, a.result, b.result FROM inference_jobs a JOIN inference_jobs b ON b.tenant_id = a.tenant_id "
        + "AND b.series_uid = a.series_uid AND b.model_name = a.model_name AND b.input_key = a.input_key "
        + "WHERE a.model_name = ? AND a.model_version = ? AND b.model_version = ? AND a.state = 'done' AND b.state = 'done' "
        + "AND a.shadow = TRUE AND b.shadow = FALSE"
        + (tenantId == null ? "" : " AND a.tenant_id = ?") + " ORDER BY a.id DESC LIMIT " + Math.max(1, limit);
    Jdbc.Row<ResultPair> row = rs -> new ResultPair(rs.getString(1), rs.getString(2), rs.getString(3));
    return tx("pairs", c -> tenantId == null ? Jdbc.query(c, sql, row, model, version, against)
        : Jdbc.query(c, sql, row, model, version, against, tenantId));
  }

  @Override
  public List<Job> ofRun(long runId) throws SqlUnavailableException {
    return select("WHERE run_id = ? ORDER BY id", runId);
  }

  @Override
  public Map<JobState, Long> counts() throws SqlUnavailableException {
    Map<JobState, Long> counts = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) counts.put(s, 0L);
    List<Map.Entry<JobState, Long>> rows = tx("counts", c -> Jdbc.query(c,
        "SELECT state, COUNT(*) FROM inference_jobs GROUP BY state",
        rs -> Map.entry(JobState.parse(rs.getString(1)), rs.getLong(2))));
    for (Map.Entry<JobState, Long> row : rows) counts.put(row.getKey(), row.getValue());
    return counts;
  }

  @Override
  public long newRun(String tenantId, String modelName, String modelVersion, String cohort, String requestedBy)
      throws SqlUnavailableException {
    return tx("new run", c -> Jdbc.insert(c, "INSERT INTO inference_runs (tenant_id, model_name, model_version, cohort, "
        + "requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?)", "id",
        tenantId, modelName, modelVersion, cohort, requestedBy, clock.instant()).orElseThrow());
  }

  private List<Job> select(String where, Object... args) throws SqlUnavailableException {
    return tx("select", c -> Jdbc.query(c, "SELECT " + COLUMNS + " FROM inference_jobs " + where, SqlJobQueue::job, args));
  }

  private static Job job(ResultSet rs) throws SQLException {
    long run = rs.getLong("run_id");
    Long runId = rs.wasNull() ? null : run;
    return new Job(rs.getLong("id"), rs.getString("tenant_id"), rs.getString("study_uid"), rs.getString("series_uid"),
        rs.getString("model_name"), rs.getString("model_version"), rs.getString("input_key").trim(), rs.getInt("instances"),
        runId, JobState.parse(rs.getString("state")), rs.getInt("attempts"), Jdbc.instant(rs, "not_before"),
        rs.getString("lease_owner"), Jdbc.instant(rs, "lease_until"), rs.getString("reason"), rs.getString("result"),
        Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "updated_at"), Jdbc.instant(rs, "finished_at"),
        rs.getBoolean("shadow"));
  }
}
