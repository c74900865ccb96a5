package imago.storage.links;

import java.time.Instant;
import java.util.Set;

/** A capability link to one study, as stored: never the token, only its SHA-256. */
public record Link(long id, String tokenSha256, String tenantId, String studyUid, Set<Right> rights, String createdBy,
    Instant createdAt, Instant expiresAt, Instant revokedAt, String revokedBy) {

  /** What a link lets its holder do. */
  public enum Right {
    VIEW, DOWNLOAD;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Right parse(String id) {
      return valueOf(id.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  public boolean revoked() {
    return revokedAt != null;
  }

  public boolean expired(Instant now) {
    return !now.isBefore(expiresAt);
  }
}
