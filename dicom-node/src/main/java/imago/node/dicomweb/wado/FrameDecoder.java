package imago.node.dicomweb.wado;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.display.SourceImage;
import imago.core.dicom.PixelLimits;
import imago.core.dicom.Uids;
import imago.core.dicom.codec.CodecException;
import imago.core.dicom.codec.NativeCodec;
import imago.core.dicom.codec.NativeDecompression;
import java.util.Optional;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.List;

/**
 * Decodes frames PixelMed's way, for what the byte-range path cannot serve: compressed syntaxes
 * (JPEG, JPEG 2000, RLE), big endian, deflated; JPEG-LS and 12-bit JPEG Extended, which PixelMed
 * has no reader for, through GDCM in the codec helper processes ({@link NativeCodec}). Reads the
 * whole instance into memory, so it is the slow path.
 */
final class FrameDecoder {
  private FrameDecoder() {}

  /** Thrown when neither PixelMed nor GDCM decodes the instance's pixel data, or the limits refuse it. */
  static final class UndecodableException extends Exception {
    UndecodableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Frame {@code n} (1-based) of a whole PS3.10 object. */
  static Pixels decode(byte[] part10, PixelLayout layout, int n) throws UndecodableException {
    return open(part10, layout).frame(n);
  }

  /** One object read and decoded once, whatever frames are then taken from it. */
  static final class Decoded {
    private final SourceImage source; // PixelMed's frames, or null
    private final NativeDecompression.Pixels decoded; // GDCM's frames, read as native ones, or null
    private final PixelLayout layout;

    private Decoded(SourceImage source, NativeDecompression.Pixels decoded, PixelLayout layout) {
      this.source = source;
      this.decoded = decoded;
      this.layout = layout;
    }

    /** Frame {@code n} (1-based). */
    Pixels frame(int n) throws UndecodableException {
      try {
        if (decoded == null) return FrameDecoder.frame(source, layout, n);
        if (n < 1 || n > decoded.frames()) throw new UndecodableException("no frame " + n, null);
        int size = (int) decoded.format().frameBytes();
        return Pixels.fromNative(layout, java.util.Arrays.copyOfRange(decoded.bytes(), (n - 1) * size, n * size));
      } catch (RuntimeException e) {
        throw new UndecodableException("cannot decode " + layout.transferSyntaxUid() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Reads and decodes {@code part10} (PixelMed decompresses while it reads; GDCM, in its helper
   * processes, what PixelMed has no reader for or fails on), after checking the size its header
   * declares against {@link PixelLimits}: a bomb is refused, not decoded.
   */
  static Decoded open(byte[] part10, PixelLayout layout) throws UndecodableException {
    Optional<String> refused = PixelLimits.refuse(layout.rows(), layout.columns(), layout.samplesPerPixel(),
        layout.numberOfFrames());
    if (refused.isPresent()) throw new UndecodableException("not decoded: " + refused.get(), null);
    String ts = layout.transferSyntaxUid();
    if (NativeDecompression.needed(ts)) {
      try {
        return byGdcm(part10, layout);
      } catch (CodecException | IOException | DicomException | RuntimeException e) {
        throw new UndecodableException("cannot decode " + ts + " with GDCM: " + e.getMessage(), e);
      }
    }
    try {
      return new Decoded(new SourceImage(NativeDecompression.parse(part10, true)), null, layout);
    } catch (IOException | DicomException | RuntimeException e) {
      if (!NativeDecompression.fallback(ts)) throw new UndecodableException("cannot decode " + ts + ": " + e.getMessage(), e);
      try {
        return byGdcm(part10, layout);
      } catch (CodecException | IOException | DicomException | RuntimeException again) {
        throw new UndecodableException("cannot decode " + ts + ": PixelMed: " + e.getMessage() + "; GDCM: "
            + again.getMessage(), again);
      }
    }
  }

  /**
   * GDCM's frames: read as native frames when {@link Pixels#fromNative} reads their layout (32-bit
   * samples included, which PixelMed's SourceImage does not), through PixelMed's SourceImage otherwise.
   */
  private static Decoded byGdcm(byte[] part10, PixelLayout layout) throws IOException, DicomException, CodecException {
    AttributeList list = NativeDecompression.parse(part10, false);
    NativeDecompression.Pixels decoded = NativeDecompression.decode(list, NativeCodec.shared());
    if (decoded == null) throw new CodecException("GDCM found no encapsulated Pixel Data");
    PixelLayout asNative = new PixelLayout(Uids.EXPLICIT_VR_LITTLE_ENDIAN, layout.rows(), layout.columns(),
        layout.bitsAllocated(), layout.bitsStored(), layout.pixelRepresentation(), layout.samplesPerPixel(),
        decoded.planarConfiguration(), decoded.photometric(), decoded.frames(), layout.windowCenter(),
        layout.windowWidth(), layout.rescaleSlope(), layout.rescaleIntercept(), layout.voiLutFunction(), 0,
        decoded.bytes().length, List.of(), new long[0]);
    if (Pixels.nativeSupported(asNative)) return new Decoded(null, decoded, asNative);
    NativeDecompression.replace(list, decoded);
    return new Decoded(new SourceImage(list), null, layout);
  }

  private static Pixels frame(SourceImage source, PixelLayout layout, int n) throws UndecodableException {
    if (n < 1 || n > source.getNumberOfBufferedImages()) {
      throw new UndecodableException("no frame " + n, null);
    }
    BufferedImage image = source.getBufferedImage(n - 1);
    if (image == null) throw new UndecodableException("PixelMed gave no image", null);
    Raster raster = image.getRaster();
    if (raster.getNumBands() != 1) return new Pixels(image.getWidth(), image.getHeight(), null, image);
    int[] values = raster.getSamples(0, 0, raster.getWidth(), raster.getHeight(), 0, (int[]) null);
    // PixelMed keeps signed samples as their unsigned bit pattern
    int bits = Math.max(1, Math.min(layout.bitsStored(), raster.getSampleModel().getSampleSize(0)));
    int mask = bits >= 32 ? -1 : (1 << bits) - 1;
    for (int i = 0; i < values.length; i++) {
      int v = values[i] & mask;
      values[i] = layout.pixelRepresentation() == 1 && bits < 32 ? (v << (32 - bits)) >> (32 - bits) : v;
    }
    return new Pixels(raster.getWidth(), raster.getHeight(), values, null);
  }
}
