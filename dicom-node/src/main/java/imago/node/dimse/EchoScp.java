package imago.node.dimse;

import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;

/** Verification SCP (PS3.4 Annex A): a C-ECHO-RQ is answered Success. */
final class EchoScp {
  private EchoScp() {}

  static void answer(DimseRequest request) throws DicomNetworkException {
    request.respond(DicomStatus.SUCCESS, null);
  }
}
