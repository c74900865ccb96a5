package imago.core.dicom.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Uids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** GDCM in its helper processes, on pydicom's corpus files (Debian python3-pydicom). */
class NativeCodecTest {
  private static final Path FILES = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
  private static final String JPEG_LS = "1.2.840.10008.1.2.4.80";
  private static final FrameFormat MR_SMALL = new FrameFormat(64, 64, 1, 16, 16, 1, 0, "MONOCHROME2");

  private static AttributeList read(String name, boolean decompress) throws Exception {
    Path file = FILES.resolve(name);
    assumeTrue(Files.isRegularFile(file), "python3-pydicom test files not installed");
    AttributeList list = new AttributeList();
    list.setDecompressPixelData(decompress);
    try (DicomInputStream in = new DicomInputStream(file.toFile())) {
      list.read(in);
    }
    return list;
  }

  private static byte[] codestream(String name) throws Exception {
    return ((OtherByteAttributeMultipleCompressedFrames) read(name, false).get(TagFromName.PixelData)).getFrames()[0];
  }

  private static short[] uncompressed(String name) throws Exception {
    return read(name, true).get(TagFromName.PixelData).getShortValues();
  }

  @Test
  void jpegLsLosslessDecodesToTheUncompressedOriginalValueForValue() throws Exception {
    try (NativeCodec codec = new NativeCodec(1)) {
      NativeCodec.Frame frame = codec.decode(JPEG_LS, MR_SMALL, codestream("MR_small_jpeg_ls_lossless.dcm"));

      short[] decoded = new short[frame.pixels().length / 2];
      java.nio.ByteBuffer.wrap(frame.pixels()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(decoded);
      assertArrayEquals(uncompressed("MR_small.dcm"), decoded);
      assertEquals("MONOCHROME2", frame.photometric());
    }
  }

  @Test
  void aDataSetIsDecompressedInPlaceToExplicitLittleEndian() throws Exception {
    AttributeList list = read("MR_small_jpeg_ls_lossless.dcm", false);
    try (NativeCodec codec = new NativeCodec(1)) {
      assertTrue(NativeDecompression.decompress(list, codec));
    }
    assertEquals(Uids.EXPLICIT_VR_LITTLE_ENDIAN, Attribute.getSingleStringValueOrNull(list, TagFromName.TransferSyntaxUID));
    assertArrayEquals(uncompressed("MR_small.dcm"), list.get(TagFromName.PixelData).getShortValues());
  }

  /**
   * Debian's GDCM asserts, and an assertion aborts its process: a data set declaring other
   * dimensions than its codestream does that. It costs that frame, not the codec.
   */
  @Test
  void aCodestreamThatAbortsItsHelperFailsAloneAndTheNextFrameDecodes() throws Exception {
    byte[] ls = codestream("MR_small_jpeg_ls_lossless.dcm");
    try (NativeCodec codec = new NativeCodec(1)) {
      FrameFormat lying = new FrameFormat(128, 128, 1, 16, 16, 1, 0, "MONOCHROME2");

      CodecException e = assertThrows(CodecException.class, () -> codec.decode(JPEG_LS, lying, ls));

      assertTrue(e.getMessage().contains("codec helper ended"), e.getMessage());
      NativeCodec.Frame frame = codec.decode(JPEG_LS, MR_SMALL, ls);
      assertEquals(64 * 64 * 2, frame.pixels().length);
      assertEquals(1, codec.started(), "the aborted helper was replaced by one");
    }
  }

  @Test
  void aBrokenCodestreamIsAnErrorAndKeepsItsHelper() throws Exception {
    byte[] ls = codestream("MR_small_jpeg_ls_lossless.dcm");
    try (NativeCodec codec = new NativeCodec(1)) {
      CodecException e = assertThrows(CodecException.class, () -> codec.decode(JPEG_LS, MR_SMALL, new byte[100]));

      assertTrue(e.getMessage().contains("GDCM could not decode"), e.getMessage());
      assertEquals(64 * 64 * 2, codec.decode(JPEG_LS, MR_SMALL, ls).pixels().length);
    }
  }

  @Test
  void formatsOutsideWhatImagoDecodesAreRefusedWithoutStartingAHelper() throws Exception {
    try (NativeCodec codec = new NativeCodec(1)) {
      for (FrameFormat f : new FrameFormat[] {
          new FrameFormat(0, 64, 1, 16, 16, 0, 0, "MONOCHROME2"),
          new FrameFormat(64, 64, 2, 16, 16, 0, 0, "MONOCHROME2"),
          new FrameFormat(64, 64, 1, 12, 12, 0, 0, "MONOCHROME2"),
          new FrameFormat(64, 64, 1, 16, 17, 0, 0, "MONOCHROME2"),
          new FrameFormat(64, 64, 1, 16, 16, 0, 0, "")}) {
        CodecException e = assertThrows(CodecException.class, () -> codec.decode(JPEG_LS, f, new byte[10]));
        assertTrue(e.getMessage().startsWith("not decoded: "), e.getMessage());
      }
      CodecException e = assertThrows(CodecException.class,
          () -> codec.decode("1.2.840.10008.1.2.4.100", MR_SMALL, new byte[10])); // MPEG-2
      assertTrue(e.getMessage().contains("not a syntax"), e.getMessage());
      assertEquals(0, codec.started());
    }
  }

  @Test
  void twelveBitJpegExtendedDecodes() throws Exception {
    AttributeList list = read("JPEG-lossy.dcm", false);
    try (NativeCodec codec = new NativeCodec(1)) {
      assertTrue(NativeDecompression.decompress(list, codec));
    }
    short[] values = list.get(TagFromName.PixelData).getShortValues();
    assertEquals(1024 * 256, values.length);
    assertTrue(Arrays.stream(toInts(values)).allMatch(v -> v >= 0 && v < 4096), "12-bit values");
  }

  private static int[] toInts(short[] s) {
    int[] out = new int[s.length];
    for (int i = 0; i < s.length; i++) out[i] = s[i] & 0xffff;
    return out;
  }
}
