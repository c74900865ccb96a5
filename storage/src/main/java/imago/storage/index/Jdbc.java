package imago.storage.index;

import java.sql.Connection;
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

/**
 * One connection per unit of work, and any SQL failure reported as {@link SqlUnavailableException}
 * naming what was being done: the pattern every SQL store in storage/ follows. Statements are
 * prepared, bound ({@link #bind}), run and read here, so every store passes its values to H2 and
 * PostgreSQL the same way.
 */
public final class Jdbc {
  private Jdbc() {}

  /** Work on a connection that may also end in a domain failure {@code X} (a conflict, say). */
  @FunctionalInterface
  public interface CheckedWork<T, X extends Exception> {
    T run(Connection c) throws SQLException, X;
  }

  /** Work on a connection. */
  @FunctionalInterface
  public interface Work<T> extends CheckedWork<T, RuntimeException> {
    @Override
    T run(Connection c) throws SQLException;
  }

  /** Reads the current row of a result. */
  @FunctionalInterface
  public interface Row<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Runs {@code work} in auto-commit mode: each statement commits on its own (reads, single writes). */
  public static <T> T autoCommit(DataSource ds, String what, Work<T> work) throws SqlUnavailableException {
    try (Connection c = ds.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new SqlUnavailableException(what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} in one transaction, rolled back on any failure; a domain failure {@code X}
   * passes through as it is, an SQL one as {@link SqlUnavailableException}.
   */
  public static <T, X extends Exception> T transaction(DataSource ds, String what, CheckedWork<T, X> work)
      throws SqlUnavailableException, X {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (Exception | Error e) {
        c.rollback(); // before finally's setAutoCommit(true), which would commit what is there
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new SqlUnavailableException(what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Sets {@code args} as the statement's parameters, in order. A null is an untyped NULL (on
   * PostgreSQL the server then takes the column's type, whatever Java type the value would have
   * had); an {@link Instant} is a {@link Timestamp}; anything else goes as the driver maps it. An
   * enum is refused: each table stores its own form of one (a name, a lower-case id), which the
   * caller passes, and H2 would accept a raw enum that PostgreSQL refuses.
   */
  public static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object arg = args[i];
      if (arg == null) {
        ps.setNull(i + 1, Types.NULL);
      } else if (arg instanceof Instant instant) {
        ps.setTimestamp(i + 1, Timestamp.from(instant));
      } else if (arg instanceof Enum<?> e) {
        throw new IllegalArgumentException("parameter " + (i + 1) + " is the enum " + e.getDeclaringClass().getSimpleName()
            + "." + e.name() + ": bind the form its column stores");
      } else {
        ps.setObject(i + 1, arg);
      }
    }
  }

  /** Every row {@code sql} selects, read by {@code row}. */
  public static <T> List<T> query(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) out.add(row.read(rs));
        return out;
      }
    }
  }

  /** The first row {@code sql} selects, read by {@code row}; empty when it selects none. */
  public static <T> Optional<T> first(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(row.read(rs)) : Optional.empty();
      }
    }
  }

  /** Runs an INSERT, UPDATE or DELETE; returns the rows it changed. */
  public static int update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    }
  }

  /**
   * Runs an INSERT of one row; returns the key it generated in {@code keyColumn}, empty when it
   * inserted nothing (ON CONFLICT DO NOTHING).
   */
  public static Optional<Long> insert(Connection c, String sql, String keyColumn, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql, new String[] {keyColumn})) {
      bind(ps, args);
      if (ps.executeUpdate() != 1) return Optional.empty();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        return keys.next() ? Optional.of(keys.getLong(1)) : Optional.empty();
      }
    }
  }

  /** A nullable TIMESTAMP column as an {@link Instant}. */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
