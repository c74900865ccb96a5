package imago.core.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A 4x4 CT-like PS3.10 file that PixelMed does not write: before its Image Pixel attributes and
 * Pixel Data it carries a private element of VR UN and undefined length, whose value is a sequence
 * (PS3.5 §6.2.2) holding an undefined-length item with a nested sequence, then a defined-length
 * item. Shared with the modules whose readers must read past it.
 */
public final class UndefinedLengthUn {
  public static final int ROWS = 4;
  public static final int COLUMNS = 4;
  public static final String SOP_INSTANCE_UID = "2.25.42";

  private final ByteBuffer b = ByteBuffer.allocate(1024);
  private final ByteOrder order;

  private UndefinedLengthUn(ByteOrder order) {
    this.order = order;
    b.order(order);
  }

  /**
   * The file in {@code transferSyntaxUid} (explicit VR, little or big endian), with the UN value's
   * items encoded in {@code unOrder}: little endian is right (PS3.5 §6.2.2); big endian in a big
   * endian file is the misreading a reader must not accept.
   */
  public static byte[] file(String transferSyntaxUid, ByteOrder unOrder) {
    UndefinedLengthUn d = new UndefinedLengthUn(
        Uids.EXPLICIT_VR_BIG_ENDIAN.equals(transferSyntaxUid) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    d.explicit(0x0008, 0x0016, "UI", uid("1.2.840.10008.5.1.4.1.1.2"));
    d.explicit(0x0008, 0x0018, "UI", uid(SOP_INSTANCE_UID));
    d.explicit(0x0009, 0x0010, "LO", ascii("IMAGO TEST"));
    d.undefinedLengthUn(unOrder);
    d.explicit(0x0028, 0x0002, "US", d.us(1));
    d.explicit(0x0028, 0x0004, "CS", ascii("MONOCHROME2 "));
    d.explicit(0x0028, 0x0010, "US", d.us(ROWS));
    d.explicit(0x0028, 0x0011, "US", d.us(COLUMNS));
    d.explicit(0x0028, 0x0100, "US", d.us(16));
    d.explicit(0x0028, 0x0101, "US", d.us(16));
    d.explicit(0x0028, 0x0103, "US", d.us(0));
    d.explicit(0x7FE0, 0x0010, "OW", new byte[ROWS * COLUMNS * 2]);
    byte[] meta = Part10.fileMetaInformation("1.2.840.10008.5.1.4.1.1.2", SOP_INSTANCE_UID, transferSyntaxUid, "TEST");
    byte[] file = Arrays.copyOf(meta, meta.length + d.b.position());
    System.arraycopy(d.b.array(), 0, file, meta.length, d.b.position());
    return file;
  }

  /** (0009,1010) UN of undefined length: its items are implicit VR, in {@code unOrder}. */
  private void undefinedLengthUn(ByteOrder unOrder) {
    header(0x0009, 0x1010, "UN", -1);
    b.order(unOrder);
    tagAndLength(0xFFFE, 0xE000, -1);                    // item, undefined length
    implicit(0x0009, 0x1011, new byte[] {1, 2, 3, 4});
    tagAndLength(0x0008, 0x1140, -1);                    // Referenced Image Sequence, undefined length
    tagAndLength(0xFFFE, 0xE000, 12);                    // item, 12 bytes
    implicit(0x0008, 0x1150, uid("1.2"));
    tagAndLength(0xFFFE, 0xE0DD, 0);                     // sequence delimiter
    tagAndLength(0xFFFE, 0xE00D, 0);                     // item delimiter
    tagAndLength(0xFFFE, 0xE000, 10);                    // item, 10 bytes
    implicit(0x0009, 0x1012, new byte[] {5, 6});
    tagAndLength(0xFFFE, 0xE0DD, 0);                     // sequence delimiter
    b.order(order);
  }

  private void explicit(int group, int element, String vr, byte[] value) {
    header(group, element, vr, value.length);
    b.put(value);
  }

  private void header(int group, int element, String vr, int length) {
    b.putShort((short) group).putShort((short) element).put(ascii(vr));
    if (ElementReader.isLongVr(vr)) {
      b.putShort((short) 0).putInt(length);
    } else {
      b.putShort((short) length);
    }
  }

  private void implicit(int group, int element, byte[] value) {
    tagAndLength(group, element, value.length);
    b.put(value);
  }

  private void tagAndLength(int group, int element, int length) {
    b.putShort((short) group).putShort((short) element).putInt(length);
  }

  private byte[] us(int value) {
    return ByteBuffer.allocate(2).order(order).putShort((short) value).array();
  }

  private static byte[] uid(String uid) {
    return Arrays.copyOf(ascii(uid), uid.length() + uid.length() % 2);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
