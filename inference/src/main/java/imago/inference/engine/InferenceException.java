package imago.inference.engine;

/** A model that failed while running a batch. The message is one line; the engine's exception is the cause. */
public class InferenceException extends Exception {

  public InferenceException(String message) {
    super(message);
  }

  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
