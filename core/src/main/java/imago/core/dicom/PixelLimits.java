package imago.core.dicom;

import java.util.Optional;

/**
 * How much pixel data Imago decodes from one instance. Decoders (PixelMed's above all) allocate
 * Rows x Columns x Samples per Pixel x Number of Frames values before they decode, whatever the
 * compressed stream holds: a few kilobytes of JPEG whose header declares 65535 x 65535 x 1000
 * frames would take the process's memory. So the declared size is checked from the header first,
 * for WADO and for inference alike.
 */
public final class PixelLimits {
  private PixelLimits() {}

  /** 256 Mi samples: a 1000-frame 512 x 512 CT series in one object fits; 1 GiB as ints. */
  public static final long MAX_DECODED_SAMPLES = 256L << 20;

  /** Why an image of this declared size is not decoded; empty when it may be. */
  public static Optional<String> refuse(long rows, long columns, long samplesPerPixel, long frames) {
    long samples;
    try {
      samples = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(Math.max(rows, 0), Math.max(columns, 0)),
          Math.max(samplesPerPixel, 1)), Math.max(frames, 1));
    } catch (ArithmeticException overflow) {
      samples = Long.MAX_VALUE;
    }
    if (samples <= MAX_DECODED_SAMPLES) return Optional.empty();
    return Optional.of("its header declares " + rows + " x " + columns + " x " + Math.max(samplesPerPixel, 1)
        + " samples x " + Math.max(frames, 1) + " frames, more than the " + MAX_DECODED_SAMPLES
        + " samples Imago decodes from one instance");
  }
}
