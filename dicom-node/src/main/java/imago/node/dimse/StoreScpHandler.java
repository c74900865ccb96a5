package imago.node.dimse;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.network.Association;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationDataValue;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.ingest.IngestTimings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives every PDV of one association as it arrives (PixelMed calls {@link #sendPDataIndication}
 * per P-DATA-TF): command fragments are collected, data fragments stream into a spool (after the
 * File Meta Information written for them: the spool is the object's file on the fs backend), and when
 * the last data fragment is in, the instance goes through the ingest path and only then is the
 * C-STORE-RSP sent, with the status the ingest decided.
 */
final class StoreScpHandler extends CompositeResponseHandler {
  private static final Logger LOG = LoggerFactory.getLogger(StoreScpHandler.class);

  private final Tenant tenant;
  private final String callingAe;
  private final Ingest ingest;
  private final Spool spool;
  private final ByteArrayOutputStream command = new ByteArrayOutputStream(256);
  private DimseCommand pending;
  private byte pendingContext;
  private IOException spoolFailure;
  private long receiving;
  private FindScp find;
  private String peer;
  private MoveScp move;
  private GetScp get;
  private GetScp.Operation getting;
  int stored;
  int failed;

  StoreScpHandler(Tenant tenant, String callingAe, Ingest ingest, Spool spool) {
    this.tenant = tenant;
    this.callingAe = callingAe;
    this.ingest = ingest;
    this.spool = spool;
  }

  /** C-FIND-RQs on this association are answered by {@code find} (none: "unrecognized operation"). */
  void answerFindWith(FindScp find, String peer) {
    this.find = find;
    this.peer = peer;
  }

  /** C-MOVE-RQs and C-GET-RQs on this association are answered by {@code move} and {@code get} (null: not). */
  void answerRetrieveWith(MoveScp move, GetScp get, String peer) {
    this.move = move;
    this.get = get;
    this.peer = peer;
  }

  @Override
  public void sendPDataIndication(PDataPDU pdata, Association as) throws DicomNetworkException, IOException {
    for (Object o : pdata.getPDVList()) {
      PresentationDataValue pdv = (PresentationDataValue) o;
      byte[] value = pdv.getValue();
      if (pdv.isCommand()) {
        command.write(value, 0, value.length);
        if (pdv.isLastFragment()) onCommand(pdv.getPresentationContextID(), as);
      } else {
        if (pending == null) throw new DicomNetworkException("data PDV without a preceding command");
        if (spoolFailure == null) {
          try {
            spool.write(value, 0, value.length);
          } catch (IOException e) {
            spoolFailure = e; // keep reading the data so the association stays usable
          }
        }
        if (pdv.isLastFragment()) onDataComplete(as);
      }
    }
  }

  private void onCommand(byte context, Association as) throws DicomNetworkException, IOException {
    DimseCommand rq;
    try {
      rq = DimseCommand.parse(command.toByteArray());
    } catch (MalformedDicomException e) {
      throw new DicomNetworkException("unreadable command set: " + e.getMessage());
    } finally {
      command.reset();
    }
    if (getting != null && getting.handles(rq)) { // a C-GET's sub-operation response, or its cancel
      if (getting.on(rq)) getting = null;
      return;
    }
    switch (rq.commandField()) {
      case DimseCommand.C_ECHO_RQ -> respond(as, context, DimseCommand.response(rq, DicomStatus.SUCCESS, null));
      case DimseCommand.C_STORE_RQ -> {
        if (!rq.hasDataSet()) {
          respond(as, context, DimseCommand.response(rq, DicomStatus.CANNOT_UNDERSTAND, "C-STORE-RQ without a data set"));
          return;
        }
        pending = rq;
        pendingContext = context;
        spool.reset();
        spoolFailure = null;
        receiving = System.nanoTime();
        // The object is a PS3.10 file: its File Meta Information first, then the data set as it streams in.
        byte[] meta = Part10.fileMetaInformation(orEmpty(rq.affectedSopClassUid()), orEmpty(rq.affectedSopInstanceUid()),
            as.getTransferSyntaxForPresentationContextID(context), callingAe);
        try {
          spool.write(meta, 0, meta.length);
        } catch (IOException e) {
          spoolFailure = e;
        }
      }
      case DimseCommand.C_FIND_RQ -> { // the identifier follows as data
        pending = rq;
        pendingContext = context;
        spool.reset();
        spoolFailure = null;
      }
      case DimseCommand.C_MOVE_RQ, DimseCommand.C_GET_RQ -> { // the identifier follows as data
        pending = rq;
        pendingContext = context;
        spool.reset();
        spoolFailure = null;
      }
      case DimseCommand.C_CANCEL_RQ -> LOG.debug("event=cfind.cancel calling={} (answers already sent)", callingAe);
      default -> {
        LOG.warn("event=dimse.unsupported calling={} command=0x{}", callingAe, Integer.toHexString(rq.commandField()));
        respond(as, context, DimseCommand.response(rq, DimseCommand.UNRECOGNIZED_OPERATION,
            "Imago performs C-ECHO and C-STORE here"));
        if (rq.hasDataSet()) pending = null;
      }
    }
  }

  private void onDataComplete(Association as) throws DicomNetworkException, IOException {
    DimseCommand rq = pending;
    pending = null;
    if (rq.commandField() == DimseCommand.C_FIND_RQ) {
      answerFind(as, rq);
      return;
    }
    if (rq.commandField() == DimseCommand.C_MOVE_RQ || rq.commandField() == DimseCommand.C_GET_RQ) {
      answerRetrieve(as, rq);
      return;
    }
    IngestTimings timings = ingest.timings();
    timings.record(IngestTimings.Stage.RECEIVE, System.nanoTime() - receiving);
    IngestOutcome outcome;
    if (spoolFailure instanceof Spool.SpoolFullException) {
      outcome = IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES_TOO_LARGE, spoolFailure.getMessage(),
          rq.affectedSopClassUid(), rq.affectedSopInstanceUid());
    } else if (spoolFailure != null) {
      outcome = IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "cannot spool: " + spoolFailure.getMessage(),
          rq.affectedSopClassUid(), rq.affectedSopInstanceUid());
    } else {
      outcome = ingest.store(IngestRequest.cStore(tenant, callingAe, spool, rq.affectedSopClassUid(),
          rq.affectedSopInstanceUid()));
    }
    if (outcome.ok()) {
      stored++;
      LOG.debug("event=cstore.stored calling={} tenant={} sop={} duplicate={}", callingAe, tenant.id(),
          outcome.sopInstanceUid(), outcome.duplicate());
    } else {
      failed++;
      LOG.warn("event=cstore.refused calling={} tenant={} sop={} status={} reason=\"{}\"", callingAe, tenant.id(),
          rq.affectedSopInstanceUid(), DicomStatus.hex(outcome.status()), outcome.reason());
    }
    spool.reset(); // a refused instance leaves no staging file behind once its response is out
    long t = System.nanoTime();
    respond(as, pendingContext, DimseCommand.response(rq, outcome.status(), outcome.ok() ? null : outcome.reason()));
    timings.record(IngestTimings.Stage.RESPOND, System.nanoTime() - t);
  }

  private void answerFind(Association as, DimseCommand rq) throws DicomNetworkException, IOException {
    if (find == null) {
      respond(as, pendingContext, DimseCommand.response(rq, DimseCommand.UNRECOGNIZED_OPERATION, "C-FIND is not enabled"));
      return;
    }
    if (spoolFailure != null) {
      respond(as, pendingContext, DimseCommand.response(rq, DicomStatus.CANNOT_UNDERSTAND, "cannot hold the identifier"));
      return;
    }
    byte[] identifier = new byte[(int) spool.size()];
    spool.buffer().get(identifier);
    find.answer(as, pendingContext, as.getTransferSyntaxForPresentationContextID(pendingContext), rq, identifier, tenant,
        callingAe, peer);
  }

  private void answerRetrieve(Association as, DimseCommand rq) throws DicomNetworkException, IOException {
    boolean isMove = rq.commandField() == DimseCommand.C_MOVE_RQ;
    if ((isMove ? move : get) == null || getting != null) {
      respond(as, pendingContext, DimseCommand.response(rq, DimseCommand.UNRECOGNIZED_OPERATION,
          getting != null ? "a C-GET is already running on this association" : "retrieve is not enabled"));
      return;
    }
    if (spoolFailure != null) {
      respond(as, pendingContext, DimseCommand.response(rq, DicomStatus.CANNOT_UNDERSTAND, "cannot hold the identifier"));
      return;
    }
    byte[] identifier = new byte[(int) spool.size()];
    spool.buffer().get(identifier);
    if (isMove) {
      move.answer(as, pendingContext, rq, identifier, tenant, callingAe, peer);
    } else {
      getting = get.start(as, pendingContext, rq, identifier, tenant, callingAe, peer);
    }
  }

  private static String orEmpty(String uid) {
    return uid == null ? "" : uid;
  }

  private static void respond(Association as, byte context, DimseCommand rsp) throws DicomNetworkException {
    as.send(context, rsp.encode(), null);
  }

  @Override
  protected void evaluateStatusAndSetSuccess(AttributeList list) {
    // Not used: this handler answers requests rather than evaluating responses.
  }
}
