package imago.inference.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.TransferSyntax;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What PixelMed (20220618, with pixelmed-imageio and jai-imageio) decodes and what it does not.
 * PixelMed writes the native syntaxes, dcmtk the compressed ones, jai-imageio JPEG 2000.
 */
class DecoderTransferSyntaxTest {

  private static final int ROWS = 48;
  private static final int COLUMNS = 64;

  @TempDir
  Path dir;

  /** One syntax as written by PixelMed or dcmtk from the Explicit VR Little Endian original. */
  private Path encode(TestImage image, String syntax) throws Exception {
    Path original = image.write(dir.resolve("original.dcm"), TransferSyntax.ExplicitVRLittleEndian);
    Path out = dir.resolve(syntax + ".dcm");
    switch (syntax) {
      case "explicit-le" -> Files.copy(original, out);
      case "implicit-le" -> image.write(out, TransferSyntax.ImplicitVRLittleEndian);
      case "deflated" -> image.write(out, TransferSyntax.DeflatedExplicitVRLittleEndian);
      case "rle" -> dcmtk("dcmcrle", original, out);
      case "jpeg-lossless-sv1" -> dcmtk("dcmcjpeg", original, out, "+e1");
      case "jpeg-lossless-sv6" -> dcmtk("dcmcjpeg", original, out, "+el", "+sv", "6");
      case "jpeg2000-lossless" -> image.writeJpeg2000Lossless(out);
      case "jpeg-ls" -> dcmtk("dcmcjpls", original, out);
      case "jpeg-ls-near" -> dcmtk("dcmcjpls", original, out, "+en");
      case "jpeg-extended-12bit" -> dcmtk("dcmcjpeg", original, out, "+ee");
      default -> throw new IllegalArgumentException(syntax);
    }
    return out;
  }

  /**
   * Runs a dcmtk encoder as {@code tool [args] in out}. Not through core's Dcmtk fixture: this
   * module would then build against whichever core test-jar the shared local repository holds.
   */
  private void dcmtk(String tool, Path in, Path out, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(tool));
    command.addAll(List.of(args));
    command.addAll(List.of(in.toString(), out.toString()));
    Path log = dir.resolve(tool + ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = process.waitFor(60, TimeUnit.SECONDS);
    if (!done) {
      process.destroyForcibly();
    }
    assertTrue(done && process.exitValue() == 0, command + " failed: " + Files.readString(log));
  }

