package imago.inference.pipeline;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.display.SourceImage;
import imago.core.dicom.PixelLimits;
import imago.core.dicom.codec.CodecException;
import imago.core.dicom.codec.NativeCodec;
import imago.core.dicom.codec.NativeDecompression;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Decodes with PixelMed: {@link AttributeList} reads the file (decompressing RLE, JPEG lossless
 * and JPEG 2000 on the way, the latter two through PixelMed's and jai-imageio's ImageIO readers)
 * and {@link SourceImage} hands out each frame. What PixelMed has no reader for (JPEG-LS lossless
 * and near-lossless, 12-bit JPEG Extended: {@link NativeCodec#SYNTAXES}) is read undecompressed
 * and its frames decoded by GDCM in the codec helper processes first.
 *
 * <p>Measured with PixelMed 20220618, pixelmed-imageio 20200328, jai-imageio 1.4.0 and GDCM
 * 3.0.21 (DecoderTransferSyntaxTest): Explicit and Implicit VR Little Endian, Deflated, RLE
 * Lossless, JPEG Lossless (Process 14, SV1 and other predictors), JPEG 2000 Lossless and JPEG-LS
 * Lossless decode to the stored values, 12-bit signed included; JPEG-LS near-lossless within its
 * NEAR bound. A truncated file, or a JPEG stream cut short, leaves no Pixel Data and is caught; a
 * corrupt RLE stream of the right length decodes to wrong values undetected.
 */
public final class PixelMedDecoder implements Decoder {
  private final NativeCodec codec;

  /** A decoder whose GDCM frames go to the process's shared codec helpers. */
  public PixelMedDecoder() {
    this(NativeCodec.shared());
  }

  public PixelMedDecoder(NativeCodec codec) {
    this.codec = codec;
  }

  @Override
  public DecodedImage decode(InputStream part10) throws NotDecodableException, IOException {
    byte[] bytes = part10.readAllBytes(); // only the stream's own failure is an IOException
    String transferSyntax = refuseOversized(bytes);
    AttributeList list = read(bytes, transferSyntax);
    PixelModule module = PixelModule.of(list, transferSyntax);
    double slope = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleSlope, 1);
    double intercept = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleIntercept, 0);
    if (slope == 0 || !Double.isFinite(slope) || !Double.isFinite(intercept)) {
      throw new NotDecodableException(transferSyntax, "Rescale Slope " + slope + " / Intercept " + intercept
          + " cannot map stored values to modality values");
    }
    List<float[]> frames = frames(list, module, slope, intercept, transferSyntax);
    return new DecodedImage(text(list, TagFromName.SOPInstanceUID), text(list, TagFromName.SeriesInstanceUID),
        module.rows(), module.columns(), frames, module.photometric(),
        doubles(list, TagFromName.ImagePositionPatient, 3), doubles(list, TagFromName.ImageOrientationPatient, 6),
        integer(list, TagFromName.InstanceNumber), slope, intercept);
  }

  /**
   * Reads the file with its pixels decompressed: by PixelMed while it reads, or by GDCM (in the
   * codec helpers) for what PixelMed has no reader for and for the encapsulated syntaxes PixelMed
   * fails on. PixelMed reports a file it cannot parse with DicomException, IOException or a runtime
   * exception alike: all are the file's fault here, and become {@link NotDecodableException}.
   */
  private AttributeList read(byte[] part10, String syntax) throws NotDecodableException {
    try {
      return NativeDecompression.readNative(part10, syntax, codec);
    } catch (CodecException e) {
      String who = NativeDecompression.needed(syntax) ? "GDCM cannot decode it: " : "neither PixelMed nor GDCM reads it: ";
      throw new NotDecodableException(syntax, who + e.getMessage(), e);
    } catch (DicomException | IOException | RuntimeException e) {
      throw new NotDecodableException(syntax, "PixelMed cannot read it: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the header up to Pixel Data and refuses an image whose declared size is past
   * {@link PixelLimits}: decoders decompress into arrays of the declared size. Returns the
   * header's transfer syntax.
   */
  private static String refuseOversized(byte[] part10) throws NotDecodableException {
    AttributeList header = new AttributeList();
    try {
      header.read(new DicomInputStream(new ByteArrayInputStream(part10)), TagFromName.PixelData);
    } catch (DicomException | IOException | RuntimeException e) {
      throw new NotDecodableException(transferSyntax(header), "PixelMed cannot read it: " + e.getMessage(), e);
    }
    java.util.Optional<String> refused = PixelLimits.refuse(
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Rows, 0),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Columns, 0),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.SamplesPerPixel, 1),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.NumberOfFrames, 1));
    if (refused.isPresent()) throw new NotDecodableException(transferSyntax(header), refused.get());
    return transferSyntax(header);
  }

  private static List<float[]> frames(AttributeList list, PixelModule module, double slope, double intercept,
      String transferSyntax) throws NotDecodableException {
    List<float[]> frames = new ArrayList<>(module.frames());
    if (words(list.getPixelData(), module, slope, intercept, frames)) return frames;
    try {
      SourceImage source = new SourceImage(list);
      int[] raw = new int[module.frameSize()];
      for (int f = 0; f < module.frames(); f++) {
        BufferedImage image = source.getBufferedImage(f);
        if (image == null || image.getWidth() != module.columns() || image.getHeight() != module.rows()) {
          throw new NotDecodableException(transferSyntax, "frame " + (f + 1) + " did not decode to "
              + module.columns() + "x" + module.rows());
        }
        image.getRaster().getSamples(0, 0, module.columns(), module.rows(), 0, raw);
        float[] values = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
          // PS3.3 C.11.1: modality value = stored value * slope + intercept
          values[i] = (float) (module.storedValue(raw[i]) * slope + intercept);
        }
        frames.add(values);
      }
    } catch (DicomException | RuntimeException e) {
      throw new NotDecodableException(transferSyntax, "pixel data cannot be decoded: " + e.getMessage(), e);
    }
    return frames;
  }

  /**
   * The common case without a detour through a BufferedImage: native pixels PixelMed holds as one
   * array of words (OW, 16 bits) or bytes (OB, 8 bits), read straight into frames. False, with
   * nothing added, for any other layout (per-frame arrays, pixel data left on disk), which
   * {@link SourceImage} then hands out.
   */
  private static boolean words(Attribute pixelData, PixelModule module, double slope, double intercept,
      List<float[]> frames) {
    int size = module.frameSize();
    try {
      IntUnaryOperator raw; // the raw sample at a flat index, as an unsigned word or byte
      int length;
      if (module.bitsAllocated() == 16 && pixelData != null && pixelData.getClass() == OtherWordAttribute.class) {
        short[] words = pixelData.getShortValues();
        raw = i -> words[i] & 0xFFFF;
        length = words.length;
      } else if (module.bitsAllocated() == 8 && pixelData != null && pixelData.getClass() == OtherByteAttribute.class) {
        byte[] bytes = pixelData.getByteValues();
        raw = i -> bytes[i] & 0xFF;
        length = bytes.length;
      } else {
        return false;
      }
      if (length < (long) size * module.frames()) return false;
      for (int f = 0; f < module.frames(); f++) {
        float[] values = new float[size];
        for (int i = 0, o = f * size; i < size; i++) {
          values[i] = (float) (module.storedValue(raw.applyAsInt(o + i)) * slope + intercept);
        }
        frames.add(values);
      }
      return true;
    } catch (DicomException | RuntimeException e) {
      frames.clear(); // SourceImage gets its turn, and reports what is wrong
      return false;
    }
  }

  private static String transferSyntax(AttributeList list) {
    return Attribute.getSingleStringValueOrNull(list, TagFromName.TransferSyntaxUID);
  }

  private static String text(AttributeList list, AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(list, tag).trim();
  }

  private static double[] doubles(AttributeList list, AttributeTag tag, int count) {
    double[] values = Attribute.getDoubleValues(list, tag);
    return values != null && values.length == count ? values : null;
  }

  private static Integer integer(AttributeList list, AttributeTag tag) {
    Attribute attribute = list.get(tag);
    return attribute == null || attribute.getVM() == 0 ? null : Attribute.getSingleIntegerValueOrDefault(attribute, 0);
  }
}
