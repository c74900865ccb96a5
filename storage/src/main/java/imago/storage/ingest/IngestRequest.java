package imago.storage.ingest;

import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.storage.index.Source;

/**
 * One object to store: a whole PS3.10 file, stored byte for byte. C-STORE writes the File Meta
 * Information itself before the data set it receives. The expectations are what the transport
 * already claims about the object.
 */
public record IngestRequest(Tenant tenant, Source source, String origin, Spool content, Expectations expect) {

  /** What the sender claimed; null fields are not checked. */
  public record Expectations(String sopClassUid, String sopInstanceUid, String studyUid) {
    public static final Expectations NONE = new Expectations(null, null, null);
  }

  public static IngestRequest part10(Tenant tenant, Source source, String origin, Spool content, Expectations expect) {
    return new IngestRequest(tenant, source, origin, content, expect);
  }

  /** A C-STORE's File Meta Information and data set, checked against the command's SOP UIDs. */
  public static IngestRequest cStore(Tenant tenant, String callingAe, Spool content, String sopClassUid,
      String sopInstanceUid) {
    return new IngestRequest(tenant, Source.DIMSE, callingAe, content,
        new Expectations(sopClassUid, sopInstanceUid, null));
  }
}
