package imago.models.registry;

/** The artifact cannot be a model of its declared framework (empty, wrong format, a zip bomb...). */
public final class InvalidArtifactException extends Exception {
  public InvalidArtifactException(String message) {
    super(message);
  }
}
