package imago.node.dimse;

import com.pixelmed.network.Association;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.tenant.Tenant;
import imago.storage.index.Index;
import imago.storage.index.Scope;
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
 * role (PS3.7 D.3.3.4; PixelMed's acceptor grants the roles asked for). An {@link Operation} is
 * driven by the association's reading thread: each C-STORE-RSP that arrives sends the next
 * instance, so a C-CANCEL-RQ is seen between sub-operations.
 */
public final class GetScp {
  private static final Logger LOG = LoggerFactory.getLogger(GetScp.class);

  private final Index index;
  private final ObjectStore store;
  private final Access access;

  public GetScp(Index index, ObjectStore store, Access access) {
    this.index = index;
    this.store = store;
    this.access = access;
  }

  /**
   * Starts answering a C-GET-RQ: sends the first sub-operation (or the final response when there is
   * nothing to send). Returns the running operation, or null when it is already over.
   */
  Operation start(Association as, byte context, DimseCommand rq, byte[] identifier, Tenant tenant, String callingAe,
      String remote) throws DicomNetworkException, IOException {
    List<StoredInstance> instances = RetrieveKeys.resolveOrRefuse(as, context, rq, identifier, index,
        Scope.tenant(tenant.id()));
    if (instances == null) return null;
    try {
      access.recordDimse(tenant.id(), callingAe, "retrieve", Access.Via.C_GET, remote, RetrieveKeys.items(instances));
    } catch (SqlUnavailableException e) {
      RetrieveProgress.refuse(as, context, rq, DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS, "audit unavailable");
      return null;
    }
    Operation op = new Operation(as, context, rq, instances, tenant, callingAe);
    return op.next() ? null : op;
  }

  /** One C-GET in progress on an association. */
  final class Operation {
    private final Association as;
    private final DimseCommand request;
    private final RetrieveProgress progress;
    private final Iterator<StoredInstance> instances;
    private final String tenant;
    private final String callingAe;
    private final long start = System.nanoTime();
    private int messageId;
    private StoredInstance sent;
    private boolean cancelled;

    private Operation(Association as, byte context, DimseCommand request, List<StoredInstance> instances, Tenant tenant,
        String callingAe) {
      this.as = as;
      this.request = request;
      this.progress = new RetrieveProgress(as, context, request, instances.size());
      this.instances = instances.iterator();
      this.tenant = tenant.id();
      this.callingAe = callingAe;
    }

    /** Whether {@code command} belongs to this operation: its sub-operation's C-STORE-RSP, or a C-CANCEL-RQ of it. */
    boolean handles(DimseCommand command) {
      if (command.commandField() == DimseCommand.C_STORE_RSP) {
        return sent != null && command.messageIdBeingRespondedTo() == messageId;
      }
      return command.commandField() == DimseCommand.C_CANCEL_RQ && command.messageIdBeingRespondedTo() == request.messageId();
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
        byte context = SubOperation.context(as, i);
        if (context < 0) {
          // the requester proposed no storage context (with the SCP role) for this SOP class and syntax
          progress.failed(i.sopInstanceUid());
          continue;
        }
        messageId = (messageId + 1) & 0xFFFF;
        try {
          SubOperation.send(as, context, messageId, i, store, null, -1);
          sent = i;
          return false;
        } catch (SubOperation.ObjectUnavailableException e) {
          LOG.error("event=cget.object.unavailable sop={} reason=\"{}\"", i.sopInstanceUid(), e.getMessage());
          progress.failed(i.sopInstanceUid());
        }
      }
      progress.finish(cancelled);
      LOG.info("event=cget.done calling={} tenant={} completed={} warning={} failed={} cancelled={} ms={}", callingAe,
          tenant, progress.completed(), progress.warning(), progress.failed(), cancelled,
          (System.nanoTime() - start) / 1_000_000);
      return true;
    }
  }
}