  private static DecodedImage decode(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return new PixelMedDecoder().decode(in);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"explicit-le", "implicit-le", "deflated", "rle", "jpeg-lossless-sv1", "jpeg-lossless-sv6",
      "jpeg2000-lossless", "jpeg-ls"})
  void losslessSyntaxesDecodeToTheStoredValues(String syntax) throws Exception {
    short[] pixels = gradient12(ROWS, COLUMNS, 0);
    DecodedImage image = decode(encode(TestImage.cr12("2.25.1", ROWS, COLUMNS, pixels), syntax));

    assertEquals(ROWS, image.rows());
    assertEquals(COLUMNS, image.columns());
    assertEquals("2.25.1", image.sopInstanceUid());
    assertEquals(TestImage.SERIES_UID, image.seriesInstanceUid());
    assertEquals("MONOCHROME2", image.photometric());
    assertEquals(1, image.frames().size());
    assertArrayEquals(floats(pixels, 1, 0), image.frames().get(0), syntax);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"explicit-le", "rle", "jpeg-ls"})
  void signedValuesAreSignExtendedAndRescaled(String syntax) throws Exception {
    short[] pixels = new short[ROWS * COLUMNS];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (short) ((i * 97) % 4096 - 2048);
    }
    TestImage ct = new TestImage("2.25.2", ROWS, COLUMNS, 12, true, "MONOCHROME2", null, pixels)
        .withRescale(2, -1024);

    DecodedImage image = decode(encode(ct, syntax));

    assertArrayEquals(floats(pixels, 2, -1024), image.frames().get(0), syntax);
    assertArrayEquals(floats(pixels, 1, 0), toFloats(image.values(0, false)), "stored values back");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"explicit-le", "rle", "jpeg-ls"})
  void everyFrameOfAMultiFrameImageIsDecoded(String syntax) throws Exception {
    short[] first = gradient12(ROWS, COLUMNS, 0);
    short[] second = gradient12(ROWS, COLUMNS, 1000);
    TestImage image = new TestImage("2.25.3", ROWS, COLUMNS, 12, false, "MONOCHROME1", null, first, second);

    DecodedImage decoded = decode(encode(image, syntax));

    assertEquals(2, decoded.frames().size());
    assertArrayEquals(floats(first, 1, 0), decoded.frames().get(0));
    assertArrayEquals(floats(second, 1, 0), decoded.frames().get(1));
    assertTrue(decoded.monochrome1(), "MONOCHROME1 is reported, the values are left as stored");
  }

  @Test
  void jpegLsNearLosslessStaysWithinItsDeviation() throws Exception {
    short[] pixels = gradient12(ROWS, COLUMNS, 0);
    DecodedImage image = decode(encode(TestImage.cr12("2.25.4", ROWS, COLUMNS, pixels), "jpeg-ls-near"));

    float[] expected = floats(pixels, 1, 0);
    float[] decoded = image.frames().get(0);
    float worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - decoded[i]));
    }
    assertTrue(worst <= 2, "dcmcjpls +en encodes with NEAR 2; the worst difference was " + worst);
  }

  /** Lossy 12-bit JPEG has no stored values to match: it must decode as dcmtk's decoder (IJG) decodes it. */
  @Test
  void twelveBitJpegExtendedDecodesAsDcmtkDecodesIt() throws Exception {
    Path jpeg = encode(TestImage.cr12("2.25.4", ROWS, COLUMNS, gradient12(ROWS, COLUMNS, 0)), "jpeg-extended-12bit");
    Path byDcmtk = dir.resolve("dcmdjpeg.dcm");
    dcmtk("dcmdjpeg", jpeg, byDcmtk);

    assertArrayEquals(decode(byDcmtk).frames().get(0), decode(jpeg).frames().get(0));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"explicit-le", "rle", "jpeg-lossless-sv1"})
  void truncatedPixelDataIsNotDecodable(String syntax) throws Exception {
    byte[] whole = Files.readAllBytes(encode(TestImage.cr12("2.25.5", ROWS, COLUMNS, gradient12(ROWS, COLUMNS, 0)),
        syntax));
    byte[] truncated = Arrays.copyOf(whole, whole.length - 700);

    NotDecodableException e = assertThrows(NotDecodableException.class,
        () -> new PixelMedDecoder().decode(new ByteArrayInputStream(truncated)));

    System.out.printf("not-decodable case=truncated-%s message=\"%s\"%n", syntax, e.getMessage());
    assertTrue(e.getMessage().contains("transfer syntax 1.2.840.10008.1.2"), e.getMessage());
    assertTrue(e.getMessage().contains("Pixel Data"), e.getMessage());
  }

  @Test
  void aCompressedImageDeclaringAnEnormousSizeIsRefusedBeforeAnythingIsDecoded() throws Exception {
    Path rle = encode(TestImage.cr12("2.25.9", ROWS, COLUMNS, gradient12(ROWS, COLUMNS, 0)), "rle");
    // A few kilobytes of RLE whose header asks the decoder for 65535 x 65535 x 1000 samples (8 TiB as shorts).
    dcmtk("dcmodify", rle, rle, "-nb", "-m", "(0028,0010)=65535", "-m", "(0028,0011)=65535", "-i", "(0028,0008)=1000");
    NotDecodableException e = assertThrows(NotDecodableException.class, () -> decode(rle));
    assertTrue(e.getMessage().contains("header declares 65535 x 65535"), e.getMessage());
  }

  @Test
  void garbageIsNotDecodable() {
    byte[] garbage = new byte[4096];
    for (int i = 0; i < garbage.length; i++) {
      garbage[i] = (byte) (i * 31 + 7);
    }
    NotDecodableException e = assertThrows(NotDecodableException.class,
        () -> new PixelMedDecoder().decode(new ByteArrayInputStream(garbage)));

    System.out.printf("not-decodable case=garbage message=\"%s\"%n", e.getMessage());
  }

  @Test
  void colourImagesAreNotDecodableForInference() throws Exception {
    TestImage rgb = new TestImage("2.25.6", 2, 2, 8, false, "RGB", null, new short[4]);

    NotDecodableException e = assertThrows(NotDecodableException.class, rgb::decoded);

    assertTrue(e.getMessage().contains("RGB") && e.getMessage().contains("Explicit VR Little Endian"), e.getMessage());
  }

  @Test
  void geometryIsAbsentWhenTheInstanceHasNone() throws Exception {
    DecodedImage image = TestImage.cr12("2.25.7", 2, 2, new short[4]).decoded();

    assertNull(image.imagePositionPatient());
    assertNull(image.imageOrientationPatient());
    assertNull(image.instanceNumber());
  }

  /** A 12-bit pattern that uses the whole range and differs between neighbours. */
  private static short[] gradient12(int rows, int columns, int offset) {
    short[] pixels = new short[rows * columns];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (short) ((i * 37 + offset + (i / columns) * 11) % 4096);
    }
    return pixels;
  }

  private static float[] floats(short[] stored, double slope, double intercept) {
    float[] values = new float[stored.length];
    for (int i = 0; i < stored.length; i++) {
      values[i] = (float) (stored[i] * slope + intercept);
    }
    return values;
  }

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
