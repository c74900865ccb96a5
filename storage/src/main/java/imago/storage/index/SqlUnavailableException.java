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
}
