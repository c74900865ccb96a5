package imago.storage.models;

import java.time.Instant;

/**
 * One registered version of a model, as the catalog holds it. {@code manifestJson} and
 * {@code validationJson} are opaque to storage: the registry owns their shape.
 *
 * @param mode {@code primary} or {@code shadow} while active, else null
 * @param deviceUid the Device UID that names this exact version in AI results (PS3.3 C.7.5.1,
 *     Contributing Equipment): it changes whenever the model does
 */
public record ModelVersion(long id, String name, String version, String tenantId, String framework, String task,
    ModelState state, String mode, String reason, String artifactKey, String artifactSha256, long artifactSize,
    String deviceUid, String manifestJson, String validationJson, String registeredBy, Instant registeredAt,
    Instant updatedAt) {

  public static final String PRIMARY = "primary";
  public static final String SHADOW = "shadow";
}
