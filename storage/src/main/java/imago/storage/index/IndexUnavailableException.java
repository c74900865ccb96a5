package imago.storage.index;

/** The SQL index could not be reached or the transaction failed; nothing was committed. */
public final class IndexUnavailableException extends Exception {
  public IndexUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
