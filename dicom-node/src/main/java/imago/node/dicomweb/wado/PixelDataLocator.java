package imago.node.dicomweb.wado;

import imago.core.dicom.DatasetWalker;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a stored data set's element headers, never its bulk values, up to Pixel Data: collects the
 * Image Pixel attributes a frame or a rendering needs, and where the pixels are (for encapsulated
 * data, every fragment). Cheap: a CT header is a few KB, so one small ranged S3 read usually does.
 * Deflated data sets cannot be read this way ({@link #scan} returns null).
 */
final class PixelDataLocator {
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final int ITEM = 0xFFFEE000;
  private static final int ITEM_DELIMITER = 0xFFFEE00D;
  private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
  private static final long UNDEFINED = 0xFFFFFFFFL;
  private static final int MAX_DEPTH = 32;
  /** Top-level attributes kept (tag -> value bytes). */
  private static final int ROWS = 0x00280010;
  private static final int COLUMNS = 0x00280011;
  private static final int BITS_ALLOCATED = 0x00280100;
  private static final int BITS_STORED = 0x00280101;
  private static final int PIXEL_REPRESENTATION = 0x00280103;
  private static final int SAMPLES_PER_PIXEL = 0x00280002;
  private static final int PLANAR_CONFIGURATION = 0x00280006;
  private static final int PHOTOMETRIC = 0x00280004;
  private static final int NUMBER_OF_FRAMES = 0x00280008;
  private static final int WINDOW_CENTER = 0x00281050;
  private static final int WINDOW_WIDTH = 0x00281051;
  private static final int RESCALE_INTERCEPT = 0x00281052;
  private static final int RESCALE_SLOPE = 0x00281053;
  private static final int VOI_LUT_FUNCTION = 0x00281056;
  private static final java.util.Set<Integer> KEPT = java.util.Set.of(ROWS, COLUMNS, BITS_ALLOCATED, BITS_STORED,
      PIXEL_REPRESENTATION, SAMPLES_PER_PIXEL, PLANAR_CONFIGURATION, PHOTOMETRIC, NUMBER_OF_FRAMES, WINDOW_CENTER,
      WINDOW_WIDTH, RESCALE_INTERCEPT, RESCALE_SLOPE, VOI_LUT_FUNCTION);

  private final Reader in;
  private final boolean explicit;
  private final boolean whole;
  private final Map<Integer, byte[]> kept = new HashMap<>();

  private PixelDataLocator(Reader in, boolean explicit, boolean whole) {
    this.in = in;
    this.explicit = explicit;
    this.whole = whole;
  }

  /**
   * The layout of the data set that {@code in} holds from object offset {@code datasetOffset}, or
   * null for a syntax that cannot be scanned (deflated). {@code whole}: the stream holds the rest
   * of the object, so its end is the data set's end; otherwise (a probe of the first bytes)
   * {@link EOFException} says the scan needs more of the object.
   */
  static PixelLayout scan(InputStream stream, long datasetOffset, String ts, boolean whole)
      throws IOException, MalformedDicomException {
    if (Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(ts)) return null;
    Reader reader = new Reader(stream, datasetOffset, Uids.EXPLICIT_VR_BIG_ENDIAN.equals(ts));
    return new PixelDataLocator(reader, !Uids.IMPLICIT_VR_LITTLE_ENDIAN.equals(ts), whole).topLevel(ts);
  }

  private PixelLayout topLevel(String ts) throws IOException, MalformedDicomException {
    while (true) {
      if (in.atEnd()) {
        if (!whole) throw new EOFException("probe ends before Pixel Data");
        return layout(ts, -1, -1, List.of(), new long[0]);
      }
      Header h = header(explicit);
      if (h.tag == PIXEL_DATA) {
        if (h.length != UNDEFINED) return layout(ts, in.position(), h.length, List.of(), new long[0]);
        return fragments(ts);
      }
      if (h.length == UNDEFINED) {
        sequence(h.unknownVr ? false : explicit, 1);
      } else if (KEPT.contains(h.tag) && h.length <= 1024) {
        kept.put(h.tag, in.bytes((int) h.length));
      } else {
        in.skip(h.length);
      }
    }
  }

  private record Header(int tag, long length, boolean unknownVr) {}

  private Header header(boolean explicitVr) throws IOException, MalformedDicomException {
    int tag = in.tag();
    if ((tag >>> 16) == 0xFFFE) return new Header(tag, in.u32(), false);
    if (!explicitVr) return new Header(tag, in.u32(), false);
    String vr = new String(in.bytes(2), StandardCharsets.US_ASCII);
    if (!DatasetWalker.isVr(vr)) throw new MalformedDicomException("invalid VR '" + vr + "' in a stored object");
    if (DatasetWalker.isLongVr(vr)) {
      in.skip(2);
      return new Header(tag, in.u32(), "UN".equals(vr));
    }
    return new Header(tag, in.u16(), false);
  }

  /** Skips the items of an undefined-length sequence, up to its delimiter. */
  private void sequence(boolean explicitVr, int depth) throws IOException, MalformedDicomException {
    if (depth > MAX_DEPTH) throw new MalformedDicomException("sequences nested too deep");
    while (true) {
      int tag = in.tag();
      long length = in.u32();
      if (tag == SEQUENCE_DELIMITER) return;
      if (tag != ITEM) throw new MalformedDicomException(String.format("expected an item, found %08X", tag));
      if (length != UNDEFINED) {
        in.skip(length);
        continue;
      }
      while (true) {
        Header h = header(explicitVr);
        if (h.tag == ITEM_DELIMITER) break;
        if (h.length == UNDEFINED) sequence(h.unknownVr ? false : explicitVr, depth + 1);
        else in.skip(h.length);
      }
    }
  }

  /** PS3.5 A.4: the Basic Offset Table item, then one item per fragment, then a delimiter. */
  private PixelLayout fragments(String ts) throws IOException, MalformedDicomException {
    long first = in.position();
    long[] offsets = new long[0];
    List<PixelLayout.Fragment> fragments = new ArrayList<>();
    boolean table = true;
    while (true) {
      long at = in.position();
      int tag = in.tag();
      long length = in.u32();
      if (tag == SEQUENCE_DELIMITER) break;
      if (tag != ITEM || length == UNDEFINED) throw new MalformedDicomException("malformed encapsulated pixel data");
      if (table) {
        table = false;
        if (length > 0 && length % 4 == 0 && length <= (1 << 24)) {
          offsets = new long[(int) (length / 4)];
          for (int i = 0; i < offsets.length; i++) offsets[i] = in.u32();
        } else {
          in.skip(length);
        }
        continue;
      }
      fragments.add(new PixelLayout.Fragment(at, in.position(), length));
      in.skip(length);
    }
    return layout(ts, first, -1, fragments, offsets);
  }

  private PixelLayout layout(String ts, long offset, long length, List<PixelLayout.Fragment> fragments, long[] offsets) {
    double[] center = decimals(WINDOW_CENTER);
    double[] width = decimals(WINDOW_WIDTH);
    double[] slope = decimals(RESCALE_SLOPE);
    double[] intercept = decimals(RESCALE_INTERCEPT);
    int frames = (int) Math.max(1, integer(NUMBER_OF_FRAMES, 1));
    return new PixelLayout(ts, us(ROWS, 0), us(COLUMNS, 0), us(BITS_ALLOCATED, 16), us(BITS_STORED, us(BITS_ALLOCATED, 16)),
        us(PIXEL_REPRESENTATION, 0), us(SAMPLES_PER_PIXEL, 1), us(PLANAR_CONFIGURATION, 0), text(PHOTOMETRIC),
        frames, center, width, slope.length > 0 ? slope[0] : 1, intercept.length > 0 ? intercept[0] : 0,
        text(VOI_LUT_FUNCTION), offset, length, List.copyOf(fragments), offsets);
  }

  private int us(int tag, int absent) {
    byte[] v = kept.get(tag);
    if (v == null || v.length < 2) return absent;
    return in.bigEndian ? ((v[0] & 0xFF) << 8) | (v[1] & 0xFF) : ((v[1] & 0xFF) << 8) | (v[0] & 0xFF);
  }

  private String text(int tag) {
    byte[] v = kept.get(tag);
    return v == null ? null : new String(v, StandardCharsets.US_ASCII).replace("\0", "").trim();
  }

  private long integer(int tag, long absent) {
    String s = text(tag);
    try {
      return s == null || s.isEmpty() ? absent : Long.parseLong(s.split("\\\\")[0].trim());
    } catch (NumberFormatException e) {
      return absent;
    }
  }

  private double[] decimals(int tag) {
    String s = text(tag);
    if (s == null || s.isEmpty()) return new double[0];
    String[] parts = s.split("\\\\");
    double[] out = new double[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) out[i] = Double.parseDouble(parts[i].trim());
    } catch (NumberFormatException e) {
      return new double[0];
    }
    return out;
  }

  /** Reads element headers from a stream and counts where it is in the object. */
  private static final class Reader {
    private final InputStream in;
    private final boolean bigEndian;
    private long position;
    private int peeked = -2;

    Reader(InputStream in, long position, boolean bigEndian) {
      this.in = in;
      this.position = position;
      this.bigEndian = bigEndian;
    }

    long position() {
      return position;
    }

    boolean atEnd() throws IOException {
      if (peeked == -2) peeked = in.read();
      return peeked < 0;
    }

    private int read() throws IOException {
      int b;
      if (peeked != -2) {
        b = peeked;
        peeked = -2;
      } else {
        b = in.read();
      }
      if (b < 0) throw new EOFException("stored object ends at " + position);
      position++;
      return b;
    }

    int u16() throws IOException {
      int a = read();
      int b = read();
      return bigEndian ? (a << 8) | b : (b << 8) | a;
    }

    long u32() throws IOException {
      long a = u16();
      long b = u16();
      return bigEndian ? (a << 16) | b : (b << 16) | a;
    }

    /** Group and element; item tags (FFFE,xxxx) are little endian except in big endian syntax. */
    int tag() throws IOException {
      int group = u16();
      int element = u16();
      return (group << 16) | element;
    }

    byte[] bytes(int n) throws IOException {
      byte[] b = new byte[n];
      int i = 0;
      if (n > 0 && peeked != -2) {
        if (peeked < 0) throw new EOFException("stored object ends at " + position);
        b[i++] = (byte) peeked;
        peeked = -2;
      }
      int got = in.readNBytes(b, i, n - i);
      if (got < n - i) throw new EOFException("stored object ends at " + (position + i + got));
      position += n;
      return b;
    }

    void skip(long n) throws IOException {
      long left = n;
      if (left > 0 && peeked != -2) {
        if (peeked < 0) throw new EOFException("stored object ends at " + position);
        peeked = -2;
        left--;
      }
      while (left > 0) {
        long s = in.skip(left);
        if (s <= 0) {
          if (in.read() < 0) throw new EOFException("stored object ends at " + (position + n - left));
          s = 1;
        }
        left -= s;
      }
      position += n;
    }
  }
}
