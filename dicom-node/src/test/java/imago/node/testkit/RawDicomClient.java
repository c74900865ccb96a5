package imago.node.testkit;

import imago.core.dicom.MalformedDicomException;
import imago.node.dimse.DimseCommand;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately naive DICOM upper-layer client for tests: it encodes PDUs by hand so tests can
 * send what no well-behaved SCU would (truncated data sets, lying PDU lengths, garbage) and then
 * check the SCP's answer and that the association survives.
 */
public final class RawDicomClient implements AutoCloseable {
  /** A presentation context to propose. */
  public record Context(int id, String abstractSyntax, String transferSyntax) {}

  /** The SCP answered A-ASSOCIATE-RJ. */
  public static final class Rejected extends IOException {
    public final int result;
    public final int source;
    public final int reason;

    Rejected(int result, int source, int reason) {
      super("A-ASSOCIATE-RJ result=" + result + " source=" + source + " reason=" + reason);
      this.result = result;
      this.source = source;
      this.reason = reason;
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Map<Integer, Integer> results = new HashMap<>();
  private int maxPdu = 16384;
  private int messageId = 1;

  private RawDicomClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(30_000);
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  public static RawDicomClient associate(String host, int port, String calling, String called, List<Context> contexts)
      throws IOException {
    RawDicomClient c = new RawDicomClient(new Socket(host, port));
    c.out.write(associateRequest(calling, called, contexts));
    c.out.flush();
    int type = c.in.readUnsignedByte();
    c.in.readUnsignedByte();
    int length = c.in.readInt();
    byte[] body = new byte[length];
    c.in.readFully(body);
    if (type == 0x03) {
      c.close();
      throw new Rejected(body[1] & 0xFF, body[2] & 0xFF, body[3] & 0xFF);
    }
    if (type != 0x02) throw new IOException("expected A-ASSOCIATE-AC, got PDU type " + type);
    c.parseAccept(body);
    return c;
  }

  public boolean accepted(int contextId) {
    return Integer.valueOf(0).equals(results.get(contextId));
  }

  /** Sends a C-STORE-RQ with {@code dataset} (already in the context's transfer syntax), returns the response. */
  public DimseCommand store(int contextId, String sopClass, String sopInstance, byte[] dataset) throws IOException {
    DimseCommand rq = new DimseCommand(DimseCommand.C_STORE_RQ, messageId++, -1, sopClass, sopInstance, true, 0, null);
    sendPdv(contextId, true, rq.encode());
    sendPdv(contextId, false, dataset);
    return readResponse();
  }

  public DimseCommand echo(int contextId) throws IOException {
    DimseCommand rq = new DimseCommand(DimseCommand.C_ECHO_RQ, messageId++, -1, "1.2.840.10008.1.1", null, false, 0, null);
    sendPdv(contextId, true, rq.encode());
    return readResponse();
  }

  /** Sends {@code command} without a data set (any command, even one the SCP does not know); {@link #response} reads the answer. */
  public void send(int contextId, DimseCommand command) throws IOException {
    sendPdv(contextId, true, command.encode());
  }

  /** Sends {@code command} and the data set that follows it (a C-FIND, C-MOVE or C-GET identifier, already encoded). */
  public void send(int contextId, DimseCommand command, byte[] dataSet) throws IOException {
    sendPdv(contextId, true, command.withDataSet(true).encode());
    sendPdv(contextId, false, dataSet);
  }

  /** The next response command the SCP sends (a data set, if one follows, is not read). */
  public DimseCommand response() throws IOException {
    return readResponse();
  }

  /** Sends {@code bytes} as PDVs of at most the peer's maximum length, the last one flagged last. */
  private void sendPdv(int contextId, boolean command, byte[] bytes) throws IOException {
    int chunk = Math.max(1, maxPdu - 6);
    int off = 0;
    do {
      int n = Math.min(chunk, bytes.length - off);
      boolean last = off + n == bytes.length;
      ByteBuffer pdu = ByteBuffer.allocate(6 + 6 + n);
      pdu.put((byte) 0x04).put((byte) 0).putInt(6 + n);
      pdu.putInt(2 + n).put((byte) contextId).put((byte) ((command ? 1 : 0) | (last ? 2 : 0))).put(bytes, off, n);
      out.write(pdu.array());
      off += n;
    } while (off < bytes.length);
    out.flush();
  }

  private DimseCommand readResponse() throws IOException {
    ByteArrayOutputStream command = new ByteArrayOutputStream();
    while (true) {
      int type = in.readUnsignedByte();
      in.readUnsignedByte();
      int length = in.readInt();
      byte[] body = new byte[length];
      in.readFully(body);
      if (type != 0x04) throw new IOException("expected P-DATA-TF, got PDU type " + type);
      ByteBuffer b = ByteBuffer.wrap(body);
      boolean last = false;
      while (b.remaining() > 0) {
        int pdvLength = b.getInt();
        b.get();
        int control = b.get() & 0xFF;
        byte[] value = new byte[pdvLength - 2];
        b.get(value);
        if ((control & 1) == 0) continue; // a data set fragment, not part of the command
        command.write(value);
        last = (control & 2) != 0;
      }
      if (last) break;
    }
    try {
      return DimseCommand.parse(command.toByteArray());
    } catch (MalformedDicomException e) {
      throw new IOException(e);
    }
  }

  /** Writes raw bytes (a hand-made, possibly lying PDU). */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The type of the next PDU the SCP sends (its body is drained), or -1 when it closes. */
  public int readPduType() throws IOException {
    int type = in.read();
    if (type < 0) return -1;
    in.readUnsignedByte();
    int length = in.readInt();
    in.readFully(new byte[length]);
    return type;
  }

  /** A-RELEASE-RQ, then waits for A-RELEASE-RP; returns its PDU type. */
  public int release() throws IOException {
    sendRaw(new byte[] {0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0});
    return readPduType();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private void parseAccept(byte[] body) {
    ByteBuffer b = ByteBuffer.wrap(body);
    b.position(68);
    while (b.remaining() >= 4) {
      int type = b.get() & 0xFF;
      b.get();
      int length = Short.toUnsignedInt(b.getShort());
      int end = b.position() + length;
      if (type == 0x21) {
        int id = b.get() & 0xFF;
        b.get();
        int result = b.get() & 0xFF;
        results.put(id, result);
      } else if (type == 0x50) {
        while (b.position() < end) {
          int sub = b.get() & 0xFF;
          b.get();
          int subLength = Short.toUnsignedInt(b.getShort());
          if (sub == 0x51) maxPdu = b.getInt(b.position());
          b.position(b.position() + subLength);
        }
      }
      b.position(end);
    }
  }

  static byte[] associateRequest(String calling, String called, List<Context> contexts) {
    ByteArrayOutputStream items = new ByteArrayOutputStream();
    item(items, 0x10, ascii("1.2.840.10008.3.1.1.1"));
    for (Context c : contexts) {
      ByteArrayOutputStream pc = new ByteArrayOutputStream();
      pc.write(c.id());
      pc.write(0);
      pc.write(0);
      pc.write(0);
      item(pc, 0x30, ascii(c.abstractSyntax()));
      item(pc, 0x40, ascii(c.transferSyntax()));
      item(items, 0x20, pc.toByteArray());
    }
    ByteArrayOutputStream user = new ByteArrayOutputStream();
    item(user, 0x51, ByteBuffer.allocate(4).putInt(16384).array());
    item(user, 0x52, ascii("1.2.3.4.5.6.7"));
    item(items, 0x50, user.toByteArray());
    byte[] variable = items.toByteArray();
    ByteBuffer pdu = ByteBuffer.allocate(6 + 68 + variable.length);
    pdu.put((byte) 0x01).put((byte) 0).putInt(68 + variable.length);
    pdu.putShort((short) 1).putShort((short) 0).put(ae(called)).put(ae(calling)).put(new byte[32]).put(variable);
    return pdu.array();
  }

  private static void item(ByteArrayOutputStream out, int type, byte[] value) {
    out.write(type);
    out.write(0);
    out.write(value.length >> 8);
    out.write(value.length);
    out.write(value, 0, value.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] ae(String title) {
    return String.format("%-16s", title).getBytes(StandardCharsets.US_ASCII);
  }
}
