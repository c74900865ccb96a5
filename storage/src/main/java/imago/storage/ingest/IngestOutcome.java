package imago.storage.ingest;

import imago.core.dicom.DicomStatus;
import imago.storage.index.StoredInstance;

/**
 * What happened to one object: stored (or already there, byte-identical), or refused with a
 * DICOM status and a reason a person can act on. SOP UIDs are filled in as far as they were read.
 */
public record IngestOutcome(int status, String reason, String sopClassUid, String sopInstanceUid, boolean duplicate,
    StoredInstance instance) {

  public static IngestOutcome stored(StoredInstance instance, boolean duplicate) {
    return new IngestOutcome(DicomStatus.SUCCESS, duplicate ? "already stored, identical" : "stored",
        instance.sopClassUid(), instance.sopInstanceUid(), duplicate, instance);
  }

  public static IngestOutcome refused(int status, String reason, String sopClassUid, String sopInstanceUid) {
    return new IngestOutcome(status, reason, sopClassUid, sopInstanceUid, false, null);
  }

  public boolean ok() {
    return status == DicomStatus.SUCCESS;
  }
}
