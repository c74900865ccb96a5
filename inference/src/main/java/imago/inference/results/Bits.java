package imago.inference.results;

/**
 * 1-bit pixel packing for BINARY segmentations (PS3.5 8.1.1 and PS3.3 C.8.20.2.1): pixels in
 * row-major order, eight to a byte with the first pixel in the least significant bit, and the
 * frames one after another without padding between them (only the whole value is padded to
 * an even length).
 */
final class Bits {
  private Bits() {}

  static byte[] pack(boolean[][] frames, int pixelsPerFrame) {
    long bits = (long) frames.length * pixelsPerFrame;
    long bytes = (bits + 7) / 8;
    if (bytes + (bytes & 1) > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("segmentation too large");
    byte[] out = new byte[(int) (bytes + (bytes & 1))];
    long g = 0;
    for (boolean[] frame : frames) {
      for (int p = 0; p < pixelsPerFrame; p++, g++) {
        if (frame[p]) out[(int) (g >>> 3)] |= (byte) (1 << (g & 7));
      }
    }
    return out;
  }

  /** The inverse of {@link #pack}: frame {@code frame} (0-based) as booleans. */
  static boolean[] unpack(byte[] packed, int frame, int pixelsPerFrame) {
    boolean[] out = new boolean[pixelsPerFrame];
    long g = (long) frame * pixelsPerFrame;
    for (int p = 0; p < pixelsPerFrame; p++, g++) out[p] = (packed[(int) (g >>> 3)] & (1 << (g & 7))) != 0;
    return out;
  }
}
