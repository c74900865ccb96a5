package imago.inference.engine;

/**
 * An artifact that cannot be loaded. The message is one line written for the researcher who
 * uploaded the model; the engine's own exception, if any, is the cause.
 */
public class ModelLoadException extends Exception {

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
