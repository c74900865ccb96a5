package imago.storage.links;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** {@link DeliveryLog} over JDBC (H2 and PostgreSQL, V6__fse_webhooks.sql). */
public final class SqlDeliveryLog implements DeliveryLog {
  private static final String COLUMNS = "id, endpoint, link_id, version, payload, state, attempts, next_attempt_at, "
      + "last_status, last_error, created_at, delivered_at";

  private final DataSource ds;

  public SqlDeliveryLog(DataSource ds) {
    this.ds = ds;
  }

  private <T> T run(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "deliveries " + what, work);
  }

  @Override
  public Optional<Delivery> enqueue(String endpoint, long linkId, long version, String payload) throws SqlUnavailableException {
    Instant now = Instant.now();
    Optional<Long> id = run("enqueue", c -> Jdbc.insert(c, "INSERT INTO fse_deliveries (endpoint, link_id, version, payload, "
        + "state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING", "id",
        endpoint, linkId, version, payload, now, now));
    if (id.isEmpty()) return Optional.empty();
    List<Delivery> d = select("WHERE id = ?", id.get());
    return d.isEmpty() ? Optional.empty() : Optional.of(d.get(0));
  }

  @Override
  public boolean has(String endpoint, long linkId, long version) throws SqlUnavailableException {
    return run("has", c -> Jdbc.first(c, "SELECT 1 FROM fse_deliveries WHERE endpoint = ? AND link_id = ? AND version = ?",
        rs -> true, endpoint, linkId, version).isPresent());
  }

  @Override
  public List<Delivery> due(int max) throws SqlUnavailableException {
    return select("WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT " + Math.max(1, max), Instant.now());
  }

  @Override
  public void delivered(long id, int status) throws SqlUnavailableException {
    update("UPDATE fse_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, "
        + "delivered_at = ? WHERE id = ?", status, Instant.now(), id);
  }

  @Override
  public void failed(long id, Integer status, String error, Instant next) throws SqlUnavailableException {
    String e = error == null ? null : error.length() > 2000 ? error.substring(0, 1997) + "..." : error;
    update("UPDATE fse_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ? "
        + "WHERE id = ?", status, e, next, id);
  }

  private void update(String sql, Object... args) throws SqlUnavailableException {
    run("update", c -> Jdbc.update(c, sql, args));
  }

  @Override
  public List<Delivery> ofLink(long linkId) throws SqlUnavailableException {
    return select("WHERE link_id = ? ORDER BY id", linkId);
  }

  private List<Delivery> select(String where, Object... args) throws SqlUnavailableException {
    return run("select", c -> Jdbc.query(c, "SELECT " + COLUMNS + " FROM fse_deliveries " + where, SqlDeliveryLog::delivery,
        args));
  }

  private static Delivery delivery(ResultSet rs) throws SQLException {
    int status = rs.getInt("last_status");
    Integer last = rs.wasNull() ? null : status;
    return new Delivery(rs.getLong("id"), rs.getString("endpoint"), rs.getLong("link_id"), rs.getLong("version"),
        rs.getString("payload"), Delivery.State.valueOf(rs.getString("state").toUpperCase(java.util.Locale.ROOT)),
        rs.getInt("attempts"), rs.getTimestamp("next_attempt_at").toInstant(), last, rs.getString("last_error"),
        rs.getTimestamp("created_at").toInstant(), Jdbc.instant(rs, "delivered_at"));
  }
}
