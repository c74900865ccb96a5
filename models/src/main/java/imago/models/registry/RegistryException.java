package imago.models.registry;

import imago.inference.manifest.ManifestError;
import java.util.List;

/**
 * A registry request refused: the HTTP status and problem type it maps to (RFC 9457), a title, a
 * detail a researcher can act on, and for manifests every error with its JSON Pointer.
 */
public final class RegistryException extends Exception {
  private final int status;
  private final String type;
  private final String title;
  private final List<ManifestError> errors;

  public RegistryException(int status, String type, String title, String detail, List<ManifestError> errors) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = errors == null ? List.of() : List.copyOf(errors);
  }

  public RegistryException(int status, String type, String title, String detail) {
    this(status, type, title, detail, null);
  }

  public int status() {
    return status;
  }

  /** The problem type's slug, e.g. {@code invalid-manifest}. */
  public String type() {
    return type;
  }

  public String title() {
    return title;
  }

  public List<ManifestError> errors() {
    return errors;
  }
}
