package imago.storage.index;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One connection per unit of work, and any SQL failure reported as {@link SqlUnavailableException}
 * naming what was being done: the pattern every SQL store in storage/ follows.
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
}
