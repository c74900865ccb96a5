package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.dicom.UndefinedLengthUn;
import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The header scan finds Pixel Data and the Image Pixel attributes the way PixelMed reads them. */
class PixelDataLocatorTest {
  static final Path CORPUS = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");

  static PixelLayout scan(byte[] part10) throws Exception {
    return probe(part10, part10.length);
  }

  /** Scans with only the first {@code available} bytes of the file at hand, as from a ranged read. */
  static PixelLayout probe(byte[] part10, int available) throws Exception {
    Part10.Header h = Part10.parse(ByteBuffer.wrap(part10));
    byte[] dataset = Arrays.copyOfRange(part10, h.datasetOffset(), available);
    return PixelDataLocator.scan(new ByteArrayInputStream(dataset), h.datasetOffset(), part10.length - h.datasetOffset(),
        h.transferSyntaxUid());
  }

  @Test
  void findsNativePixelDataAndItsFramesAreThePixelBytes() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 48).withSeed(3);
    byte[] file = SyntheticCt.instance(spec, 1, 1, 1);
    PixelLayout l = scan(file);
    assertEquals(32, l.rows());
    assertEquals(48, l.columns());
    assertEquals(16, l.bitsAllocated());
    assertEquals(1, l.pixelRepresentation());
    assertEquals("MONOCHROME2", l.photometricInterpretation());
    assertFalse(l.encapsulated());
    long[] range = l.frame(1).ranges().get(0);
    assertEquals(32 * 48 * 2, range[1]);
    AttributeList list = new AttributeList();
    list.read(new com.pixelmed.dicom.DicomInputStream(new ByteArrayInputStream(file)));
    short[] pixels = list.get(TagFromName.PixelData).getShortValues();
    ByteBuffer expected = ByteBuffer.allocate(pixels.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short p : pixels) expected.putShort(p);
    assertArrayEquals(expected.array(), Arrays.copyOfRange(file, (int) range[0], (int) (range[0] + range[1])));
    assertNull(l.frame(2));
  }

  @Test
  void aProbeThatEndsBeforePixelDataAsksForMore() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(4);
    AttributeList list = new AttributeList();
    list.read(new com.pixelmed.dicom.DicomInputStream(new ByteArrayInputStream(SyntheticCt.instance(spec, 1, 1, 1))));
    // a 100 KB private value before Pixel Data: the header is longer than the first ranged read
    OtherByteAttribute big = new OtherByteAttribute(new com.pixelmed.dicom.AttributeTag(0x0029, 0x1010));
    big.setValues(new byte[100_000]);
    list.put(new com.pixelmed.dicom.LongStringAttribute(new com.pixelmed.dicom.AttributeTag(0x0029, 0x0010)));
    list.get(new com.pixelmed.dicom.AttributeTag(0x0029, 0x0010)).addValue("IMAGO TEST");
    list.put(big);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    list.write(out, Uids.EXPLICIT_VR_LITTLE_ENDIAN, true, true);
    byte[] file = out.toByteArray();
    assertThrows(EOFException.class, () -> probe(file, 64 * 1024));
    PixelLayout whole = scan(file);
    assertTrue(whole.hasPixelData());
    assertEquals(file.length - 16 * 16 * 2, whole.pixelDataOffset());
  }

  @Test
  void encapsulatedFramesAreTheirFragments() throws Exception {
    byte[] file = Files.readAllBytes(CORPUS.resolve("SC_rgb_rle_2frame.dcm"));
    PixelLayout l = scan(file);
    assertTrue(l.encapsulated());
    assertEquals(2, l.numberOfFrames());
    assertEquals(2, l.fragments().size());
    assertEquals(664, l.frame(2).length());
    long[] first = l.frame(1).ranges().get(0);
    assertEquals(3, ByteBuffer.wrap(file, (int) first[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt(), "3 RLE segments");
    PixelLayout j2k = scan(Files.readAllBytes(CORPUS.resolve("JPEG2000.dcm")));
    assertEquals(1024, j2k.rows());
    assertNotNull(j2k.frame(1));
  }

  @Test
  void bigEndianIsReadAndDeflatedIsLeftToPixelMed() throws Exception {
    PixelLayout be = scan(Files.readAllBytes(CORPUS.resolve("MR_small_bigendian.dcm")));
    assertEquals(64, be.rows());
    assertEquals(64, be.columns());
    assertEquals(16, be.bitsAllocated());
    assertTrue(be.hasPixelData());
    assertNull(scan(Files.readAllBytes(CORPUS.resolve("image_dfl.dcm"))));
  }

  /**
   * PS3.5 §6.2.2: the items of an undefined-length UN value are implicit VR little endian, in a
   * big endian data set too; read as the walker reads them (core's ElementReaderTest), the scan
   * goes past them to Pixel Data.
   */
  @Test
  void findsPixelDataAfterAnUndefinedLengthUnInBothByteOrders() throws Exception {
    for (String ts : new String[] {Uids.EXPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_BIG_ENDIAN}) {
      byte[] file = UndefinedLengthUn.file(ts, ByteOrder.LITTLE_ENDIAN);
      PixelLayout l = scan(file);
      assertEquals(UndefinedLengthUn.ROWS, l.rows(), ts);
      assertEquals(UndefinedLengthUn.COLUMNS, l.columns(), ts);
      assertEquals("MONOCHROME2", l.photometricInterpretation(), ts);
      assertEquals(file.length - 32, l.pixelDataOffset(), ts);
      assertEquals(32, l.pixelDataLength(), ts);
    }
    // GDCM's file is that UN sequence alone: read through to its end, no Pixel Data
    assertFalse(scan(Files.readAllBytes(CORPUS.resolve("UN_sequence.dcm"))).hasPixelData());
  }

  @Test
  void windowAndRescaleComeFromTheHeader() throws Exception {
    PixelLayout mr = scan(Files.readAllBytes(CORPUS.resolve("MR_small.dcm")));
    assertEquals(600, mr.windowCenter()[0], 0.001);
    assertTrue(mr.windowWidth()[0] > 0);
    PixelLayout ct = scan(Files.readAllBytes(CORPUS.resolve("CT_small.dcm")));
    assertEquals(-1024, ct.rescaleIntercept(), 0.001);
    assertEquals(1, ct.rescaleSlope(), 0.001);
  }
}
