package imago.storage.jobs;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
      + "updated_at, finished_at";
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
      Timestamp now = Timestamp.from(clock.instant());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO inference_jobs (tenant_id, study_uid, series_uid, "
          + "model_name, model_version, input_key, instances, run_id, state, attempts, not_before, created_at, updated_at) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?) "
          + "ON CONFLICT DO NOTHING", new String[] {"id"})) {
        for (NewJob j : jobs) {
          ps.setString(1, j.tenantId());
          ps.setString(2, j.studyUid());
          ps.setString(3, j.seriesUid());
          ps.setString(4, j.modelName());
          ps.setString(5, j.modelVersion());
          ps.setString(6, j.inputKey());
          ps.setInt(7, j.instances());
          if (j.runId() == null) ps.setNull(8, Types.BIGINT);
          else ps.setLong(8, j.runId());
          ps.setTimestamp(9, now);
          ps.setTimestamp(10, now);
          ps.setTimestamp(11, now);
          if (ps.executeUpdate() == 1) {
            try (ResultSet keys = ps.getGeneratedKeys()) {
              if (keys.next()) ids.add(keys.getLong(1));
            }
          }
        }
      }
      return ids;
    });
    List<Job> out = new ArrayList<>();
    for (long id : created) find(id).ifPresent(out::add);
    return out;
  }

  @Override
  public List<Job> claim(String worker, int max, Duration lease, int maxAttempts) throws SqlUnavailableException {
    Timestamp now = Timestamp.from(clock.instant());
    Timestamp until = Timestamp.from(clock.instant().plus(lease));
    // A job whose worker died on its last allowed attempt goes to the dead letters, not round again.
    tx("dead-letter", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE inference_jobs SET state = 'dead', lease_owner = NULL, "
          + "reason = ?, finished_at = ?, updated_at = ? WHERE state = 'running' AND lease_until < ? AND attempts >= ?")) {
        ps.setString(1, "lease of attempt " + maxAttempts + " ran out (the worker died or hung); no attempts left");
        ps.setTimestamp(2, now);
        ps.setTimestamp(3, now);
        ps.setTimestamp(4, now);
        ps.setInt(5, maxAttempts);
        return ps.executeUpdate();
      }
    });
    List<Long> claimed = tx("claim", c -> {
      List<Long> candidates = new ArrayList<>();
      String select = "SELECT id FROM inference_jobs WHERE " + RUNNABLE + " ORDER BY id LIMIT ?"
          + (postgres ? " FOR UPDATE SKIP LOCKED" : "");
      try (PreparedStatement ps = c.prepareStatement(select)) {
        ps.setTimestamp(1, now);
        ps.setTimestamp(2, now);
        ps.setInt(3, postgres ? max : max * 4);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) candidates.add(rs.getLong(1));
        }
      }
      List<Long> mine = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("UPDATE inference_jobs SET state = 'running', attempts = attempts + 1, "
          + "lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND " + RUNNABLE)) {
        for (long id : candidates) {
          if (mine.size() == max) break;
          ps.setString(1, worker);
          ps.setTimestamp(2, until);
          ps.setTimestamp(3, now);
          ps.setLong(4, id);
          ps.setTimestamp(5, now);
          ps.setTimestamp(6, now);
          if (ps.executeUpdate() == 1) mine.add(id);
        }
      }
      return mine;
    });
    List<Job> out = new ArrayList<>();
    for (long id : claimed) find(id).ifPresent(out::add);
    return out;
  }

  @Override
  public boolean heartbeat(long id, String worker, Duration lease) throws SqlUnavailableException {
    return held(id, worker, "lease_until = ?", Timestamp.from(clock.instant().plus(lease))) == 1;
  }

  @Override
  public boolean complete(long id, String worker, String resultJson) throws SqlUnavailableException {
    return held(id, worker, "state = 'done', result = ?, reason = NULL, lease_owner = NULL, lease_until = NULL, "
        + "finished_at = CURRENT_TIMESTAMP", resultJson) == 1;
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
        truncate(reason), Timestamp.from(clock.instant().plus(backoff)));
    return n == 1 ? Optional.of(JobState.QUEUED) : Optional.empty();
  }

  /** An UPDATE of a running job that {@code worker} holds; returns the rows changed (0 or 1). */
  private int held(long id, String worker, String set, Object... values) throws SqlUnavailableException {
    return tx("update", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE inference_jobs SET " + set + ", updated_at = ? "
          + "WHERE id = ? AND state = 'running' AND lease_owner = ?")) {
        int i = 1;
        for (Object v : values) ps.setObject(i++, v);
        ps.setTimestamp(i++, Timestamp.from(clock.instant()));
        ps.setLong(i++, id);
        ps.setString(i, worker);
        return ps.executeUpdate();
      }
    });
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
  public List<Job> ofStudy(String tenantId, String studyUid) throws SqlUnavailableException {
    return select("WHERE tenant_id = ? AND study_uid = ? ORDER BY id", tenantId, studyUid);
  }

  @Override
  public List<Job> ofRun(long runId) throws SqlUnavailableException {
    return select("WHERE run_id = ? ORDER BY id", runId);
  }

  @Override
  public Map<JobState, Long> counts() throws SqlUnavailableException {
    return tx("counts", c -> {
      Map<JobState, Long> counts = new EnumMap<>(JobState.class);
      for (JobState s : JobState.values()) counts.put(s, 0L);
      try (PreparedStatement ps = c.prepareStatement("SELECT state, COUNT(*) FROM inference_jobs GROUP BY state");
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) counts.put(JobState.parse(rs.getString(1)), rs.getLong(2));
      }
      return counts;
    });
  }

  @Override
  public long newRun(String tenantId, String modelName, String modelVersion, String cohort, String requestedBy)
      throws SqlUnavailableException {
    return tx("new run", c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO inference_runs (tenant_id, model_name, model_version, "
          + "cohort, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?)", new String[] {"id"})) {
        ps.setString(1, tenantId);
        ps.setString(2, modelName);
        ps.setString(3, modelVersion);
        ps.setString(4, cohort);
        ps.setString(5, requestedBy);
        ps.setTimestamp(6, Timestamp.from(clock.instant()));
        ps.executeUpdate();
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          return keys.getLong(1);
        }
      }
    });
  }

  private List<Job> select(String where, Object... args) throws SqlUnavailableException {
    return tx("select", c -> {
      List<Job> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM inference_jobs " + where)) {
        for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(job(rs));
        }
      }
      return out;
    });
  }

  private static Job job(ResultSet rs) throws SQLException {
    long run = rs.getLong("run_id");
    Long runId = rs.wasNull() ? null : run;
    return new Job(rs.getLong("id"), rs.getString("tenant_id"), rs.getString("study_uid"), rs.getString("series_uid"),
        rs.getString("model_name"), rs.getString("model_version"), rs.getString("input_key").trim(), rs.getInt("instances"),
        runId, JobState.parse(rs.getString("state")), rs.getInt("attempts"), instant(rs, "not_before"),
        rs.getString("lease_owner"), instant(rs, "lease_until"), rs.getString("reason"), rs.getString("result"),
        instant(rs, "created_at"), instant(rs, "updated_at"), instant(rs, "finished_at"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
