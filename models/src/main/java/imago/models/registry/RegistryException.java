package imago.models.registry;

import imago.inference.manifest.ManifestError;
import java.util.List;

/**
 * A registry request refused, in the registry's own terms: why ({@link Reason}), a title, a detail
 * a researcher can act on, and for manifests every error with its JSON Pointer. The REST API maps
 * each reason to its HTTP status; an unavailable index or object store is not one of these but
 * passes through as what it is.
 */
public final class RegistryException extends Exception {
  /** Why a request was refused. */
  public enum Reason {
    /** The caller's role or tenant may not do this. */
    NOT_PERMITTED,
    /** No such version, or not one the caller may see. */
    NOT_FOUND,
    /** The request names something invalid (an activation mode). */
    INVALID_REQUEST,
    INVALID_MANIFEST,
    INVALID_ARTIFACT,
    /** The name and version are registered already. */
    VERSION_EXISTS,
    /** The version's state does not allow the transition. */
    INVALID_STATE,
    /** The catalog names an artifact object storage does not have. */
    ARTIFACT_MISSING
  }

  private final Reason reason;
  private final String title;
  private final List<ManifestError> errors;

  public RegistryException(Reason reason, String title, String detail, List<ManifestError> errors) {
    super(detail);
    this.reason = reason;
    this.title = title;
    this.errors = errors == null ? List.of() : List.copyOf(errors);
  }

  public RegistryException(Reason reason, String title, String detail) {
    this(reason, title, detail, null);
  }

  public Reason reason() {
    return reason;
  }

  public String title() {
    return title;
  }

  public List<ManifestError> errors() {
    return errors;
  }
}
