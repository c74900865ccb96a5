package imago.app;

import imago.core.dicom.Uids;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the element headers of a PS3.10 file are, for {@link DicomFileMutator}: a tolerant walk
 * that descends into sequences, items and encapsulated pixel data instead of skipping them, and
 * stops where the bytes stop making sense. Meta header in explicit VR little endian, the data set
 * in its transfer syntax (implicit or explicit, little or big endian; a deflated one is not walked).
 */
final class DicomElements {
  private static final int MAX_ELEMENTS = 5_000;
  private static final long UNDEFINED = 0xFFFFFFFFL;

  /** One element header: where it is, how it is written, how long it says its value is. */
  record Element(int offset, int tag, boolean explicit, boolean bigEndian, int lengthOffset, int lengthWidth, long length,
      int valueOffset, int end, boolean container) {
    int group() {
      return tag >>> 16;
    }

    byte[] tagBytes(int newTag) {
      return order(ByteBuffer.allocate(4)).putShort((short) (newTag >>> 16)).putShort((short) newTag).array();
    }

    byte[] lengthBytes(int width, long value) {
      ByteBuffer b = order(ByteBuffer.allocate(width));
      return width == 2 ? b.putShort((short) value).array() : b.putInt((int) value).array();
    }

    /** A header written the way this element's is: {@code vr} null for items and implicit VR. */
    byte[] header(int newTag, String vr, long length) {
      ByteBuffer b = order(ByteBuffer.allocate(12)).putShort((short) (newTag >>> 16)).putShort((short) newTag);
      if (explicit && vr != null) {
        b.put(DicomFileMutator.ascii(vr));
        if (DicomFileMutator.LONG_VRS.contains(vr)) b.putShort((short) 0).putInt((int) length);
        else b.putShort((short) length);
      } else {
        b.putInt((int) length);
      }
      byte[] out = new byte[b.position()];
      b.flip().get(out);
      return out;
    }

    private ByteBuffer order(ByteBuffer b) {
      return b.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }
  }

  private DicomElements() {}

  static List<Element> of(byte[] f) {
    List<Element> out = new ArrayList<>();
    if (f.length < 132 || !"DICM".equals(new String(f, 128, 4, StandardCharsets.ISO_8859_1))) return out;
    int dataSet = walk(f, 132, true, false, true, out);
    String ts = out.stream().filter(e -> e.tag() == 0x00020010 && !e.container())
        .map(e -> new String(f, e.valueOffset(), e.end() - e.valueOffset(), StandardCharsets.ISO_8859_1).replace("\0", "").trim())
        .findFirst().orElse(Uids.EXPLICIT_VR_LITTLE_ENDIAN);
    if (ts.equals(Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)) return out;
    walk(f, dataSet, !ts.equals(Uids.IMPLICIT_VR_LITTLE_ENDIAN), ts.equals(Uids.EXPLICIT_VR_BIG_ENDIAN), false, out);
    return out;
  }

  /** Walks elements from {@code pos}; returns where it stopped (the first non-meta element, with {@code meta}). */
  private static int walk(byte[] f, int pos, boolean explicit, boolean bigEndian, boolean meta, List<Element> out) {
    boolean encapsulated = false; // inside pixel data of undefined length: items are fragments, skipped whole
    while (pos + 8 <= f.length && out.size() < MAX_ELEMENTS) {
      int group = (int) readLength(f, pos, 2, bigEndian);
      int tag = (group << 16) | (int) readLength(f, pos + 2, 2, bigEndian);
      if (meta && group != 2) return pos;
      if (group == 0xFFFE) { // item, item delimiter, sequence delimiter: tag and a 4-byte length, in every syntax
        long length = readLength(f, pos + 4, 4, bigEndian);
        boolean fragment = encapsulated && tag == 0xFFFEE000 && length != UNDEFINED;
        int end = fragment ? (int) Math.min(f.length, pos + 8 + length) : pos + 8;
        out.add(new Element(pos, tag, false, bigEndian, pos + 4, 4, length, pos + 8, end, !fragment));
        if (tag == 0xFFFEE0DD) encapsulated = false;
        pos = end;
        continue;
      }
      String vr = explicit ? new String(f, pos + 4, 2, StandardCharsets.ISO_8859_1) : null;
      boolean wide = !explicit || DicomFileMutator.LONG_VRS.contains(vr);
      int header = explicit && wide ? 12 : 8;
      if (pos + header > f.length) break;
      int lengthOffset = explicit ? (wide ? pos + 8 : pos + 6) : pos + 4;
      long length = readLength(f, lengthOffset, wide ? 4 : 2, bigEndian);
      boolean container = (wide && length == UNDEFINED) || "SQ".equals(vr);
      int end = container ? pos + header : (int) Math.min(f.length, pos + header + length);
      out.add(new Element(pos, tag, explicit, bigEndian, lengthOffset, wide ? 4 : 2, length, pos + header, end, container));
      if (tag == 0x7FE00010 && length == UNDEFINED) encapsulated = true;
      pos = end;
    }
    return pos;
  }

  static long readLength(byte[] f, int offset, int width, boolean bigEndian) {
    ByteBuffer b = ByteBuffer.wrap(f, offset, width).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    return width == 2 ? Short.toUnsignedInt(b.getShort()) : Integer.toUnsignedLong(b.getInt());
  }

  /** {@code f} with bytes {@code [from, to)} replaced by {@code with}. */
  static byte[] replace(byte[] f, int from, int to, byte[] with) {
    byte[] out = new byte[f.length - (to - from) + with.length];
    System.arraycopy(f, 0, out, 0, from);
    System.arraycopy(with, 0, out, from, with.length);
    System.arraycopy(f, to, out, from + with.length, f.length - to);
    return out;
  }
}
