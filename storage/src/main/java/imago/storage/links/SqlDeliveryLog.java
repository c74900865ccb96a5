package imago.storage.links;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
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
    Long id = run("enqueue", c -> {
      Timestamp now = Timestamp.from(Instant.now());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO fse_deliveries (endpoint, link_id, version, payload, state, "
          + "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
          new String[] {"id"})) {
        ps.setString(1, endpoint);
        ps.setLong(2, linkId);
        ps.setLong(3, version);
        ps.setString(4, payload);
        ps.setTimestamp(5, now);
        ps.setTimestamp(6, now);
        if (ps.executeUpdate() != 1) return null;
        try (ResultSet keys = ps.getGeneratedKeys()) {
          return keys.next() ? keys.getLong(1) : null;
        }
      }
    });
    if (id == null) return Optional.empty();
    List<Delivery> d = select("WHERE id = ?", id);
    return d.isEmpty() ? Optional.empty() : Optional.of(d.get(0));
  }

  @Override
  public boolean has(String endpoint, long linkId, long version) throws SqlUnavailableException {
    return run("has", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT 1 FROM fse_deliveries WHERE endpoint = ? AND link_id = ? AND version = ?")) {
        ps.setString(1, endpoint);
        ps.setLong(2, linkId);
        ps.setLong(3, version);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public List<Delivery> due(int max) throws SqlUnavailableException {
    return select("WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT " + Math.max(1, max),
        Timestamp.from(Instant.now()));
  }

  @Override
  public void delivered(long id, int status) throws SqlUnavailableException {
    update("UPDATE fse_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, "
        + "delivered_at = ? WHERE id = ?", status, Timestamp.from(Instant.now()), id);
  }

  @Override
  public void failed(long id, Integer status, String error, Instant next) throws SqlUnavailableException {
    String e = error == null ? null : error.length() > 2000 ? error.substring(0, 1997) + "..." : error;
    update("UPDATE fse_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ? "
        + "WHERE id = ?", status, e, Timestamp.from(next), id);
  }

  private void update(String sql, Object... args) throws SqlUnavailableException {
    run("update", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          if (args[i] == null) ps.setNull(i + 1, Types.INTEGER);
          else ps.setObject(i + 1, args[i]);
        }
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public List<Delivery> ofLink(long linkId) throws SqlUnavailableException {
    return select("WHERE link_id = ? ORDER BY id", linkId);
  }

  private List<Delivery> select(String where, Object... args) throws SqlUnavailableException {
    return run("select", c -> {
      List<Delivery> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM fse_deliveries " + where)) {
        for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int status = rs.getInt("last_status");
            Integer last = rs.wasNull() ? null : status;
            Timestamp delivered = rs.getTimestamp("delivered_at");
            out.add(new Delivery(rs.getLong("id"), rs.getString("endpoint"), rs.getLong("link_id"), rs.getLong("version"),
                rs.getString("payload"), Delivery.State.valueOf(rs.getString("state").toUpperCase(java.util.Locale.ROOT)),
                rs.getInt("attempts"), rs.getTimestamp("next_attempt_at").toInstant(), last, rs.getString("last_error"),
                rs.getTimestamp("created_at").toInstant(), delivered == null ? null : delivered.toInstant()));
          }
        }
      }
      return out;
    });
  }
}
