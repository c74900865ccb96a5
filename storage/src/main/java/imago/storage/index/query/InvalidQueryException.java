package imago.storage.index.query;

/**
 * A query the index cannot answer as asked: an unknown or unsupported matching key, or a value
 * that is not valid for its attribute's VR (a malformed date range, a wildcard in a UID). QIDO-RS
 * answers it with 400, C-FIND with a failure status; the message says what to change.
 */
public final class InvalidQueryException extends Exception {
  public InvalidQueryException(String message) {
    super(message);
  }
}
