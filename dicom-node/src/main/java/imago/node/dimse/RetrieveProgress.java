package imago.node.dimse;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The sub-operation counts of one C-MOVE or C-GET and the responses that report them (PS3.4
 * C.4.2.1.5, C.4.3.1.5; PS3.7 §9.1.4-5): pending (0xFF00) after each sub-operation while some
 * remain, then the final status, with the Failed SOP Instance UID List when anything failed.
 */
final class RetrieveProgress {
  private static final int MAX_LISTED_FAILURES = 1000;

  private final DimseRequest request;
  private final int total;
  private int completed;
  private int failed;
  private int warning;
  private final List<String> failedUids = new ArrayList<>();

  RetrieveProgress(DimseRequest request, int total) {
    this.request = request;
    this.total = total;
  }

  int remaining() {
    return total - completed - failed - warning;
  }

  int completed() {
    return completed;
  }

  int failed() {
    return failed;
  }

  int warning() {
    return warning;
  }

  /** A sub-operation's C-STORE-RSP status (PS3.4 B.2.3: 0xB000-0xBFFF and 0x0107/0x0116 are warnings). */
  void stored(String sopInstanceUid, int status) {
    if (status == DicomStatus.SUCCESS) {
      completed++;
    } else if ((status & 0xF000) == 0xB000 || status == 0x0107 || status == 0x0116) {
      warning++;
    } else {
      failed(sopInstanceUid);
    }
  }

  void failed(String sopInstanceUid) {
    failed++;
    // UI is a short VR: in explicit VR its value holds at most 64 KiB, about 1000 UIDs
    if (failedUids.size() < MAX_LISTED_FAILURES) failedUids.add(sopInstanceUid);
  }

  /** A pending response, when sub-operations remain. */
  void pending() throws DicomNetworkException {
    if (remaining() <= 0) return;
    request.send(DimseCommand.response(request.command(), DicomStatus.PENDING, null).with(counts(remaining())), null);
  }

  /** The final response after the sub-operations (all done, or cancelled). */
  void finish(boolean cancelled) throws DicomNetworkException {
    finish(cancelled, null);
  }

  /** As above, with an Error Comment (PS3.7 C.4) saying why sub-operations failed (null: none). */
  void finish(boolean cancelled, String comment) throws DicomNetworkException {
    int status;
    if (cancelled) status = DicomStatus.CANCEL;
    else if (failed == 0 && warning == 0) status = DicomStatus.SUCCESS;
    else if (completed == 0 && warning == 0) status = DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS;
    else status = DicomStatus.WARNING_SUB_OPERATIONS_FAILED;
    byte[] identifier = failedUids.isEmpty() ? null : failedList();
    DimseCommand rsp = DimseCommand.response(request.command(), status, status == DicomStatus.SUCCESS ? null : comment)
        .with(counts(cancelled ? remaining() : -1));
    request.send(identifier == null ? rsp : rsp.withDataSet(true), identifier);
  }

  private DimseCommand.Retrieve counts(int remaining) {
    return DimseCommand.Retrieve.counts(Math.min(remaining, 0xFFFF), Math.min(completed, 0xFFFF),
        Math.min(failed, 0xFFFF), Math.min(warning, 0xFFFF));
  }

  /** PS3.4 C.4.2.1.3.1: an identifier with Failed SOP Instance UID List (0008,0058). */
  private byte[] failedList() throws DicomNetworkException {
    try {
      AttributeList list = new AttributeList();
      UniqueIdentifierAttribute a = new UniqueIdentifierAttribute(new com.pixelmed.dicom.AttributeTag(0x0008, 0x0058));
      for (String uid : failedUids) a.addValue(uid);
      list.put(a);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DicomOutputStream dout = new DicomOutputStream(out, null, request.transferSyntax());
      list.write(dout);
      dout.flush();
      return out.toByteArray();
    } catch (DicomException | IOException e) {
      throw new DicomNetworkException("cannot encode the failed instance list: " + e.getMessage());
    }
  }
}
