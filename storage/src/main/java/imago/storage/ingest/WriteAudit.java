package imago.storage.ingest;

import imago.storage.index.AuditEvent;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Who is writing through one association or one STOW-RS request, and the studies whose write is
 * already in the audit (invariant 7). A write leaves one row per study per association or
 * request, not one per instance, and that row is committed in the same transaction as the study's
 * first instance stored: it costs one INSERT in a transaction that runs anyway, and there is no
 * stored instance without its row. The row names the storing tenant as the owner of the copy.
 *
 * <p>Not thread-safe: an association and a STOW-RS request store one instance at a time.
 */
public final class WriteAudit {
  /** The action a write is recorded as (DICOM Instances Transferred, created at the receiver). */
  public static final String ACTION = "store";

  private final String subject;
  private final String tenantId;
  private final String role;
  private final String via;
  private final String remote;
  private final Set<String> recorded = new HashSet<>();

  /**
   * @param subject who writes: a token's principal, or {@code ae:<calling AE>} for a DIMSE peer
   * @param via the service, as the audit names it (STOW_RS, C_STORE)
   * @param remote the client's or peer's address
   */
  public WriteAudit(String subject, String tenantId, String role, String via, String remote) {
    this.subject = subject;
    this.tenantId = tenantId;
    this.role = role;
    this.via = via;
    this.remote = remote;
  }

  /** The row a write to {@code studyUid} leaves now; null when this association or request has recorded that study. */
  AuditEvent rowFor(String studyUid) {
    if (recorded.contains(studyUid)) return null;
    return new AuditEvent(Instant.now(), subject, tenantId, role, ACTION, studyUid, null, null, via, remote, tenantId);
  }

  /** The row for {@code studyUid} is committed: later instances of that study leave none. */
  void recorded(String studyUid) {
    recorded.add(studyUid);
  }
}
