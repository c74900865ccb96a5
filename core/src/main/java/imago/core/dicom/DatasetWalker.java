package imago.core.dicom;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.ValueRepresentation;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Checks that a data set is structurally whole: every element header is complete, every value
 * length fits inside its container, every undefined-length sequence and item is delimited, and
 * the data set ends exactly where the bytes end. PixelMed reads truncated files without
 * complaint, so this is what stands between a broken transfer and the archive. It reads no
 * values, so it costs one pass over the element headers.
 */
public final class DatasetWalker {
  private static final int ITEM = 0xFFFEE000;
  private static final int ITEM_DELIMITER = 0xFFFEE00D;
  private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final long UNDEFINED = 0xFFFFFFFFL;
  private static final int MAX_DEPTH = 32;
  private static final long MAX_INFLATED = 1L << 30;

  private static final Set<String> VRS = Set.of("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS",
      "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI",
      "UL", "UN", "UR", "US", "UT", "UV");
  private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
      "UR", "UT", "UV");

  private final ByteBuffer b;
  private final boolean explicit;

  private DatasetWalker(ByteBuffer b, boolean explicit) {
    this.b = b;
    this.explicit = explicit;
  }

  public static boolean isVr(String vr) {
    return VRS.contains(vr);
  }

  public static boolean isLongVr(String vr) {
    return LONG_VRS.contains(vr);
  }

  /** Validates {@code dataset} (position to limit) encoded in {@code transferSyntaxUid}. */
  public static void validate(ByteBuffer dataset, String transferSyntaxUid) throws MalformedDicomException {
    ByteBuffer view = dataset.slice();
    boolean explicit = !Uids.IMPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid);
    view.order(Uids.EXPLICIT_VR_BIG_ENDIAN.equals(transferSyntaxUid) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    if (Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid)) {
      view = inflate(view).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (view.remaining() == 0) throw new MalformedDicomException("empty data set");
    new DatasetWalker(view, explicit).dataset(0, view.limit(), false, 0);
  }

  /** Walks elements in [pos, end); for an undefined-length item, up to its delimiter. */
  private int dataset(int pos, int end, boolean undefinedItem, int depth) throws MalformedDicomException {
    if (depth > MAX_DEPTH) throw problem(pos, "sequences nested deeper than " + MAX_DEPTH);
    while (pos < end) {
      need(pos, 8, end, "element header");
      int tag = tag(pos);
      if (tag == ITEM_DELIMITER) {
        if (!undefinedItem) throw problem(pos, "item delimiter outside an undefined-length item");
        return pos + 8;
      }
      if ((tag >>> 16) == 0xFFFE) throw problem(pos, String.format("unexpected %s in a data set", tagName(tag)));
      String vr = null;
      long length;
      if (explicit) {
        vr = new String(new byte[] {b.get(pos + 4), b.get(pos + 5)}, java.nio.charset.StandardCharsets.US_ASCII);
        if (!VRS.contains(vr)) throw problem(pos, String.format("invalid VR '%s' in %s", printable(vr), tagName(tag)));
        if (LONG_VRS.contains(vr)) {
          need(pos, 12, end, "element header");
          length = Integer.toUnsignedLong(b.getInt(pos + 8));
          pos += 12;
        } else {
          length = Short.toUnsignedInt(b.getShort(pos + 6));
          pos += 8;
        }
      } else {
        length = Integer.toUnsignedLong(b.getInt(pos + 4));
        pos += 8;
      }
      if (length == UNDEFINED) {
        if (tag == PIXEL_DATA) {
          pos = fragments(pos, end);
        } else if ("UN".equals(vr)) {
          // PS3.5 §6.2.2: an undefined-length UN value is a sequence in implicit VR little endian
          // (little endian even inside an explicit VR big endian data set)
          pos = new DatasetWalker(b.duplicate().order(ByteOrder.LITTLE_ENDIAN), false).sequence(pos, end, -1, depth + 1);
        } else if (!explicit || "SQ".equals(vr)) {
          pos = sequence(pos, end, -1, depth + 1);
        } else {
          throw problem(pos, String.format("undefined length on %s with VR %s", tagName(tag), vr));
        }
      } else {
        if (length > end - pos) {
          throw problem(pos, String.format("%s declares %d bytes but only %d remain (truncated?)", tagName(tag), length, end - pos));
        }
        int valueEnd = pos + (int) length;
        if (isSequence(tag, vr) && length > 0) sequence(pos, valueEnd, valueEnd, depth + 1);
        pos = valueEnd;
      }
    }
    if (undefinedItem) throw problem(pos, "item without delimiter (truncated?)");
    return pos;
  }

  /** Items of a sequence; {@code definedEnd} < 0 for undefined length (ends at a delimiter). */
  private int sequence(int pos, int end, int definedEnd, int depth) throws MalformedDicomException {
    while (true) {
      if (definedEnd >= 0 && pos == definedEnd) return pos;
      if (pos >= end) throw problem(pos, "sequence without delimiter (truncated?)");
      need(pos, 8, end, "item header");
      int tag = tag(pos);
      long length = Integer.toUnsignedLong(b.getInt(pos + 4));
      pos += 8;
      if (tag == SEQUENCE_DELIMITER) {
        if (definedEnd >= 0) throw problem(pos - 8, "sequence delimiter in a defined-length sequence");
        return pos;
      }
      if (tag != ITEM) throw problem(pos - 8, String.format("expected an item in a sequence, found %s", tagName(tag)));
      if (length == UNDEFINED) {
        pos = dataset(pos, end, true, depth);
      } else {
        if (length > end - pos) throw problem(pos, "item runs past the end of its sequence (truncated?)");
        dataset(pos, pos + (int) length, false, depth);
        pos += (int) length;
      }
    }
  }

  /** PS3.5 A.4: encapsulated pixel data, items then a sequence delimiter. */
  private int fragments(int pos, int end) throws MalformedDicomException {
    while (true) {
      need(pos, 8, end, "pixel data fragment header");
      int tag = tag(pos);
      long length = Integer.toUnsignedLong(b.getInt(pos + 4));
      pos += 8;
      if (tag == SEQUENCE_DELIMITER) return pos;
      if (tag != ITEM) throw problem(pos - 8, "expected a pixel data fragment, found " + tagName(tag));
      if (length > end - pos) throw problem(pos, "pixel data fragment declares " + length + " bytes but only " + (end - pos) + " remain (truncated?)");
      pos += (int) length;
    }
  }

  private boolean isSequence(int tag, String vr) {
    if (explicit) return "SQ".equals(vr);
    byte[] known = DicomDictionary.StandardDictionary.getValueRepresentationFromTag(new AttributeTag(tag >>> 16, tag & 0xFFFF));
    return known != null && ValueRepresentation.isSequenceVR(known);
  }

  private int tag(int pos) {
    return (Short.toUnsignedInt(b.getShort(pos)) << 16) | Short.toUnsignedInt(b.getShort(pos + 2));
  }

  private void need(int pos, int n, int end, String what) throws MalformedDicomException {
    if (end - pos < n) throw problem(pos, what + " cut short (truncated?)");
  }

  private static MalformedDicomException problem(int offset, String message) {
    return new MalformedDicomException(message + " at data set offset " + offset);
  }

  static String tagName(int tag) {
    return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) out.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02X", (int) c));
    return out.toString();
  }

  /** PS3.5 A.5: raw deflate (no zlib header) of the whole data set. */
  private static ByteBuffer inflate(ByteBuffer deflated) throws MalformedDicomException {
    byte[] in = new byte[deflated.remaining()];
    deflated.duplicate().get(in);
    Inflater inflater = new Inflater(true);
    inflater.setInput(in);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 4);
    byte[] chunk = new byte[65536];
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new MalformedDicomException("deflated data set is truncated");
        }
        out.write(chunk, 0, n);
        if (out.size() > MAX_INFLATED) throw new MalformedDicomException("deflated data set inflates beyond 1 GiB");
      }
    } catch (DataFormatException e) {
      throw new MalformedDicomException("deflated data set is corrupt: " + e.getMessage());
    } finally {
      inflater.end();
    }
    return ByteBuffer.wrap(out.toByteArray());
  }
}
