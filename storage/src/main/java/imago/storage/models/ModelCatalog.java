package imago.storage.models;

import imago.storage.index.SqlUnavailableException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The model registry's door into the SQL index: versions and their lifecycle. State changes are
 * compare-and-set, so two admins (or a validation job and a retire) cannot both win.
 */
public interface ModelCatalog {

  /**
   * Records a new version in state {@code registered}, claiming the model name for the tenant if it
   * is new. Throws {@link Conflict} when the version exists (versions are immutable) or the name
   * belongs to another tenant.
   */
  ModelVersion register(NewModelVersion version) throws Conflict, SqlUnavailableException;

  Optional<ModelVersion> find(String name, String version) throws SqlUnavailableException;

  /** Every version, newest registration first; filtered by the non-null arguments. */
  List<ModelVersion> list(String name, String tenantId, ModelState state) throws SqlUnavailableException;

  /** The tenant that owns the model name, if anyone registered it. */
  Optional<String> owner(String name) throws SqlUnavailableException;

  /**
   * Moves a version from one of {@code from} to {@code to}, with the validation report when given
   * (non-null replaces it). Empty when the version was not in one of {@code from}.
   */
  Optional<ModelVersion> transition(String name, String version, Set<ModelState> from, ModelState to, String actor,
      String reason, String validationJson) throws SqlUnavailableException;

  /**
   * Activates a validated (or retired) version in {@code mode}. As {@code primary} it retires the
   * model's current primary in the same transaction: there is at most one primary per model.
   * Empty when the version is not in one of {@code from}.
   */
  default Optional<ModelVersion> activate(String name, String version, Set<ModelState> from, String mode, String actor)
      throws SqlUnavailableException {
    return activate(name, version, from, mode, actor, null);
  }

  /** The same, {@code detail} added to the lifecycle event (why, beyond the mode: an overridden gate's reason). */
  Optional<ModelVersion> activate(String name, String version, Set<ModelState> from, String mode, String actor, String detail)
      throws SqlUnavailableException;

  List<ModelEvent> history(String name, String version) throws SqlUnavailableException;

  /** Versions whose registration never finished validating (a process died): for a restart to resume. */
  default List<ModelVersion> unvalidated() throws SqlUnavailableException {
    return list(null, null, ModelState.REGISTERED);
  }

  /** A version that exists, or a name that belongs to another tenant. */
  final class Conflict extends Exception {
    public Conflict(String message) {
      super(message);
    }
  }
}
