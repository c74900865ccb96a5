package imago.core.dicom;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.ValueRepresentation;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Reads the element structure of a data set (PS3.5 §7): element headers, sequences and items of
 * defined and undefined length, encapsulated Pixel Data. It checks as it goes that every header is
 * whole, every value length fits inside its container and every undefined length is delimited, and
 * reads no values itself: a {@link Handler} hears of each top-level element and reads the few
 * values it needs. The bytes are one buffer, or a stream seen through a small window that only
 * moves forward, so a stored object is read in one pass without being held whole.
 */
public final class ElementReader {
  private static final int ITEM = 0xFFFEE000;
  private static final int ITEM_DELIMITER = 0xFFFEE00D;
  private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final int MAX_DEPTH = 32;
  private static final int WINDOW = 16 * 1024;

  private static final String[] VR_NAMES = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
      "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR",
      "US", "UT", "UV"};
  /** PS3.5 §7.1.2: the VRs whose explicit header has two reserved bytes and a 32-bit length. */
  private static final String[] LONG_VR_NAMES = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
      "UT", "UV"};
  /** The VR named by two upper-case letters, by (first - 'A') * 26 + (second - 'A'); null if none. */
  private static final String[] VRS = new String[26 * 26];
  private static final boolean[] LONG_VRS = new boolean[26 * 26];

  static {
    for (String vr : VR_NAMES) VRS[vrIndex(vr.charAt(0), vr.charAt(1))] = vr;
    for (String vr : LONG_VR_NAMES) LONG_VRS[vrIndex(vr.charAt(0), vr.charAt(1))] = true;
  }

  /** How a data set's elements are encoded; deflated data sets are read once inflated. */
  public enum Encoding {
    IMPLICIT_VR_LITTLE_ENDIAN(false, false),
    EXPLICIT_VR_LITTLE_ENDIAN(true, false),
    EXPLICIT_VR_BIG_ENDIAN(true, true);

    final boolean explicitVr;
    final boolean bigEndian;

    Encoding(boolean explicitVr, boolean bigEndian) {
      this.explicitVr = explicitVr;
      this.bigEndian = bigEndian;
    }

    /** The encoding of a data set in {@code transferSyntaxUid} (for deflated, of the inflated bytes). */
    public static Encoding of(String transferSyntaxUid) {
      if (Uids.IMPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid)) return IMPLICIT_VR_LITTLE_ENDIAN;
      if (Uids.EXPLICIT_VR_BIG_ENDIAN.equals(transferSyntaxUid)) return EXPLICIT_VR_BIG_ENDIAN;
      return EXPLICIT_VR_LITTLE_ENDIAN;
    }

    public boolean bigEndian() {
      return bigEndian;
    }
  }

  /** What a caller hears of the top level of a data set as it is read. */
  @FunctionalInterface
  public interface Handler {
    /**
     * A top-level element, before its value is read; false stops the reading there. The handler
     * may read this element's value with {@link ElementReader#bytes}, unless it is a sequence, which the reader
     * then reads itself (a streamed data set is only read forward).
     */
    boolean element(ElementHeader header) throws IOException, MalformedDicomException;

    /** An item of top-level encapsulated Pixel Data (PS3.5 A.4): the Basic Offset Table first, then each fragment. */
    default void fragment(ElementHeader item) throws IOException, MalformedDicomException {}
  }

  private final Encoding encoding;
  private final long length;
  /** Where offsets in messages count from. */
  private final String origin;
  /** Little endian; index i holds data set byte windowStart + i. */
  private final ByteBuffer window;
  /** Null when the window holds the whole data set; otherwise gives the bytes after the window. */
  private final InputStream stream;
  private long windowStart;

  private ElementReader(Encoding encoding, long length, String origin, ByteBuffer window, InputStream stream) {
    this.encoding = encoding;
    this.length = length;
    this.origin = origin;
    this.window = window.order(ByteOrder.LITTLE_ENDIAN);
    this.stream = stream;
  }

  /** Reads the data set that {@code dataset} holds from its position to its limit. */
  public static ElementReader of(ByteBuffer dataset, Encoding encoding) {
    ByteBuffer view = dataset.slice();
    return new ElementReader(encoding, view.limit(), "data set", view, null);
  }

  /**
   * Reads a data set of {@code length} bytes from {@code stream}, which starts at its first byte.
   * The stream may end sooner (a probe of an object's first bytes): needing a byte past its end
   * throws {@link EOFException}, which says more of the object is needed. Values the reader skips
   * are not read, so a stream cut inside the last value is not noticed.
   */
  public static ElementReader of(InputStream stream, long length, Encoding encoding) {
    return new ElementReader(encoding, length, "data set", ByteBuffer.allocate(WINDOW).limit(0), stream);
  }

  /** Reads the File Meta Information of a PS3.10 file (explicit VR little endian), offsets from the file's start. */
  static ElementReader fileMetaInformation(ByteBuffer file) {
    ByteBuffer view = file.slice();
    return new ElementReader(Encoding.EXPLICIT_VR_LITTLE_ENDIAN, view.limit(), "file", view, null);
  }

  static boolean isVr(String vr) {
    return vr.length() == 2 && vr(vr.charAt(0), vr.charAt(1)) != null;
  }

  /** PS3.5 §7.1.2: whether an explicit VR header for {@code vr} has a 32-bit length. */
  static boolean isLongVr(String vr) {
    return isVr(vr) && LONG_VRS[vrIndex(vr.charAt(0), vr.charAt(1))];
  }

  /**
   * Reads the data set from its start, telling {@code handler} of each top-level element, until
   * its end or until the handler stops; returns where it stopped.
   */
  public long read(Handler handler) throws IOException, MalformedDicomException {
    return dataset(0, length, false, 0, encoding, Objects.requireNonNull(handler));
  }

  /** The tag of the element at {@code pos}. */
  int tag(long pos) throws IOException, MalformedDicomException {
    need(pos, 4, length, "tag");
    return tag(at(pos, 4), encoding);
  }

  /** The header of the element at {@code pos} (items and delimiters have an 8-byte header). */
  ElementHeader header(long pos) throws IOException, MalformedDicomException {
    return header(pos, length, encoding);
  }

  /** Bytes [pos, pos + n) of the data set: the value of an element that a handler is told of. */
  public byte[] bytes(long pos, int n) throws IOException {
    Objects.checkFromIndexSize(pos, n, length);
    byte[] out = new byte[n];
    for (int done = 0; done < n; ) {
      int chunk = Math.min(n - done, window.capacity());
      window.get(at(pos + done, chunk), out, done, chunk);
      done += chunk;
    }
    return out;
  }

  /** Elements in [pos, end); for an undefined-length item, up to its delimiter. */
  private long dataset(long pos, long end, boolean undefinedItem, int depth, Encoding enc, Handler handler)
      throws IOException, MalformedDicomException {
    if (depth > MAX_DEPTH) throw problem(pos, "sequences nested deeper than " + MAX_DEPTH);
    while (pos < end) {
      ElementHeader h = header(pos, end, enc);
      if (h.tag() == ITEM_DELIMITER) {
        if (!undefinedItem) throw problem(pos, "item delimiter outside an undefined-length item");
        return h.valuePosition();
      }
      if ((h.tag() >>> 16) == 0xFFFE) throw problem(pos, String.format("unexpected %s in a data set", tagName(h.tag())));
      if (handler != null && !handler.element(h)) return pos;
      pos = value(h, end, depth, enc, handler);
    }
    if (undefinedItem) throw problem(pos, "item without delimiter (truncated?)");
    return pos;
  }

  /** Reads past the value of {@code h}, into its items if it has any; returns where the value ends. */
  private long value(ElementHeader h, long end, int depth, Encoding enc, Handler handler)
      throws IOException, MalformedDicomException {
    long pos = h.valuePosition();
    if (h.undefinedLength()) {
      if (h.tag() == PIXEL_DATA) return fragments(pos, end, enc, handler);
      return sequence(pos, end, -1, depth + 1, itemEncoding(h, enc));
    }
    if (h.length() > end - pos) {
      throw problem(pos, String.format("%s declares %d bytes but only %d remain (truncated?)", tagName(h.tag()), h.length(), end - pos));
    }
    long valueEnd = pos + h.length();
    if (h.length() > 0 && isSequence(h, enc)) sequence(pos, valueEnd, valueEnd, depth + 1, enc);
    return valueEnd;
  }

  /** How the items of an undefined-length value (not Pixel Data) are encoded. */
  private Encoding itemEncoding(ElementHeader h, Encoding enc) throws MalformedDicomException {
    // PS3.5 §6.2.2: an undefined-length UN value is a sequence in implicit VR little endian
    // (little endian even inside an explicit VR big endian data set)
    if ("UN".equals(h.vr())) return Encoding.IMPLICIT_VR_LITTLE_ENDIAN;
    if (!enc.explicitVr || "SQ".equals(h.vr())) return enc;
    throw problem(h.valuePosition(), String.format("undefined length on %s with VR %s", tagName(h.tag()), h.vr()));
  }

  /** Items of a sequence; {@code definedEnd} < 0 for undefined length (ends at a delimiter). */
  private long sequence(long pos, long end, long definedEnd, int depth, Encoding enc)
      throws IOException, MalformedDicomException {
    while (true) {
      if (definedEnd >= 0 && pos == definedEnd) return pos;
      if (pos >= end) throw problem(pos, "sequence without delimiter (truncated?)");
      ElementHeader item = itemHeader(pos, end, enc, "item header");
      pos = item.valuePosition();
      if (item.tag() == SEQUENCE_DELIMITER) {
        if (definedEnd >= 0) throw problem(item.position(), "sequence delimiter in a defined-length sequence");
        return pos;
      }
      if (item.tag() != ITEM) {
        throw problem(item.position(), String.format("expected an item in a sequence, found %s", tagName(item.tag())));
      }
      if (item.undefinedLength()) {
        pos = dataset(pos, end, true, depth, enc, null);
      } else {
        if (item.length() > end - pos) throw problem(pos, "item runs past the end of its sequence (truncated?)");
        dataset(pos, pos + item.length(), false, depth, enc, null);
        pos += item.length();
      }
    }
  }

  /** PS3.5 A.4: encapsulated pixel data, items then a sequence delimiter. */
  private long fragments(long pos, long end, Encoding enc, Handler handler) throws IOException, MalformedDicomException {
    while (true) {
      ElementHeader item = itemHeader(pos, end, enc, "pixel data fragment header");
      pos = item.valuePosition();
      if (item.tag() == SEQUENCE_DELIMITER) return pos;
      if (item.tag() != ITEM) throw problem(item.position(), "expected a pixel data fragment, found " + tagName(item.tag()));
      if (item.length() > end - pos) {
        throw problem(pos, "pixel data fragment declares " + item.length() + " bytes but only " + (end - pos) + " remain (truncated?)");
      }
      if (handler != null) handler.fragment(item);
      pos += item.length();
    }
  }

  private ElementHeader header(long pos, long end, Encoding enc) throws IOException, MalformedDicomException {
    need(pos, 8, end, "element header");
    int i = at(pos, 8);
    int tag = tag(i, enc);
    // PS3.5 §7.5: items and delimiters have no VR, whatever the encoding
    if (!enc.explicitVr || (tag >>> 16) == 0xFFFE) return new ElementHeader(pos, tag, null, 8, u32(i + 4, enc));
    String vr = vr((char) window.get(i + 4), (char) window.get(i + 5));
    if (vr == null) {
      throw problem(pos, String.format("invalid VR '%s' in %s", printable(window.get(i + 4), window.get(i + 5)), tagName(tag)));
    }
    if (!LONG_VRS[vrIndex(vr.charAt(0), vr.charAt(1))]) return new ElementHeader(pos, tag, vr, 8, u16(i + 6, enc));
    need(pos, 12, end, "element header");
    return new ElementHeader(pos, tag, vr, 12, u32(at(pos, 12) + 8, enc));
  }

  private ElementHeader itemHeader(long pos, long end, Encoding enc, String what) throws IOException, MalformedDicomException {
    need(pos, 8, end, what);
    int i = at(pos, 8);
    return new ElementHeader(pos, tag(i, enc), null, 8, u32(i + 4, enc));
  }

  private static boolean isSequence(ElementHeader h, Encoding enc) {
    if (enc.explicitVr) return "SQ".equals(h.vr());
    byte[] known = DicomDictionary.StandardDictionary.getValueRepresentationFromTag(new AttributeTag(h.tag() >>> 16, h.tag() & 0xFFFF));
    return known != null && ValueRepresentation.isSequenceVR(known);
  }

  private void need(long pos, int n, long end, String what) throws MalformedDicomException {
    if (end - pos < n) throw problem(pos, what + " cut short (truncated?)");
  }

  private int tag(int i, Encoding enc) {
    return (u16(i, enc) << 16) | u16(i + 2, enc);
  }

  private int u16(int i, Encoding enc) {
    short s = window.getShort(i);
    return Short.toUnsignedInt(enc.bigEndian ? Short.reverseBytes(s) : s);
  }

  private long u32(int i, Encoding enc) {
    int v = window.getInt(i);
    return Integer.toUnsignedLong(enc.bigEndian ? Integer.reverseBytes(v) : v);
  }

  /** The window index of data set bytes [pos, pos + n), sliding the window forward to them if need be. */
  private int at(long pos, int n) throws IOException {
    long i = pos - windowStart;
    if (i >= 0 && i + n <= window.limit()) return (int) i;
    if (stream == null || i < 0 || n > window.capacity()) {
      throw new IllegalStateException("data set bytes " + pos + "+" + n + " are behind or beyond the reader");
    }
    slide(pos, n);
    return 0;
  }

  /** Moves the window to start at {@code pos}, keeping what it holds from there, and fills it. */
  private void slide(long pos, int n) throws IOException {
    byte[] a = window.array();
    long streamPosition = windowStart + window.limit();
    int filled = 0;
    if (pos < streamPosition) {
      filled = (int) (streamPosition - pos);
      System.arraycopy(a, (int) (pos - windowStart), a, 0, filled);
    }
    windowStart = pos;
    window.limit(filled);
    if (pos > streamPosition) {
      try {
        stream.skipNBytes(pos - streamPosition);
      } catch (EOFException e) {
        throw new EOFException("the stream ends before data set offset " + pos);
      }
    }
    while (filled < n) {
      int got = stream.read(a, filled, a.length - filled);
      if (got < 0) break;
      filled += got;
      window.limit(filled);
    }
    if (filled < n) throw new EOFException("the stream ends at data set offset " + (pos + filled));
  }

  private MalformedDicomException problem(long offset, String message) {
    return new MalformedDicomException(message + " at " + origin + " offset " + offset);
  }

  static String tagName(int tag) {
    return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
  }

  private static int vrIndex(char first, char second) {
    return (first - 'A') * 26 + (second - 'A');
  }

  private static String vr(char first, char second) {
    if (first < 'A' || first > 'Z' || second < 'A' || second > 'Z') return null;
    return VRS[vrIndex(first, second)];
  }

  private static String printable(byte... bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) out.append(b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02X", b & 0xFF));
    return out.toString();
  }
}
