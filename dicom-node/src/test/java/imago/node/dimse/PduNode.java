package imago.node.dimse;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A PDU as a tree the fuzzer changes before writing it (PS3.8 §9.3): the PDU, its items (2-byte
 * lengths), its PDVs (4-byte lengths), and the elements a PDV carries (a command set in implicit
 * VR, a data set in explicit VR little endian). Every length is computed when encoded, unless a
 * mutation made it lie ({@link #lengthOverride}); an item longer than 65535 bytes lies by itself.
 */
final class PduNode {
  enum Kind {
    /** type, reserved, 4-byte length (big endian). */
    PDU,
    /** type, reserved, 2-byte length (big endian). */
    ITEM,
    /** 4-byte length (big endian); its prefix holds the context id and the message control header. */
    PDV,
    /** tag and 4-byte length, little endian (a command element, PS3.7 §E). */
    IMPLICIT_ELEMENT,
    /** tag, VR and a 2- or 4-byte length, little endian (PS3.5 §7.1.2). */
    EXPLICIT_ELEMENT,
    /** bytes as they are, no header: what could not be parsed into elements. */
    RAW
  }

  /** VRs whose explicit length takes 4 bytes after two reserved ones (PS3.5 Table 7.1-1). */
  private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
      "UT", "UV");

  final Kind kind;
  /** PDU or item type; an element's tag as (group << 16 | element). */
  int type;
  /** An explicit element's VR. */
  String vr;
  /** Fixed bytes after the header and before the value or children (A-ASSOCIATE-RQ's 68, a PDV's 2). */
  byte[] prefix;
  /** A leaf's value; null where the node has children. */
  byte[] value;
  final List<PduNode> children;
  /** The length the header states instead of the true one, or null. */
  Long lengthOverride;

  private PduNode(Kind kind, int type, String vr, byte[] prefix, byte[] value, List<PduNode> children) {
    this.kind = kind;
    this.type = type;
    this.vr = vr;
    this.prefix = prefix;
    this.value = value;
    this.children = children;
  }

  static PduNode parent(Kind kind, int type, byte[] prefix, List<PduNode> children) {
    return new PduNode(kind, type, null, prefix, null, new ArrayList<>(children));
  }

  static PduNode leaf(Kind kind, int type, byte[] prefix, byte[] value) {
    return new PduNode(kind, type, null, prefix, value, new ArrayList<>());
  }

  static PduNode explicit(int tag, String vr, byte[] value) {
    return new PduNode(Kind.EXPLICIT_ELEMENT, tag, vr, new byte[0], value, new ArrayList<>());
  }

  boolean isLeaf() {
    return value != null;
  }

  PduNode copy() {
    List<PduNode> kids = new ArrayList<>(children.size());
    for (PduNode c : children) kids.add(c.copy());
    PduNode n = new PduNode(kind, type, vr, prefix.clone(), value == null ? null : value.clone(), kids);
    n.lengthOverride = lengthOverride;
    return n;
  }

  /** This node and every node below it, parents first. */
  List<PduNode> all() {
    List<PduNode> out = new ArrayList<>();
    collect(out);
    return out;
  }

  private void collect(List<PduNode> out) {
    out.add(this);
    for (PduNode c : children) c.collect(out);
  }

  byte[] encode() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(prefix);
    if (value != null) {
      body.writeBytes(value);
    } else {
      for (PduNode c : children) body.writeBytes(c.encode());
    }
    long length = lengthOverride != null ? lengthOverride : body.size();
    ByteBuffer header = ByteBuffer.allocate(12);
    switch (kind) {
      case PDU -> header.put((byte) type).put((byte) 0).putInt((int) length);
      case ITEM -> header.put((byte) type).put((byte) 0).putShort((short) length);
      case PDV -> header.putInt((int) length);
      case IMPLICIT_ELEMENT -> header.order(ByteOrder.LITTLE_ENDIAN).putShort((short) (type >>> 16)).putShort((short) type)
          .putInt((int) length);
      case EXPLICIT_ELEMENT -> {
        header.order(ByteOrder.LITTLE_ENDIAN).putShort((short) (type >>> 16)).putShort((short) type);
        header.put(vrBytes());
        if (LONG_VRS.contains(vr)) {
          header.putShort((short) 0).putInt((int) length);
        } else {
          header.putShort((short) length);
        }
      }
      case RAW -> { }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(header.position() + body.size());
    out.write(header.array(), 0, header.position());
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private byte[] vrBytes() {
    byte[] b = vr.getBytes(StandardCharsets.ISO_8859_1);
    return new byte[] {b.length > 0 ? b[0] : 0, b.length > 1 ? b[1] : 0};
  }

  /** A command set (implicit VR little endian) as its elements; unparseable bytes end as one RAW node. */
  static List<PduNode> implicitElements(byte[] bytes) {
    List<PduNode> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (b.remaining() >= 8) {
      int tag = (Short.toUnsignedInt(b.getShort()) << 16) | Short.toUnsignedInt(b.getShort());
      long length = Integer.toUnsignedLong(b.getInt());
      if (length > b.remaining()) {
        b.position(b.position() - 8);
        break;
      }
      byte[] v = new byte[(int) length];
      b.get(v);
      out.add(leaf(Kind.IMPLICIT_ELEMENT, tag, new byte[0], v));
    }
    if (b.hasRemaining()) out.add(leaf(Kind.RAW, 0, new byte[0], rest(b)));
    return out;
  }

  /**
   * A data set in explicit VR little endian as its top-level elements; from the first element
   * this cannot split (undefined length, a sequence) on, the bytes stay one RAW node.
   */
  static List<PduNode> explicitElements(byte[] bytes) {
    List<PduNode> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (b.remaining() >= 8) {
      int start = b.position();
      int tag = (Short.toUnsignedInt(b.getShort()) << 16) | Short.toUnsignedInt(b.getShort());
      String vr = new String(new byte[] {b.get(), b.get()}, StandardCharsets.ISO_8859_1);
      long length;
      if (LONG_VRS.contains(vr)) {
        if (b.remaining() < 6) {
          b.position(start);
          break;
        }
        b.getShort();
        length = Integer.toUnsignedLong(b.getInt());
      } else {
        length = Short.toUnsignedInt(b.getShort());
      }
      if (length > b.remaining() || "SQ".equals(vr)) {
        b.position(start);
        break;
      }
      byte[] v = new byte[(int) length];
      b.get(v);
      out.add(explicit(tag, vr, v));
    }
    if (b.hasRemaining()) out.add(leaf(Kind.RAW, 0, new byte[0], rest(b)));
    return out;
  }

  private static byte[] rest(ByteBuffer b) {
    byte[] r = new byte[b.remaining()];
    b.get(r);
    return r;
  }
}
