package imago.node.dimse;

import com.pixelmed.network.Association;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.tenant.Tenant;
import imago.storage.index.Scope;
import java.io.IOException;

/**
 * One command the peer sent, as the service that answers it sees it: the association and the
 * presentation context it came on, the parsed command set, who sent it, its data set and when
 * its command set was complete. Nearly always a request; a C-STORE-RSP answers one of this SCP's
 * C-GET sub-operations (PS3.7 §9.1.3: there the peer is the C-STORE SCP).
 */
record DimseRequest(Association association, byte context, DimseCommand command, Peer peer, IncomingDataSet dataSet,
    long receivedNanos) {

  /**
   * The admitted peer of an association: the tenant its calling AE title belongs to, that AE
   * title, and its IP address (for the audit). DIMSE peers have no subject, so no shares.
   */
  record Peer(Tenant tenant, String callingAe, String address) {}

  /** What the calling AE's tenant may see. */
  Scope scope() {
    return Scope.tenant(peer.tenant().id());
  }

  /** The transfer syntax accepted for this request's presentation context. */
  String transferSyntax() throws DicomNetworkException {
    return association.getTransferSyntaxForPresentationContextID(context);
  }

  /** Sends {@code response} (and its data set, or null) on this request's presentation context. */
  void send(DimseCommand response, byte[] data) throws DicomNetworkException {
    association.send(context, response.encode(), data);
  }

  /** Answers this request with {@code status} and, for failures, a comment (PS3.7 C.4: Error Comment). */
  void respond(int status, String comment) throws DicomNetworkException {
    send(DimseCommand.response(command, status, comment), null);
  }

  /**
   * The identifier of a C-FIND, C-MOVE or C-GET, copied out of the spool; null, with the request
   * already answered 0xC000, when there is none or it could not be held.
   */
  byte[] identifierOrRefuse() throws DicomNetworkException, IOException {
    if (!command.hasDataSet()) {
      respond(DicomStatus.CANNOT_UNDERSTAND, "no identifier");
      return null;
    }
    if (dataSet.failure() != null) {
      respond(DicomStatus.CANNOT_UNDERSTAND, "cannot hold the identifier: " + dataSet.failure().getMessage());
      return null;
    }
    return dataSet.copy();
  }
}
