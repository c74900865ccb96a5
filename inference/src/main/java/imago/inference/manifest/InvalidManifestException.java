package imago.inference.manifest;

import java.util.List;
import java.util.stream.Collectors;

/** The manifest was refused; {@link #errors()} says where and why, every problem at once. */
public final class InvalidManifestException extends Exception {
  private final List<ManifestError> errors;

  public InvalidManifestException(List<ManifestError> errors) {
    super(errors.stream().map(ManifestError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  public List<ManifestError> errors() {
    return errors;
  }
}
