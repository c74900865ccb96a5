package imago.storage.ingest;

import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.storage.index.Source;

/**
 * One object to store. {@code content} is either a whole PS3.10 file (STOW-RS, import: stored
 * byte for byte) or a bare data set in {@code transferSyntaxUid} (C-STORE: stored behind a File
 * Meta Information we write). The expectations are what the transport already claims about it.
 */
public record IngestRequest(Tenant tenant, Source source, String origin, Spool content, Encoding encoding,
    String transferSyntaxUid, Expectations expect) {

  public enum Encoding { PART10, DATASET }

  /** What the sender claimed; null fields are not checked. */
  public record Expectations(String sopClassUid, String sopInstanceUid, String studyUid) {
    public static final Expectations NONE = new Expectations(null, null, null);
  }

  public static IngestRequest part10(Tenant tenant, Source source, String origin, Spool content, Expectations expect) {
    return new IngestRequest(tenant, source, origin, content, Encoding.PART10, null, expect);
  }

  public static IngestRequest dataset(Tenant tenant, String callingAe, Spool content, String transferSyntaxUid,
      String sopClassUid, String sopInstanceUid) {
    return new IngestRequest(tenant, Source.DIMSE, callingAe, content, Encoding.DATASET, transferSyntaxUid,
        new Expectations(sopClassUid, sopInstanceUid, null));
  }
}
