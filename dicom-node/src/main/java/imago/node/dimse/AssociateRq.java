package imago.node.dimse;

import imago.core.dicom.Uids;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The A-ASSOCIATE-RQ PDU Imago sends when it associates as an SCU (PS3.8 §9.3.2): the DICOM
 * application context, the presentation contexts it proposes, the maximum P-DATA-TF length it
 * receives, and its implementation class UID and version name.
 */
record AssociateRq(String calledAe, String callingAe, List<Context> contexts, int maxPduLength) {
  /** The DICOM Application Context Name (PS3.7 A.2.1). */
  static final String APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

  /** A proposed presentation context (PS3.8 §9.3.2.2): an odd id, one abstract syntax, its transfer syntaxes. */
  record Context(int id, String abstractSyntax, List<String> transferSyntaxes) {
    Context {
      if (id < 1 || id > 255 || id % 2 == 0) throw new IllegalArgumentException("presentation context id " + id);
      transferSyntaxes = List.copyOf(transferSyntaxes);
    }
  }

  AssociateRq {
    contexts = List.copyOf(contexts);
  }

  /** The whole PDU, header included. */
  byte[] encode() {
    ByteArrayOutputStream items = new ByteArrayOutputStream(256 + 96 * contexts.size());
    item(items, 0x10, ascii(APPLICATION_CONTEXT));
    for (Context c : contexts) {
      ByteArrayOutputStream pc = new ByteArrayOutputStream(96);
      pc.write(c.id());
      pc.write(new byte[3], 0, 3); // reserved
      item(pc, 0x30, ascii(c.abstractSyntax()));
      for (String ts : c.transferSyntaxes()) item(pc, 0x40, ascii(ts));
      item(items, 0x20, pc.toByteArray());
    }
    ByteArrayOutputStream user = new ByteArrayOutputStream(64);
    item(user, 0x51, ByteBuffer.allocate(4).putInt(maxPduLength).array()); // PS3.8 D.1
    item(user, 0x52, ascii(Uids.IMPLEMENTATION_CLASS_UID)); // PS3.7 D.3.3.2
    item(user, 0x55, ascii(Uids.IMPLEMENTATION_VERSION_NAME));
    item(items, 0x50, user.toByteArray());
    byte[] variable = items.toByteArray();
    ByteBuffer pdu = ByteBuffer.allocate(6 + 68 + variable.length);
    pdu.put((byte) PduChannel.A_ASSOCIATE_RQ).put((byte) 0).putInt(68 + variable.length);
    pdu.putShort((short) 1).putShort((short) 0); // protocol version 1, reserved
    pdu.put(aeTitle(calledAe)).put(aeTitle(callingAe)).put(new byte[32]).put(variable);
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

  /** An AE title field: 16 bytes, padded with spaces (PS3.8 Table 9-11). */
  private static byte[] aeTitle(String title) {
    String t = title.trim();
    if (t.isEmpty() || t.length() > 16) throw new IllegalArgumentException("AE title of 1-16 characters: '" + title + "'");
    return String.format("%-16s", t).getBytes(StandardCharsets.US_ASCII);
  }
}
