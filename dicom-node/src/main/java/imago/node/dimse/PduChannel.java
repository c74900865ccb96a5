package imago.node.dimse;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * The upper layer (PS3.8 §9.3) of an association Imago initiates, over any connected socket,
 * plain or TLS: PDUs out, PDUs in. A PDU's declared length is checked before its body is read,
 * so a peer cannot make Imago allocate what it likes; P-DATA-TF PDUs Imago sends stay within the
 * acceptor's Maximum Length Received.
 */
final class PduChannel implements AutoCloseable {
  /** PDU types (PS3.8 Table 9-1). */
  static final int A_ASSOCIATE_RQ = 0x01;
  static final int A_ASSOCIATE_AC = 0x02;
  static final int A_ASSOCIATE_RJ = 0x03;
  static final int P_DATA_TF = 0x04;
  static final int A_RELEASE_RQ = 0x05;
  static final int A_RELEASE_RP = 0x06;
  static final int A_ABORT = 0x07;
  /** Largest A-ASSOCIATE-AC read (hundreds of presentation contexts fit in far less). */
  private static final int MAX_ASSOCIATE_AC = 1 << 20;
  /** Largest P-DATA-TF Imago sends, also when the acceptor sets no limit (Maximum Length Received 0). */
  static final int MAX_SEND = 1 << 18;
  /** A PDV item's header: its length (4 bytes), presentation context id and message control header (PS3.8 §9.3.5.1). */
  private static final int PDV_HEADER = 6;

  /** One PDU read: its type and its body, the bytes after the 6-byte PDU header. */
  record Pdu(int type, byte[] body) {}

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final long maxReceived;

  /** {@code maxReceived}: the Maximum Length Received Imago proposed, the most a P-DATA-TF may declare. */
  PduChannel(Socket socket, long maxReceived) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 65536));
    // one TLS record per buffer rather than per small write
    this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    this.maxReceived = maxReceived;
  }

  /** Sends a whole PDU, header included. */
  void send(byte[] pdu) throws IOException {
    out.write(pdu);
    out.flush();
  }

  /** A-RELEASE-RQ (PS3.8 §9.3.6). */
  void sendReleaseRequest() throws IOException {
    send(new byte[] {A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0});
  }

  /** A-ABORT from the service user (PS3.8 §9.3.8), if the connection still takes it. */
  void abortQuietly() {
    try {
      send(new byte[] {A_ABORT, 0, 0, 0, 0, 4, 0, 0, 0, 0});
    } catch (IOException ignored) {
      // the peer is gone already
    }
  }

  /** The next PDU; one whose type does not belong on an association Imago initiated, or whose length lies, is refused. */
  Pdu read() throws IOException {
    int type = in.readUnsignedByte();
    in.readUnsignedByte();
    long length = Integer.toUnsignedLong(in.readInt());
    long limit = switch (type) {
      case P_DATA_TF -> maxReceived;
      case A_ASSOCIATE_AC, A_ASSOCIATE_RJ -> MAX_ASSOCIATE_AC;
      case A_RELEASE_RQ, A_RELEASE_RP, A_ABORT -> 4;
      default -> throw new ProtocolException(String.format("unexpected PDU type 0x%02X", type));
    };
    if (length > limit) throw new ProtocolException(String.format("PDU type 0x%02X declares %d bytes, more than %d", type, length, limit));
    byte[] body = new byte[(int) length];
    in.readFully(body);
    return new Pdu(type, body);
  }

  /**
   * A stream of the PDVs of one message part (command or data set) on {@code context}: each
   * P-DATA-TF carries one PDV, at most {@code maxPduLength} long (the acceptor's limit, see
   * {@link #sendLimit}); closing it sends the last fragment and flushes.
   */
  OutputStream pdvs(int context, boolean command, int maxPduLength) {
    return new PdvOutputStream(context, command, maxPduLength - PDV_HEADER);
  }

  /** The P-DATA-TF length Imago sends for an acceptor's Maximum Length Received (0: no limit). */
  static int sendLimit(long acceptorMax) throws ProtocolException {
    if (acceptorMax == 0 || acceptorMax > MAX_SEND) return MAX_SEND;
    if (acceptorMax <= PDV_HEADER) throw new ProtocolException("the acceptor's maximum PDU length " + acceptorMax + " holds no data");
    return (int) acceptorMax;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /**
   * Buffers a fragment and sends it once more bytes arrive or the stream closes, so the last
   * fragment (the one flagged last, PS3.8 E.2) is never empty.
   */
  private final class PdvOutputStream extends OutputStream {
    private final int context;
    private final int control;
    private final byte[] fragment;
    private int fill;
    private boolean closed;

    PdvOutputStream(int context, boolean command, int fragmentLength) {
      this.context = context;
      this.control = command ? 1 : 0;
      this.fragment = new byte[fragmentLength];
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) throw new IOException("the message part is complete");
      while (len > 0) {
        if (fill == fragment.length) emit(false);
        int n = Math.min(len, fragment.length - fill);
        System.arraycopy(b, off, fragment, fill, n);
        fill += n;
        off += n;
        len -= n;
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) return;
      closed = true;
      emit(true);
      out.flush();
    }

    private void emit(boolean last) throws IOException {
      ByteBuffer header = ByteBuffer.allocate(6 + PDV_HEADER);
      header.put((byte) P_DATA_TF).put((byte) 0).putInt(PDV_HEADER + fill);
      header.putInt(2 + fill).put((byte) context).put((byte) (control | (last ? 2 : 0)));
      out.write(header.array());
      out.write(fragment, 0, fill);
      fill = 0;
    }
  }
}
