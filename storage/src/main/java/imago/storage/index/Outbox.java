package imago.storage.index;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The outbox (V14): events written in the same transaction as the fact they announce, so an
 * event exists exactly when its fact does, whichever node wrote it. Readers see them in commit
 * order and never skip one that commits late:
 * <ul>
 *   <li>PostgreSQL: each row carries its writer's transaction id, and a reader takes only rows of
 *       transactions older than the oldest one still running ({@code pg_snapshot_xmin}): such a row
 *       can no longer appear behind the reader's cursor. The append also sends a {@code NOTIFY}
 *       on {@link #CHANNEL}, which PostgreSQL delivers at commit, to wake other nodes.
 *   <li>H2 (one node): writers take the next sequence number from one row they hold until commit,
 *       so sequence order is commit order.
 * </ul>
 * A cursor is the {@code (txid, seq)} of the last event read; on H2 txid is always 0.
 */
public final class Outbox {
  /** The NOTIFY channel an append wakes. */
  public static final String CHANNEL = "imago_events";

  /** One event as stored. */
  public record Event(long txid, long seq, String topic, String tenantId, String studyUid, String payload,
      Instant createdAt) {
    public Cursor cursor() {
      return new Cursor(txid, seq);
    }
  }

  /** A position in the outbox: everything at or before it has been read. */
  public record Cursor(long txid, long seq) {
    public static final Cursor START = new Cursor(0, 0);
  }

  private final DataSource ds;
  private final boolean postgres;

  public Outbox(DataSource ds, boolean postgres) {
    this.ds = ds;
    this.postgres = postgres;
  }

  /**
   * Appends an event inside the caller's transaction ({@code c} not in auto-commit): it becomes
   * visible, and wakes the other nodes' consumers of its topic, when that transaction commits, and
   * vanishes if it rolls back.
   */
  public static void append(Connection c, String topic, String tenantId, String studyUid, String payload)
      throws SQLException {
    record(c, topic, tenantId, studyUid, payload);
    if (isPostgres(c)) Jdbc.query(c, "SELECT pg_notify(?, ?)", rs -> null, CHANNEL, topic);
  }

  /**
   * The same without waking anyone: for a topic no node consumes (instance.stored, written for
   * the record and for consumers yet to come). A NOTIFY is not free on PostgreSQL: committing one
   * takes a lock that every notifying commit of the cluster queues on.
   */
  public static void record(Connection c, String topic, String tenantId, String studyUid, String payload)
      throws SQLException {
    Instant now = Instant.now();
    if (isPostgres(c)) {
      Jdbc.update(c, "INSERT INTO outbox (seq, txid, topic, tenant_id, study_uid, payload, created_at) VALUES "
          + "(nextval('outbox_seq'), pg_current_xact_id()::text::bigint, ?, ?, ?, ?, ?)", topic, tenantId, studyUid,
          payload, now);
    } else {
      // Held until commit: the next writer waits, so sequence order is commit order.
      if (Jdbc.update(c, "UPDATE outbox_head SET seq = seq + 1 WHERE id = 1") == 0) {
        Jdbc.update(c, "INSERT INTO outbox_head (id, seq) VALUES (1, 0) ON CONFLICT DO NOTHING");
        Jdbc.update(c, "UPDATE outbox_head SET seq = seq + 1 WHERE id = 1");
      }
      Jdbc.update(c, "INSERT INTO outbox (seq, txid, topic, tenant_id, study_uid, payload, created_at) "
          + "SELECT seq, 0, ?, ?, ?, ?, ? FROM outbox_head WHERE id = 1", topic, tenantId, studyUid, payload, now);
    }
  }

  /** Sends {@code channel} a NOTIFY at the commit of {@code c}'s transaction (PostgreSQL; nothing on H2). */
  public static void notifyAtCommit(Connection c, String channel) throws SQLException {
    if (isPostgres(c)) Jdbc.query(c, "SELECT pg_notify(?, '')", rs -> null, channel);
  }

  /** A flat JSON object of {@code key, value} pairs (numbers and booleans as they are, anything else as a string). */
  public static String json(Object... keyValues) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      if (keyValues[i + 1] == null) continue;
      if (b.length() > 1) b.append(',');
      quote(b, keyValues[i].toString());
      b.append(':');
      Object v = keyValues[i + 1];
      if (v instanceof Number || v instanceof Boolean) b.append(v);
      else quote(b, v.toString());
    }
    return b.append('}').toString();
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    b.append('"');
  }

  static boolean isPostgres(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres");
  }

  /** Up to {@code limit} events of {@code topics} after {@code cursor}, in commit order. */
  public List<Event> after(Cursor cursor, Set<String> topics, int limit) throws SqlUnavailableException {
    StringBuilder sql = new StringBuilder("SELECT txid, seq, topic, tenant_id, study_uid, payload, created_at FROM outbox WHERE ");
    List<Object> args = new ArrayList<>();
    if (postgres) {
      sql.append("(txid > ? OR (txid = ? AND seq > ?)) AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
      args.add(cursor.txid());
      args.add(cursor.txid());
      args.add(cursor.seq());
    } else {
      sql.append("seq > ?");
      args.add(cursor.seq());
    }
    sql.append(" AND topic IN (").append(String.join(", ", java.util.Collections.nCopies(topics.size(), "?"))).append(")");
    args.addAll(topics);
    sql.append(" ORDER BY txid, seq LIMIT ").append(limit);
    return Jdbc.autoCommit(ds, "outbox read", c -> Jdbc.query(c, sql.toString(), Outbox::row, args.toArray()));
  }

  private static final int PRUNE_BATCH = 10_000;

  /**
   * Deletes events created before {@code before}: of a topic some consumer reads, only those every
   * one of its consumers has handled (a consumer that has not started yet keeps them all); of any
   * other topic, all. In batches, each under the statement timeout. Returns how many.
   *
   * @param consumers per topic, the names of the consumers that read it
   */
  public int prune(Instant before, Map<String, Set<String>> consumers) throws SqlUnavailableException {
    int deleted = 0;
    List<Object> args = new ArrayList<>(List.of(before));
    StringBuilder where = new StringBuilder("created_at < ?");
    for (Map.Entry<String, Set<String>> topic : consumers.entrySet()) {
      Cursor slowest = Jdbc.autoCommit(ds, "outbox prune", c -> slowest(c, topic.getValue()));
      where.append(" AND (topic <> ?");
      args.add(topic.getKey());
      if (slowest != null) {
        where.append(" OR txid < ? OR (txid = ? AND seq <= ?)");
        args.addAll(List.of(slowest.txid(), slowest.txid(), slowest.seq()));
      }
      where.append(")");
    }
    String sql = "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE " + where + " LIMIT " + PRUNE_BATCH + ")";
    while (true) {
      int n = Jdbc.autoCommit(ds, "outbox prune", c -> Jdbc.update(c, sql, args.toArray()));
      deleted += n;
      if (n < PRUNE_BATCH) return deleted;
    }
  }

  /** The cursor furthest behind among {@code consumers}; null when one of them has none yet. */
  private static Cursor slowest(Connection c, Set<String> consumers) throws SQLException {
    Cursor slowest = null;
    for (String consumer : consumers) {
      Cursor at = Jdbc.first(c, "SELECT txid, seq FROM outbox_cursors WHERE consumer = ?",
          rs -> new Cursor(rs.getLong(1), rs.getLong(2)), consumer).orElse(null);
      if (at == null) return null;
      if (slowest == null || at.txid() < slowest.txid() || (at.txid() == slowest.txid() && at.seq() < slowest.seq())) {
        slowest = at;
      }
    }
    return slowest;
  }

  private static Event row(ResultSet rs) throws SQLException {
    return new Event(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
        Jdbc.instant(rs, "created_at"));
  }
}
