package imago.inference.pipeline;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.display.SourceImage;
import imago.core.dicom.PixelLimits;
import imago.core.dicom.codec.CodecException;
import imago.core.dicom.codec.NativeCodec;
import imago.core.dicom.codec.NativeDecompression;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

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
    AttributeList list = read(part10);
    String transferSyntax = transferSyntax(list);
    try {
      NativeDecompression.decompress(list, codec);
    } catch (CodecException e) {
      throw new NotDecodableException(transferSyntax, "GDCM cannot decode it: " + e.getMessage(), e);
    }
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
   * PixelMed reports a file it cannot parse with DicomException, IOException or a runtime
   * exception alike: only a failure of the stream itself stays an IOException, everything else
   * is the file's fault and becomes {@link NotDecodableException}.
   */
  private static AttributeList read(InputStream part10) throws NotDecodableException, IOException {
    AttributeList list = new AttributeList();
    WatchedStream source = new WatchedStream(part10);
    try {
      // The header is read first through a recording tee, then the whole object from the recording and the rest.
      java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
      String syntax = refuseOversized(new BufferedInputStream(new Recording(source, seen)));
      // PixelMed has no reader for these: it keeps their codestreams, which GDCM then decodes
      if (NativeDecompression.needed(syntax)) list.setDecompressPixelData(false);
      InputStream whole = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(seen.toByteArray()), source);
      list.read(new DicomInputStream(new BufferedInputStream(whole)));
    } catch (DicomException | IOException | RuntimeException e) {
      if (source.failure != null) {
        throw source.failure;
      }
      throw new NotDecodableException(transferSyntax(list), "PixelMed cannot read it: " + e.getMessage(), e);
    }
    return list;
  }

  /** How far the header (everything before Pixel Data) may reach: the size check keeps it to read it twice. */
  private static final int HEADER_LIMIT = 64 << 20; // enhanced multi-frame headers run to megabytes

  /** Copies what is read through it, up to {@link #HEADER_LIMIT}. */
  private static final class Recording extends FilterInputStream {
    private final java.io.ByteArrayOutputStream copy;

    Recording(InputStream in, java.io.ByteArrayOutputStream copy) {
      super(in);
      this.copy = copy;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        if (copy.size() + n > HEADER_LIMIT) throw new IOException("a header of more than " + HEADER_LIMIT + " bytes");
        copy.write(b, off, n);
      }
      return n;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  /**
   * Reads the header up to Pixel Data and refuses an image whose declared size is past
   * {@link PixelLimits}: PixelMed decompresses while it reads, into arrays of the declared size.
   * Returns the header's transfer syntax.
   */
  private static String refuseOversized(InputStream in) throws NotDecodableException, DicomException, IOException {
    AttributeList header = new AttributeList();
    header.read(new DicomInputStream(in), TagFromName.PixelData);
    java.util.Optional<String> refused = PixelLimits.refuse(
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Rows, 0),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Columns, 0),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.SamplesPerPixel, 1),
        Attribute.getSingleIntegerValueOrDefault(header, TagFromName.NumberOfFrames, 1));
    if (refused.isPresent()) throw new NotDecodableException(transferSyntax(header), refused.get());
    return transferSyntax(header);
  }

  /** Remembers whether the underlying stream failed, as opposed to PixelMed rejecting its bytes. */
  private static final class WatchedStream extends FilterInputStream {
    private IOException failure;

    WatchedStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }
  }

  private static List<float[]> frames(AttributeList list, PixelModule module, double slope, double intercept,
      String transferSyntax) throws NotDecodableException {
    List<float[]> frames = new ArrayList<>(module.frames());
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
