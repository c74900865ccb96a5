package imago.node.dimse;

import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.Part10;
import imago.core.io.Spool;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.ingest.IngestTimings;
import imago.storage.ingest.WriteAudit;
import imago.web.Access;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage SCP (PS3.4 Annex B) of one association: the data set streams into the spool behind the
 * File Meta Information written for it (the spool is the object's file on the fs backend), the
 * instance goes through the ingest path, and only then is the C-STORE-RSP sent, with the status
 * the ingest decided. It counts what the association stored, for the log line at its end, and
 * records in the audit what it wrote: a row per study, with the study's first instance stored.
 */
final class StoreScp implements DimseService {
  private static final Logger LOG = LoggerFactory.getLogger(StoreScp.class);

  /** What one association's C-STOREs came to. */
  record Tally(int stored, int failed) {}

  private final Ingest ingest;
  private int stored;
  private int failed;
  private WriteAudit audit;

  StoreScp(Ingest ingest) {
    this.ingest = ingest;
  }

  Tally tally() {
    return new Tally(stored, failed);
  }

  @Override
  public void receiving(DimseRequest rq) throws DicomNetworkException {
    // The object is a PS3.10 file: its File Meta Information first, then the data set as it streams in.
    byte[] meta = Part10.fileMetaInformation(orEmpty(rq.command().affectedSopClassUid()),
        orEmpty(rq.command().affectedSopInstanceUid()), rq.transferSyntax(), rq.peer().callingAe());
    rq.dataSet().write(meta, 0, meta.length);
  }

  @Override
  public void answer(DimseRequest rq) throws DicomNetworkException, IOException {
    DimseCommand command = rq.command();
    if (!command.hasDataSet()) {
      rq.respond(DicomStatus.CANNOT_UNDERSTAND, "C-STORE-RQ without a data set");
      return;
    }
    IngestTimings timings = ingest.timings();
    timings.record(IngestTimings.Stage.RECEIVE, System.nanoTime() - rq.receivedNanos());
    IngestOutcome outcome = store(rq);
    if (outcome.ok()) {
      stored++;
      LOG.debug("event=cstore.stored calling={} tenant={} sop={} duplicate={}", rq.peer().callingAe(),
          rq.peer().tenant().id(), outcome.sopInstanceUid(), outcome.duplicate());
    } else {
      failed++;
      LOG.warn("event=cstore.refused calling={} tenant={} sop={} status={} reason=\"{}\"", rq.peer().callingAe(),
          rq.peer().tenant().id(), command.affectedSopInstanceUid(), DicomStatus.hex(outcome.status()), outcome.reason());
    }
    rq.dataSet().clear(); // a refused instance leaves no staging file behind once its response is out
    long t = System.nanoTime();
    rq.respond(outcome.status(), outcome.ok() ? null : outcome.reason());
    timings.record(IngestTimings.Stage.RESPOND, System.nanoTime() - t);
  }

  private IngestOutcome store(DimseRequest rq) {
    DimseCommand command = rq.command();
    IOException failure = rq.dataSet().failure();
    if (failure instanceof Spool.SpoolFullException) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES_TOO_LARGE, failure.getMessage(),
          command.affectedSopClassUid(), command.affectedSopInstanceUid());
    }
    if (failure != null) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "cannot spool: " + failure.getMessage(),
          command.affectedSopClassUid(), command.affectedSopInstanceUid());
    }
    if (audit == null) audit = Access.dimseWrites(rq.peer().tenant().id(), rq.peer().callingAe(), rq.peer().address());
    return ingest.store(IngestRequest.cStore(rq.peer().tenant(), rq.peer().callingAe(), rq.dataSet().spool(),
        command.affectedSopClassUid(), command.affectedSopInstanceUid(), audit));
  }

  private static String orEmpty(String uid) {
    return uid == null ? "" : uid;
  }
}
