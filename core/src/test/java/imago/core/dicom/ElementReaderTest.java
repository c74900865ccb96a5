package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.OtherByteAttribute;
import imago.core.synthetic.SyntheticCt;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementReaderTest {
  private static final int ROWS = 0x00280010;
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final List<String> EXPLICIT = List.of(Uids.EXPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_BIG_ENDIAN);

  /**
   * PS3.5 §6.2.2: an undefined-length UN value is a sequence in implicit VR little endian, in a
   * big endian data set too. The walker (a buffer, to the end) and the Pixel Data locator (a
   * stream, up to Pixel Data) read it the same way.
   */
  @Test
  void readsPastAnUndefinedLengthUnToPixelDataInBothByteOrders() throws Exception {
    for (String ts : EXPLICIT) {
      byte[] file = UndefinedLengthUn.file(ts, ByteOrder.LITTLE_ENDIAN);
      Part10.Header h = Part10Files.validate(file);
      int dataset = h.datasetOffset();
      ElementReader streamed = ElementReader.of(new ByteArrayInputStream(file, dataset, file.length - dataset),
          file.length - dataset, ElementReader.Encoding.of(ts));
      List<ElementHeader> seen = new ArrayList<>();
      long stoppedAt = streamed.read(e -> seen.add(e) && e.tag() != PIXEL_DATA);
      ElementHeader pixels = seen.get(seen.size() - 1);
      assertEquals(PIXEL_DATA, pixels.tag(), ts);
      assertEquals(pixels.position(), stoppedAt, ts);
      assertEquals(file.length - dataset - UndefinedLengthUn.ROWS * UndefinedLengthUn.COLUMNS * 2, pixels.valuePosition(), ts);
      ElementHeader rows = seen.stream().filter(e -> e.tag() == ROWS).findFirst().orElseThrow();
      ByteBuffer value = ByteBuffer.wrap(file, dataset + (int) rows.valuePosition(), 2).order(
          ElementReader.Encoding.of(ts).bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      assertEquals(UndefinedLengthUn.ROWS, value.getShort(), ts);
    }
  }

  /** The UN value's items in the data set's big endian order are not what PS3.5 §6.2.2 says: rejected. */
  @Test
  void rejectsAnUndefinedLengthUnInTheDataSetsBigEndianOrder() {
    byte[] file = UndefinedLengthUn.file(Uids.EXPLICIT_VR_BIG_ENDIAN, ByteOrder.BIG_ENDIAN);
    MalformedDicomException e = assertThrows(MalformedDicomException.class, () -> Part10Files.validate(file));
    assertTrue(e.getMessage().contains("expected an item"), e.getMessage());
  }

  /**
   * A stream read through the window, in small uneven reads, shows the handler the same elements
   * and fragments as the whole buffer does: headers that straddle the window's edge, values longer
   * than the window, nested sequences, encapsulated Pixel Data.
   */
  @Test
  void aStreamThroughTheWindowReadsAsTheWholeBuffer() throws Exception {
    List<byte[]> files = new ArrayList<>();
    files.add(Part10Files.write(Part10Files.smallInstanceWithSequences(11)));
    files.add(manySmallElementsAndALongValue());
    for (String name : List.of("SC_rgb_rle_2frame.dcm", "JPEG2000.dcm", "MR_small_bigendian.dcm", "rtplan.dcm",
        "UN_sequence.dcm")) {
      Path corpusFile = PydicomCorpusTest.CORPUS.resolve("test_files").resolve(name);
      assumeTrue(Files.isRegularFile(corpusFile), "pydicom test files not installed");
      files.add(Files.readAllBytes(corpusFile));
    }
    Random random = new Random(5);
    for (byte[] file : files) {
      Part10.Header h = Part10.parse(ByteBuffer.wrap(file));
      ElementReader.Encoding encoding = ElementReader.Encoding.of(h.transferSyntaxUid());
      int length = file.length - h.datasetOffset();
      Recorder whole = new Recorder();
      whole.reader = ElementReader.of(ByteBuffer.wrap(file).position(h.datasetOffset()), encoding);
      assertEquals(length, whole.reader.read(whole));
      Recorder streamed = new Recorder();
      streamed.reader = ElementReader.of(new Trickle(file, h.datasetOffset(), random), length, encoding);
      assertEquals(length, streamed.reader.read(streamed));
      assertEquals(whole.seen, streamed.seen, h.sopInstanceUid());
      assertEquals(whole.values.size(), streamed.values.size());
      for (int i = 0; i < whole.values.size(); i++) assertArrayEquals(whole.values.get(i), streamed.values.get(i));
    }
  }

  /**
   * A stream that ends before the data set does (a probe) says so with EOFException, not as
   * malformed data, once the reader needs a byte it does not have (skipped values are not read).
   */
  @Test
  void aStreamThatEndsBeforeTheDataSetSaysEof() throws Exception {
    byte[] file = manySmallElementsAndALongValue();
    Part10.Header h = Part10.parse(ByteBuffer.wrap(file));
    int length = file.length - h.datasetOffset();
    long pixelData = ElementReader.of(ByteBuffer.wrap(file).position(h.datasetOffset()), ElementReader.Encoding.EXPLICIT_VR_LITTLE_ENDIAN)
        .read(e -> e.tag() != PIXEL_DATA);
    for (long available : new long[] {0, 3, 20_000, pixelData + 11}) {
      InputStream probe = new ByteArrayInputStream(file, h.datasetOffset(), (int) available);
      ElementReader reader = ElementReader.of(probe, length, ElementReader.Encoding.EXPLICIT_VR_LITTLE_ENDIAN);
      assertThrows(EOFException.class, () -> reader.read(e -> true), () -> available + " bytes");
    }
  }

  @Test
  void knowsTheVrsAndWhichHaveLongLengths() {
    assertTrue(ElementReader.isVr("SQ") && ElementReader.isLongVr("SQ"));
    assertTrue(ElementReader.isVr("US") && !ElementReader.isLongVr("US"));
    assertTrue(!ElementReader.isVr("XX") && !ElementReader.isVr("u") && !ElementReader.isVr("un"));
  }

  /** 3,000 top-level LO elements (headers cross every window edge), then a 40 KB private OB value. */
  private static byte[] manySmallElementsAndALongValue() throws Exception {
    AttributeList list = Part10Files.read(SyntheticCt.instance(new SyntheticCt.Spec(1, 1, 1, 16, 16, 3, "WIN"), 1, 1, 1));
    LongStringAttribute creator = new LongStringAttribute(new AttributeTag(0x0029, 0x0010));
    creator.addValue("IMAGO TEST");
    list.put(creator);
    for (int i = 0; i < 3000; i++) {
      LongStringAttribute lo = new LongStringAttribute(new AttributeTag(0x0031 + 2 * (i / 200), 0x1000 + i % 200));
      lo.addValue("v" + "x".repeat(i % 7));
      list.put(lo);
    }
    OtherByteAttribute big = new OtherByteAttribute(new AttributeTag(0x0029, 0x1010));
    big.setValues(new byte[40_000]);
    list.put(big);
    return Part10Files.write(list);
  }

  /** Hears every top-level element and fragment, and reads each short value. */
  private static final class Recorder implements ElementReader.Handler {
    ElementReader reader;
    final List<ElementHeader> seen = new ArrayList<>();
    final List<byte[]> values = new ArrayList<>();

    @Override
    public boolean element(ElementHeader h) throws IOException {
      seen.add(h);
      if (!h.undefinedLength() && !"SQ".equals(h.vr()) && h.length() <= 64) values.add(reader.bytes(h.valuePosition(), (int) h.length()));
      return true;
    }

    @Override
    public void fragment(ElementHeader item) throws IOException {
      seen.add(item);
      values.add(reader.bytes(item.valuePosition(), (int) Math.min(item.length(), 20_000)));
    }
  }

  /** Gives a data set's bytes a few at a time, and skips short, as network streams do. */
  private static final class Trickle extends InputStream {
    private final byte[] bytes;
    private final Random random;
    private int pos;

    Trickle(byte[] bytes, int from, Random random) {
      this.bytes = bytes;
      this.pos = from;
      this.random = random;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) return 0;
      if (pos >= bytes.length) return -1;
      int n = Math.min(Math.min(len, 1 + random.nextInt(9)), bytes.length - pos);
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long s = Math.min(Math.min(n, 1 + random.nextInt(5000)), bytes.length - pos);
      pos += (int) Math.max(0, s);
      return Math.max(0, s);
    }
  }
}
