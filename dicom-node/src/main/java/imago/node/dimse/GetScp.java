package imago.node.dimse;

import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import imago.web.Access;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * C-GET SCP (PS3.4 C.4.3), Patient Root and Study Root: the instances go back to the requester on
 * the same association, as C-STORE sub-operations on the storage contexts it proposed with the SCP
 * role (PS3.7 D.3.3.4; PixelMed's acceptor grants the roles asked for). Each association has its
 * own {@link Session}: an {@link Operation} is driven by the association's reading thread, each
 * C-STORE-RSP that arrives sends the next instance, so a C-CANCEL-RQ is seen between sub-operations.
 */
public final class GetScp {
  private static final Logger LOG = LoggerFactory.getLogger(GetScp.class);
  /** A C-GET's sub-operations have no move originator (PS3.7 §9.3.1.1). */
  private static final DimseCommand.Retrieve NO_ORIGINATOR = DimseCommand.Retrieve.subOperation(null, -1);

  private final Index index;
  private final ObjectStore store;
  private final Access access;

  public GetScp(Index index, ObjectStore store, Access access) {
    this.index = index;
    this.store = store;
    this.access = access;
  }

  /** The C-GETs of one new association. */
  Session session() {
    return new Session();
  }

  /** The C-GETs of one association: one at a time, and the commands the requester sends back for it. */
  final class Session {
    private Operation running;

    private Session() {}

    /** A C-GET-RQ: refused while another C-GET runs on this association. */
    void answer(DimseRequest rq) throws DicomNetworkException, IOException {
      if (running != null) {
        rq.respond(DimseCommand.UNRECOGNIZED_OPERATION, "a C-GET is already running on this association");
        return;
      }
      byte[] identifier = rq.identifierOrRefuse();
      if (identifier == null) return;
      running = start(rq, identifier);
    }

    /** A C-STORE-RSP: the requester's answer to the running C-GET's sub-operation; else nothing Imago asked for. */
    void subOperationAnswered(DimseRequest rsp) throws DicomNetworkException, IOException {
      if (running != null && running.handles(rsp.command())) {
        if (running.on(rsp.command())) running = null;
      } else {
        DimseDispatcher.unsupported(rsp);
      }
    }

    /**
     * A C-CANCEL-RQ: of the running C-GET, it ends after the sub-operation in flight. A C-FIND or
     * C-MOVE is answered in full before its C-CANCEL-RQ is read: there is nothing left to cancel.
     */
    void cancel(DimseRequest rq) throws DicomNetworkException, IOException {
      if (running != null && running.handles(rq.command())) {
        if (running.on(rq.command())) running = null;
      } else {
        LOG.debug("event=dimse.cancel.ignored calling={} (nothing running, or its answers already sent)", rq.peer().callingAe());
      }
    }
  }

  /**
   * Starts answering a C-GET-RQ: sends the first sub-operation (or the final response when there is
   * nothing to send). Returns the running operation, or null when it is already over.
   */
  private Operation start(DimseRequest rq, byte[] identifier) throws DicomNetworkException, IOException {
    List<StoredInstance> instances = RetrieveKeys.resolveOrRefuse(rq, identifier, index);
    if (instances == null) return null;
    try {
      access.recordDimse(rq.peer().tenant().id(), rq.peer().callingAe(), "retrieve", Access.Via.C_GET,
          rq.peer().address(), RetrieveKeys.items(instances));
    } catch (SqlUnavailableException e) {
      rq.respond(DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS, "audit unavailable");
      return null;
    }
    Operation op = new Operation(rq, instances);
    return op.next() ? null : op;
  }

  /** One C-GET in progress on an association. */
  private final class Operation {
    private final DimseRequest request;
    private final SubOperation.Channel channel;
    private final RetrieveProgress progress;
    private final Iterator<StoredInstance> instances;
    private final long start = System.nanoTime();
    private int messageId;
    private StoredInstance sent;
    private boolean cancelled;

    private Operation(DimseRequest request, List<StoredInstance> instances) {
      this.request = request;
      this.channel = SubOperation.over(request.association());
      this.progress = new RetrieveProgress(request, instances.size());
      this.instances = instances.iterator();
    }

    /** Whether {@code command} belongs to this operation: its sub-operation's C-STORE-RSP, or a C-CANCEL-RQ of it. */
    boolean handles(DimseCommand command) {
      if (command.commandField() == DimseCommand.C_STORE_RSP) {
        return sent != null && command.messageIdBeingRespondedTo() == messageId;
      }
      return command.commandField() == DimseCommand.C_CANCEL_RQ
          && command.messageIdBeingRespondedTo() == request.command().messageId();
    }

    /** Takes a command {@link #handles} accepted; returns true when the operation is over. */
    boolean on(DimseCommand command) throws DicomNetworkException, IOException {
      if (command.commandField() == DimseCommand.C_CANCEL_RQ) {
        // PS3.4 C.4.3.3.2: the sub-operation in flight completes, then a final Cancel response
        cancelled = true;
        return sent == null && next();
      }
      progress.stored(sent.sopInstanceUid(), command.status());
      sent = null;
      progress.pending();
      return next();
    }

    /** Sends the next sub-operation; returns true (after the final response) when there is none. */
    boolean next() throws DicomNetworkException, IOException {
      while (!cancelled && instances.hasNext()) {
        StoredInstance i = instances.next();
        int context = SubOperation.context(channel, i);
        if (context < 0) {
          // the requester proposed no storage context (with the SCP role) for this SOP class and syntax
          progress.failed(i.sopInstanceUid());
          continue;
        }
        messageId = (messageId + 1) & 0xFFFF;
        try {
          SubOperation.send(channel, context, messageId, i, store, NO_ORIGINATOR);
          sent = i;
          return false;
        } catch (SubOperation.ObjectUnavailableException e) {
          LOG.error("event=cget.object.unavailable sop={} reason=\"{}\"", i.sopInstanceUid(), e.getMessage());
          progress.failed(i.sopInstanceUid());
        }
      }
      progress.finish(cancelled);
      LOG.info("event=cget.done calling={} tenant={} completed={} warning={} failed={} cancelled={} ms={}",
          request.peer().callingAe(), request.peer().tenant().id(), progress.completed(), progress.warning(),
          progress.failed(), cancelled, (System.nanoTime() - start) / 1_000_000);
      return true;
    }
  }
}
