package imago.storage.index;

/**
 * The SQL database (the index, and the job queue, links, models and audit kept beside it) could not
 * be reached, or a transaction failed: nothing of it was committed. Callers answer "retry later"
 * (C-STORE 0xA700, HTTP 503).
 */
public final class SqlUnavailableException extends Exception {
  public SqlUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Whether the statement was cancelled for running past {@code storage.db.queryTimeout}
   * (SQLSTATE 57014 on PostgreSQL and H2): the index is up, this one query was too slow.
   */
  public boolean timedOut() {
    for (Throwable t = getCause(); t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException s && "57014".equals(s.getSQLState())) return true;
    }
    return false;
  }
}
