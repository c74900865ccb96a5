package imago.node.dimse;

import java.net.ProtocolException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * What an acceptor answered to Imago's {@link AssociateRq}: the A-ASSOCIATE-AC (PS3.8 §9.3.3)
 * read as the transfer syntax of each accepted presentation context and the largest P-DATA-TF
 * the acceptor receives; or, for an A-ASSOCIATE-RJ (§9.3.4), why it refused.
 *
 * @param accepted transfer syntax by presentation context id, accepted contexts only (result 0)
 * @param maxPduLength the acceptor's Maximum Length Received (PS3.8 D.1); 0: no limit
 */
record AssociateAc(Map<Integer, String> accepted, long maxPduLength) {
  private static final int FIXED_FIELDS = 68;

  AssociateAc {
    accepted = Map.copyOf(accepted);
  }

  /** Reads the variable part of an A-ASSOCIATE-AC PDU ({@code body}: everything after the 6-byte header). */
  static AssociateAc parse(byte[] body) throws ProtocolException {
    if (body.length < FIXED_FIELDS) throw new ProtocolException("A-ASSOCIATE-AC of " + body.length + " bytes");
    ByteBuffer b = ByteBuffer.wrap(body);
    b.position(FIXED_FIELDS);
    Map<Integer, String> accepted = new HashMap<>();
    long maxLength = 0;
    try {
      while (b.hasRemaining()) {
        int type = b.get() & 0xFF;
        b.get();
        ByteBuffer value = slice(b, Short.toUnsignedInt(b.getShort()));
        if (type == 0x21) {
          int id = value.get() & 0xFF;
          value.get();
          int result = value.get() & 0xFF;
          value.get();
          if (result == 0) accepted.put(id, transferSyntax(value));
        } else if (type == 0x50) {
          maxLength = maxLengthReceived(value, maxLength);
        }
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new ProtocolException("malformed A-ASSOCIATE-AC: an item runs past its end");
    }
    return new AssociateAc(accepted, maxLength);
  }

  /** The one Transfer Syntax Sub-Item of an accepted presentation context (PS3.8 §9.3.3.2). */
  private static String transferSyntax(ByteBuffer context) throws ProtocolException {
    int type = context.get() & 0xFF;
    context.get();
    ByteBuffer uid = slice(context, Short.toUnsignedInt(context.getShort()));
    if (type != 0x40) throw new ProtocolException(String.format("accepted presentation context with sub-item 0x%02X", type));
    return StandardCharsets.US_ASCII.decode(uid).toString().replace("\0", "").trim();
  }

  /** The Maximum Length sub-item of the User Information item (PS3.8 D.1), else {@code otherwise}. */
  private static long maxLengthReceived(ByteBuffer user, long otherwise) {
    long found = otherwise;
    while (user.hasRemaining()) {
      int type = user.get() & 0xFF;
      user.get();
      ByteBuffer value = slice(user, Short.toUnsignedInt(user.getShort()));
      if (type == 0x51 && value.remaining() == 4) found = Integer.toUnsignedLong(value.getInt());
    }
    return found;
  }

  /** The next {@code length} bytes of {@code b} as a buffer of their own; {@code b} moves past them. */
  private static ByteBuffer slice(ByteBuffer b, int length) {
    if (length > b.remaining()) throw new BufferUnderflowException();
    ByteBuffer s = b.slice(b.position(), length);
    b.position(b.position() + length);
    return s;
  }

  /** Why an A-ASSOCIATE-RJ (PS3.8 Table 9-21) refused, in words; {@code body} as for {@link #parse}. */
  static String rejection(byte[] body) {
    if (body.length < 4) return "A-ASSOCIATE-RJ";
    int result = body[1] & 0xFF;
    int source = body[2] & 0xFF;
    int reason = body[3] & 0xFF;
    String why = switch (source * 10 + reason) {
      case 12 -> "application context name not supported";
      case 13 -> "calling AE title not recognized";
      case 17 -> "called AE title not recognized";
      case 22 -> "protocol version not supported";
      case 31 -> "temporary congestion";
      case 32 -> "local limit exceeded";
      default -> "source " + source + " reason " + reason;
    };
    return "A-ASSOCIATE-RJ (" + (result == 2 ? "transient" : "permanent") + "): " + why;
  }
}
