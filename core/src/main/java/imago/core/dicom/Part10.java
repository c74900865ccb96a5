package imago.core.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * PS3.10 files: the 128-byte preamble, "DICM", and the File Meta Information (group 0002), read
 * from received files and written before the data sets Imago makes.
 */
public final class Part10 {
  private static final int PREAMBLE = 128;

  /** What the File Meta Information says, and where the data set starts. */
  public record Header(int datasetOffset, String transferSyntaxUid, String sopClassUid, String sopInstanceUid) {}

  private Part10() {}

  public static boolean looksLikePart10(ByteBuffer file) {
    return file.remaining() >= PREAMBLE + 4
        && file.get(file.position() + PREAMBLE) == 'D' && file.get(file.position() + PREAMBLE + 1) == 'I'
        && file.get(file.position() + PREAMBLE + 2) == 'C' && file.get(file.position() + PREAMBLE + 3) == 'M';
  }

  /** Reads the File Meta Information (explicit VR little endian, PS3.10 §7.1). */
  public static Header parse(ByteBuffer file) throws MalformedDicomException {
    if (!looksLikePart10(file)) {
      throw new MalformedDicomException("not a DICOM PS3.10 file: no 128-byte preamble followed by 'DICM'");
    }
    ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int base = b.position();
    ElementReader meta = ElementReader.fileMetaInformation(b);
    int pos = PREAMBLE + 4;
    int end = b.limit() - base;
    long groupEnd = -1;
    String ts = null;
    String sopClass = null;
    String sopInstance = null;
    while (pos + 8 <= end && (groupEnd < 0 || pos < groupEnd)) {
      ElementHeader h = metaElement(meta, pos);
      if (h == null) break;
      int element = h.tag() & 0xFFFF;
      if (h.length() > end - h.valuePosition()) {
        throw new MalformedDicomException(String.format("File Meta Information truncated in (0002,%04X)", element));
      }
      int value = base + (int) h.valuePosition();
      int length = (int) h.length();
      switch (element) {
        case 0x0000 -> {
          if (length != 4) throw new MalformedDicomException("File Meta Information Group Length (0002,0000) is not 4 bytes");
          groupEnd = h.valuePosition() + 4 + Integer.toUnsignedLong(b.getInt(value));
        }
        case 0x0002 -> sopClass = text(b, value, length);
        case 0x0003 -> sopInstance = text(b, value, length);
        case 0x0010 -> ts = text(b, value, length);
        default -> { }
      }
      pos = (int) h.valuePosition() + length;
    }
    if (ts == null || ts.isEmpty()) {
      throw new MalformedDicomException("File Meta Information has no Transfer Syntax UID (0002,0010)");
    }
    return new Header(pos, ts, sopClass, sopInstance);
  }

  /** The header of the group 0002 element at {@code pos}; null where the group ends. */
  private static ElementHeader metaElement(ElementReader meta, int pos) throws MalformedDicomException {
    try {
      return (meta.tag(pos) >>> 16) == 0x0002 ? meta.header(pos) : null;
    } catch (MalformedDicomException e) {
      throw new MalformedDicomException("File Meta Information: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("reading a buffer", e); // only a streamed reader reads I/O
    }
  }

  static String text(ByteBuffer b, int offset, int length) {
    byte[] bytes = new byte[length];
    b.get(offset, bytes);
    int n = length;
    while (n > 0 && (bytes[n - 1] == 0 || bytes[n - 1] == ' ')) n--;
    int s = 0;
    while (s < n && bytes[s] == ' ') s++;
    return new String(bytes, s, n - s, StandardCharsets.ISO_8859_1);
  }

  /**
   * A whole PS3.10 file made here: Imago's File Meta Information for the data set's SOP Class and
   * Instance UIDs, then {@code dataset} (which holds no group 0002) in explicit VR little endian.
   */
  public static void write(AttributeList dataset, OutputStream out, String sourceAeTitle) throws IOException {
    out.write(fileMetaInformation(Datasets.text(dataset, TagFromName.SOPClassUID),
        Datasets.text(dataset, TagFromName.SOPInstanceUID), Uids.EXPLICIT_VR_LITTLE_ENDIAN, sourceAeTitle));
    try {
      dataset.write(out, Uids.EXPLICIT_VR_LITTLE_ENDIAN, false, true);
    } catch (DicomException e) {
      throw new IllegalArgumentException("cannot encode the data set: " + e.getMessage(), e);
    }
  }

  /** {@link #write} into bytes. */
  public static byte[] encode(AttributeList dataset, String sourceAeTitle) {
    Attribute pixels = dataset.get(TagFromName.PixelData);
    long pixelBytes = pixels == null ? 0 : pixels.getVL();
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024 + (pixelBytes > 0 && pixelBytes < (1 << 30) ? (int) pixelBytes : 0));
    try {
      write(dataset, out, sourceAeTitle);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** PS3.10 §7.1 File Meta Information, Imago as its implementation, for a data set of that SOP instance and transfer syntax. */
  public static byte[] fileMetaInformation(String sopClassUid, String sopInstanceUid, String transferSyntaxUid, String sourceAeTitle) {
    ByteArrayOutputStream elements = new ByteArrayOutputStream(256);
    element(elements, 0x0001, "OB", new byte[] {0, 1});
    element(elements, 0x0002, "UI", padded(sopClassUid, (byte) 0));
    element(elements, 0x0003, "UI", padded(sopInstanceUid, (byte) 0));
    element(elements, 0x0010, "UI", padded(transferSyntaxUid, (byte) 0));
    element(elements, 0x0012, "UI", padded(Uids.IMPLEMENTATION_CLASS_UID, (byte) 0));
    element(elements, 0x0013, "SH", padded(Uids.IMPLEMENTATION_VERSION_NAME, (byte) ' '));
    if (sourceAeTitle != null && !sourceAeTitle.isBlank()) {
      element(elements, 0x0016, "AE", padded(sourceAeTitle.trim(), (byte) ' '));
    }
    byte[] body = elements.toByteArray();
    ByteBuffer out = ByteBuffer.allocate(PREAMBLE + 4 + 12 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    out.position(PREAMBLE);
    out.put((byte) 'D').put((byte) 'I').put((byte) 'C').put((byte) 'M');
    out.putShort((short) 2).putShort((short) 0).put((byte) 'U').put((byte) 'L').putShort((short) 4).putInt(body.length);
    out.put(body);
    return out.array();
  }

  private static byte[] padded(String value, byte pad) {
    byte[] raw = value.getBytes(StandardCharsets.US_ASCII);
    if (raw.length % 2 == 0) return raw;
    byte[] p = new byte[raw.length + 1];
    System.arraycopy(raw, 0, p, 0, raw.length);
    p[raw.length] = pad;
    return p;
  }

  private static void element(ByteArrayOutputStream out, int element, String vr, byte[] value) {
    ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    h.putShort((short) 2).putShort((short) element).put((byte) vr.charAt(0)).put((byte) vr.charAt(1));
    if (ElementReader.isLongVr(vr)) {
      h.putShort((short) 0).putInt(value.length);
    } else {
      h.putShort((short) value.length);
    }
    out.write(h.array(), 0, h.position());
    out.write(value, 0, value.length);
  }
}
