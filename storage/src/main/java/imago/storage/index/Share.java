package imago.storage.index;

import java.time.Instant;

/** A study shared with a person of any tenant until it expires. */
public record Share(long id, String tenantId, String studyUid, String grantee, String grantedBy, Instant createdAt,
    Instant expiresAt) {}
