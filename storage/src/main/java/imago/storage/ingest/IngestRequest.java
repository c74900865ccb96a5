package imago.storage.ingest;

import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.storage.index.Source;

/**
 * One object to store: a whole PS3.10 file, stored byte for byte. C-STORE writes the File Meta
 * Information itself before the data set it receives. The expectations are what the transport
 * already claims about the object. {@code audit}: the writer the audit records (C-STORE, STOW-RS);
 * null where no client is at the other end (import, AI results, recovery: not audited as writes).
 */
public record IngestRequest(Tenant tenant, Source source, String origin, Spool content, Expectations expect,
    WriteAudit audit) {

  /** What the sender claimed; null fields are not checked. */
  public record Expectations(String sopClassUid, String sopInstanceUid, String studyUid) {
    public static final Expectations NONE = new Expectations(null, null, null);
  }

  public static IngestRequest part10(Tenant tenant, Source source, String origin, Spool content, Expectations expect) {
    return new IngestRequest(tenant, source, origin, content, expect, null);
  }

  /** The same request, its write recorded in the audit under {@code audit}. */
  public IngestRequest audited(WriteAudit audit) {
    return new IngestRequest(tenant, source, origin, content, expect, audit);
  }

  /** A C-STORE's File Meta Information and data set, checked against the command's SOP UIDs. */
  public static IngestRequest cStore(Tenant tenant, String callingAe, Spool content, String sopClassUid,
      String sopInstanceUid, WriteAudit audit) {
    return new IngestRequest(tenant, Source.DIMSE, callingAe, content,
        new Expectations(sopClassUid, sopInstanceUid, null), audit);
  }
}
