package imago.inference.worker;

import imago.core.dicom.DicomStatus;
import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.storage.index.Source;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import java.io.IOException;

/**
 * Stores result objects back into their study through the one ingest path (object, then the index),
 * so they are found by QIDO and retrieved by WADO like any instance. Idempotent: a job's objects
 * have UIDs and content fixed by the job, so writing them again (a second worker after a lost
 * lease) finds identical bytes already stored and succeeds without a second copy.
 */
public final class ResultWriter {
  private final Ingest ingest;

  public ResultWriter(Ingest ingest) {
    this.ingest = ingest;
  }

  public IngestOutcome write(String tenantId, long jobId, byte[] part10) throws JobFailure {
    Spool spool = ingest.newSpool();
    try (spool) {
      spool.write(part10, 0, part10.length);
      IngestOutcome outcome = ingest.store(IngestRequest.part10(new Tenant(tenantId, tenantId, java.util.List.of()),
          Source.INFERENCE, "job:" + jobId, spool, IngestRequest.Expectations.NONE));
      if (outcome.ok()) return outcome;
      if (outcome.status() == DicomStatus.OUT_OF_RESOURCES) {
        throw JobFailure.passing("storing the result: " + outcome.reason(), null);
      }
      throw JobFailure.permanent("the result object was refused (status 0x" + Integer.toHexString(outcome.status())
          + "): " + outcome.reason(), null);
    } catch (IOException e) {
      throw JobFailure.passing("storing the result: " + e.getMessage(), e);
    }
  }
}
