package imago.node.dicomweb.wado;

import imago.core.dicom.ElementHeader;
import imago.core.dicom.ElementReader;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
final class PixelDataLocator implements ElementReader.Handler {
  private static final int PIXEL_DATA = 0x7FE00010;
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

  private final ElementReader reader;
  private final long datasetOffset;
  private final boolean bigEndian;
  private final Map<Integer, byte[]> kept = new HashMap<>();
  /** Object offset of the Pixel Data value (native) or of its first item (encapsulated); -1 until found. */
  private long pixelDataOffset = -1;
  private long pixelDataLength = -1;
  private long[] offsetTable;
  private final List<PixelLayout.Fragment> fragments = new ArrayList<>();

  private PixelDataLocator(ElementReader reader, long datasetOffset, boolean bigEndian) {
    this.reader = reader;
    this.datasetOffset = datasetOffset;
    this.bigEndian = bigEndian;
  }

  /**
   * The layout of the data set of {@code datasetLength} bytes that {@code in} holds from object
   * offset {@code datasetOffset}, or null for a syntax that cannot be scanned (deflated). The
   * stream may end before the data set does (a probe of its first bytes): then
   * {@link EOFException} says the scan needs more of the object.
   */
  static PixelLayout scan(InputStream in, long datasetOffset, long datasetLength, String ts)
      throws IOException, MalformedDicomException {
    if (Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(ts)) return null;
    ElementReader.Encoding encoding = ElementReader.Encoding.of(ts);
    PixelDataLocator locator = new PixelDataLocator(ElementReader.of(in, datasetLength, encoding), datasetOffset,
        encoding.bigEndian());
    locator.reader.read(locator);
    return locator.layout(ts);
  }

  /** Keeps the Image Pixel attributes; stops at native Pixel Data, or after encapsulated Pixel Data's items. */
  @Override
  public boolean element(ElementHeader h) throws IOException {
    if (pixelDataOffset >= 0) return false;
    if (h.tag() == PIXEL_DATA) {
      pixelDataOffset = datasetOffset + h.valuePosition();
      if (h.undefinedLength()) return true;
      pixelDataLength = h.length();
      return false;
    }
    if (KEPT.contains(h.tag()) && h.length() <= 1024) kept.put(h.tag(), reader.bytes(h.valuePosition(), (int) h.length()));
    return true;
  }

  /** PS3.5 A.4: the Basic Offset Table item, then one item per fragment. */
  @Override
  public void fragment(ElementHeader item) throws IOException {
    if (offsetTable == null) {
      offsetTable = new long[0];
      long length = item.length();
      if (length > 0 && length % 4 == 0 && length <= (1 << 24)) {
        ByteBuffer table = ByteBuffer.wrap(reader.bytes(item.valuePosition(), (int) length)).order(ByteOrder.LITTLE_ENDIAN);
        offsetTable = new long[(int) (length / 4)];
        for (int i = 0; i < offsetTable.length; i++) offsetTable[i] = Integer.toUnsignedLong(table.getInt());
      }
      return;
    }
    fragments.add(new PixelLayout.Fragment(datasetOffset + item.position(), datasetOffset + item.valuePosition(), item.length()));
  }

  private PixelLayout layout(String ts) {
    double[] center = decimals(WINDOW_CENTER);
    double[] width = decimals(WINDOW_WIDTH);
    double[] slope = decimals(RESCALE_SLOPE);
    double[] intercept = decimals(RESCALE_INTERCEPT);
    int frames = (int) Math.max(1, integer(NUMBER_OF_FRAMES, 1));
    return new PixelLayout(ts, us(ROWS, 0), us(COLUMNS, 0), us(BITS_ALLOCATED, 16), us(BITS_STORED, us(BITS_ALLOCATED, 16)),
        us(PIXEL_REPRESENTATION, 0), us(SAMPLES_PER_PIXEL, 1), us(PLANAR_CONFIGURATION, 0), text(PHOTOMETRIC),
        frames, center, width, slope.length > 0 ? slope[0] : 1, intercept.length > 0 ? intercept[0] : 0,
        text(VOI_LUT_FUNCTION), pixelDataOffset, pixelDataLength, List.copyOf(fragments),
        offsetTable == null ? new long[0] : offsetTable);
  }

  private int us(int tag, int absent) {
    byte[] v = kept.get(tag);
    if (v == null || v.length < 2) return absent;
    return bigEndian ? ((v[0] & 0xFF) << 8) | (v[1] & 0xFF) : ((v[1] & 0xFF) << 8) | (v[0] & 0xFF);
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
}
