package imago.node.dimse;

import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.tenant.Tenant;
import imago.core.text.LogText;
import imago.node.NodeConfig;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import imago.web.Access;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * C-MOVE SCP (PS3.4 C.4.2), Patient Root and Study Root: the instances the identifier names within
 * the calling AE's tenant go, as stored, to one of the tenant's destinations
 * ({@code tenants[].moveDestinations}) over a new association, DICOM TLS for a destination marked
 * {@code tls}; a pending C-MOVE-RSP follows each sub-operation, then the final status, whose Error
 * Comment says why when the destination could not be reached or refused TLS. An unknown
 * destination is refused with 0xA801 before anything is looked up.
 *
 * <p>Runs on the association's reading thread, so a C-CANCEL-RQ is read only after the final
 * response (it then has nothing left to cancel).
 */
public final class MoveScp {
  private static final Logger LOG = LoggerFactory.getLogger(MoveScp.class);

  private final Index index;
  private final ObjectStore store;
  private final Access access;
  private final NodeConfig config;
  private final DestinationConnector destinations;

  /**
   * {@code outboundTls} opens DICOM TLS to destinations marked {@code tls}: it presents Imago's
   * certificate and trusts what outbound TLS trusts ({@code TlsMaterial.clientContext()}); null
   * refuses those destinations.
   */
  public MoveScp(Index index, ObjectStore store, Access access, NodeConfig config, SSLContext outboundTls) {
    this.index = index;
    this.store = store;
    this.access = access;
    this.config = config;
    this.destinations = new DestinationConnector(outboundTls, config.socketTimeout());
  }

  /** Answers one C-MOVE-RQ, whose identifier is its data set. */
  void answer(DimseRequest rq) throws DicomNetworkException, IOException {
    long start = System.nanoTime();
    byte[] identifier = rq.identifierOrRefuse();
    if (identifier == null) return;
    String callingAe = rq.peer().callingAe();
    String tenant = rq.peer().tenant().id();
    String destinationAe = rq.command().retrieve().moveDestination();
    Tenant.MoveDestination destination = rq.peer().tenant().moveDestination(destinationAe).orElse(null);
    if (destination == null) {
      LOG.warn("event=cmove.refused calling={} tenant={} destination={} reason=\"unknown destination\"", callingAe,
          tenant, LogText.quoted(destinationAe)); // the peer's own bytes
      rq.respond(DicomStatus.MOVE_DESTINATION_UNKNOWN, "unknown move destination " + destinationAe);
      return;
    }
    List<StoredInstance> instances = RetrieveKeys.resolveOrRefuse(rq, identifier, index);
    if (instances == null) return;
    try {
      access.recordDimse(tenant, callingAe, "retrieve", Access.Via.C_MOVE, rq.peer().address(),
          RetrieveKeys.items(instances));
    } catch (SqlUnavailableException e) {
      rq.respond(DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS, "audit unavailable");
      return;
    }
    RetrieveProgress progress = new RetrieveProgress(rq, instances.size());
    // each C-STORE sub-operation names the C-MOVE's originator (PS3.7 §9.3.1.1)
    DimseCommand.Retrieve origin = DimseCommand.Retrieve.subOperation(callingAe, rq.command().messageId());
    String failure = instances.isEmpty() ? null : send(progress, destination, instances, origin);
    progress.finish(false, failure);
    LOG.info("event=cmove.done calling={} tenant={} destination={} completed={} warning={} failed={} ms={}", callingAe,
        tenant, destination.aeTitle(), progress.completed(), progress.warning(), progress.failed(),
        (System.nanoTime() - start) / 1_000_000);
  }

  /** Sends every instance; returns why the destination did not get them all (for the Error Comment), or null. */
  private String send(RetrieveProgress progress, Tenant.MoveDestination destination, List<StoredInstance> instances,
      DimseCommand.Retrieve origin) throws DicomNetworkException {
    StoreScu scu;
    try {
      scu = StoreScu.open(destinations.connect(destination), config.aeTitle(), destination.aeTitle(), instances,
          config.maxPduLength(), config.socketTimeout());
    } catch (IOException | RuntimeException e) {
      for (StoredInstance i : instances) progress.failed(i.sopInstanceUid());
      return failed("cmove.destination.unreachable", destination, e);
    }
    try (scu) {
      List<StoredInstance> left = new ArrayList<>(instances);
      while (!left.isEmpty()) {
        StoredInstance i = left.remove(0);
        int context = scu.context(i);
        if (context < 0) {
          progress.failed(i.sopInstanceUid());
        } else {
          try {
            progress.stored(i.sopInstanceUid(), scu.store(i, context, store, origin));
          } catch (SubOperation.ObjectUnavailableException e) {
            LOG.error("event=cmove.object.unavailable sop={} reason=\"{}\"", i.sopInstanceUid(), e.getMessage());
            progress.failed(i.sopInstanceUid());
          } catch (IOException | DicomNetworkException | RuntimeException e) {
            // the destination association is broken: what is left cannot be sent on it
            progress.failed(i.sopInstanceUid());
            for (StoredInstance rest : left) progress.failed(rest.sopInstanceUid());
            return failed("cmove.destination.failed", destination, e);
          }
        }
        progress.pending();
      }
    }
    return null;
  }

  /** Logs why {@code destination} got nothing (more) and returns it in a few words. */
  private static String failed(String event, Tenant.MoveDestination destination, Exception e) {
    String why = DestinationConnector.failure(e, destination.tls());
    LOG.warn("event={} destination={} host={} port={} tls={} reason=\"{}\" detail={}", event, destination.aeTitle(),
        destination.host(), destination.port(), destination.tls(), why,
        LogText.quoted(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    return why;
  }
}
