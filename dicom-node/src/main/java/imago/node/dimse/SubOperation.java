package imago.node.dimse;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.network.Association;
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

  /**
   * An association that C-STORE sub-operations go out on: the requester's own for a C-GET
   * (PixelMed's acceptor, {@link #over}), or the one Imago opens to a C-MOVE destination ({@link StoreScu}).
   */
  interface Channel {
    /** The accepted presentation context id (1-255) for {@code sopClass} in {@code transferSyntax}, or -1. */
    int context(String sopClass, String transferSyntax);

    /** The transfer syntax accepted for {@code context}. */
    String transferSyntax(int context) throws DicomNetworkException;

    /** Sends a whole command set on {@code context}. */
    void sendCommand(int context, byte[] command) throws IOException, DicomNetworkException;

    /** The data set that follows the command, as PDVs on {@code context}; closing it sends the last one. */
    OutputStream dataSet(int context) throws IOException, DicomNetworkException;
  }

  /** A PixelMed association as a {@link Channel}. */
  static Channel over(Association as) {
    return new Channel() {
      @Override
      public int context(String sopClass, String transferSyntax) {
        try {
          return as.getSuitablePresentationContextID(sopClass, transferSyntax) & 0xFF;
        } catch (DicomNetworkException none) {
          return -1;
        }
      }

      @Override
      public String transferSyntax(int context) throws DicomNetworkException {
        return as.getTransferSyntaxForPresentationContextID((byte) context);
      }

      @Override
      public void sendCommand(int context, byte[] command) throws DicomNetworkException {
        as.send((byte) context, command, null);
      }

      @Override
      public OutputStream dataSet(int context) throws DicomNetworkException {
        return as.getAssociationOutputStream((byte) context);
      }
    };
  }

  /** The context to send {@code i} on, or -1 when the peer accepted none that fits. */
  static int context(Channel channel, StoredInstance i) {
    int stored = channel.context(i.sopClassUid(), i.transferSyntaxUid());
    if (stored >= 0 || !UNCOMPRESSED.contains(i.transferSyntaxUid())) return stored;
    for (String ts : UNCOMPRESSED) {
      int other = channel.context(i.sopClassUid(), ts);
      if (other >= 0) return other;
    }
    return -1;
  }

  /**
   * Opens the object first (a missing object fails only this sub-operation), then sends the
   * C-STORE-RQ and the data set. An exception after the command is out leaves the association
   * unusable: the caller aborts it. {@code origin} carries the priority and, for a C-MOVE, its
   * originator ({@link DimseCommand.Retrieve#subOperation}).
   */
  static void send(Channel channel, int context, int messageId, StoredInstance i, ObjectStore store,
      DimseCommand.Retrieve origin) throws IOException, DicomNetworkException {
    String ts = channel.transferSyntax(context);
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
      channel.sendCommand(context, rq.encode());
      try (OutputStream out = channel.dataSet(context)) {
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
