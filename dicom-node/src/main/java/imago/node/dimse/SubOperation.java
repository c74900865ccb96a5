package imago.node.dimse;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationOutputStream;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.Uids;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;

/**
 * One C-STORE sub-operation of a C-MOVE or C-GET (PS3.4 C.4.2.3, C.4.3.3): the C-STORE-RQ and the
 * stored data set streamed from S3 onto the association, in its stored transfer syntax when the
 * peer accepted it; an uncompressed data set may go as the other uncompressed syntax (PixelMed
 * re-encodes it), a compressed one only as stored.
 */
final class SubOperation {
  static final Set<String> UNCOMPRESSED = Set.of(Uids.IMPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_LITTLE_ENDIAN);

  private SubOperation() {}

  /** The stored object could not be opened: this sub-operation failed, the association is still fine. */
  static final class ObjectUnavailableException extends IOException {
    ObjectUnavailableException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** The context to send {@code i} on, or -1 when the peer accepted none that fits. */
  static byte context(Association as, StoredInstance i) {
    try {
      return as.getSuitablePresentationContextID(i.sopClassUid(), i.transferSyntaxUid());
    } catch (DicomNetworkException notThatOne) {
      if (!UNCOMPRESSED.contains(i.transferSyntaxUid())) return -1;
    }
    for (String ts : UNCOMPRESSED) {
      try {
        return as.getSuitablePresentationContextID(i.sopClassUid(), ts);
      } catch (DicomNetworkException notThatOne) {
        // try the other
      }
    }
    return -1;
  }

  /**
   * Opens the object first (a missing object fails only this sub-operation), then sends the
   * C-STORE-RQ and the data set. An exception after the command is out leaves the association
   * unusable: the caller aborts it. {@code origin} carries the priority and, for a C-MOVE, its
   * originator ({@link DimseCommand.Retrieve#subOperation}).
   */
  static void send(Association as, byte context, int messageId, StoredInstance i, ObjectStore store,
      DimseCommand.Retrieve origin) throws IOException, DicomNetworkException {
    String ts = as.getTransferSyntaxForPresentationContextID(context);
    InputStream in;
    try {
      in = store.get(i.objectKey(), i.datasetOffset(), i.objectSize() - i.datasetOffset())
          .orElseThrow(() -> new FileNotFoundException("stored object " + i.objectKey() + " is missing"));
    } catch (IOException e) {
      throw new ObjectUnavailableException(e);
    }
    try (in) {
      DimseCommand rq = new DimseCommand(DimseCommand.C_STORE_RQ, messageId, -1, i.sopClassUid(), i.sopInstanceUid(),
          true, 0, null, origin);
      as.send(context, rq.encode(), null);
      try (AssociationOutputStream out = as.getAssociationOutputStream(context)) {
        if (ts.equals(i.transferSyntaxUid())) {
          in.transferTo(out);
        } else {
          transcode(in, i.transferSyntaxUid(), out, ts);
        }
      }
    }
  }

  /** Implicit <-> explicit VR little endian, through PixelMed. */
  private static void transcode(InputStream in, String from, OutputStream out, String to) throws IOException {
    try {
      AttributeList list = new AttributeList();
      list.read(new DicomInputStream(new BufferedInputStream(in, 65536), from, false));
      DicomOutputStream dout = new DicomOutputStream(out, null, to);
      list.write(dout);
      dout.flush();
    } catch (DicomException e) {
      throw new IOException("cannot re-encode for the peer: " + e.getMessage(), e);
    }
  }
}
