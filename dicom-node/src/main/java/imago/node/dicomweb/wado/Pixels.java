package imago.node.dicomweb.wado;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;

/**
 * One frame's pixels ready to render or to send uncompressed: grayscale frames as stored values
 * (sign-extended, before the Modality LUT), color frames as an image. Exactly one of {@code gray}
 * and {@code color} is set.
 */
record Pixels(int width, int height, int[] gray, BufferedImage color) {

  /** From a native little endian frame of {@code layout} (MONOCHROME1/2, or 8-bit RGB / YBR_FULL). */
  static Pixels fromNative(PixelLayout layout, byte[] frame) {
    int w = layout.columns();
    int h = layout.rows();
    int n = w * h;
    if (layout.samplesPerPixel() == 1) {
      int[] values = new int[n];
      int bits = layout.bitsStored();
      int mask = bits >= 32 ? -1 : (1 << bits) - 1;
      boolean signed = layout.pixelRepresentation() == 1;
      int bytes = layout.bitsAllocated() / 8;
      for (int i = 0; i < n; i++) {
        int v;
        int at = i * bytes;
        if (bytes == 1) {
          v = frame[at] & 0xFF;
        } else if (bytes == 2) {
          v = (frame[at] & 0xFF) | ((frame[at + 1] & 0xFF) << 8);
        } else {
          v = (frame[at] & 0xFF) | ((frame[at + 1] & 0xFF) << 8) | ((frame[at + 2] & 0xFF) << 16) | (frame[at + 3] << 24);
        }
        v &= mask;
        if (signed && bits < 32) v = (v << (32 - bits)) >> (32 - bits);
        values[i] = v;
      }
      return new Pixels(w, h, values, null);
    }
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    boolean planar = layout.planarConfiguration() == 1;
    boolean ybr = "YBR_FULL".equals(layout.photometricInterpretation());
    int bytes = layout.bitsAllocated() / 8;
    for (int i = 0; i < n; i++) {
      int a = planar ? sample8(frame, i, bytes, layout) : sample8(frame, 3 * i, bytes, layout);
      int b = planar ? sample8(frame, n + i, bytes, layout) : sample8(frame, 3 * i + 1, bytes, layout);
      int c = planar ? sample8(frame, 2 * n + i, bytes, layout) : sample8(frame, 3 * i + 2, bytes, layout);
      if (ybr) {
        // PS3.3 C.7.6.3.1.2: YBR_FULL to RGB
        double y = a;
        double cb = b - 128.0;
        double cr = c - 128.0;
        a = clamp(y + 1.402 * cr);
        b = clamp(y - 0.344136 * cb - 0.714136 * cr);
        c = clamp(y + 1.772 * cb);
      }
      rgb.setRGB(i % w, i / w, (a << 16) | (b << 8) | c);
    }
    return new Pixels(w, h, null, rgb);
  }

  /** Colour sample {@code k} (of {@code bytes} bytes each) as 8 bits: its top 8 of Bits Stored. */
  private static int sample8(byte[] frame, int k, int bytes, PixelLayout layout) {
    if (bytes == 1) return frame[k] & 0xFF;
    int at = k * bytes;
    long v = 0;
    for (int j = bytes - 1; j >= 0; j--) v = (v << 8) | (frame[at + j] & 0xFF);
    int shift = Math.max(0, Math.min(layout.bitsStored(), 8 * bytes) - 8);
    return (int) ((v >>> shift) & 0xFF);
  }

  /** Whether {@link #fromNative} can read frames of this layout. */
  static boolean nativeSupported(PixelLayout layout) {
    if (layout.bitsAllocated() % 8 != 0 || layout.bitsAllocated() > 32 || layout.nativeFrameLength() <= 0) return false;
    if (layout.samplesPerPixel() == 1) return layout.monochrome();
    if (layout.samplesPerPixel() != 3) return false;
    // YBR_FULL's chroma is centred on 128 at 8 bits only; RGB of 16 or 32 bits is shown by its top 8 bits
    return "RGB".equals(layout.photometricInterpretation())
        || layout.bitsAllocated() == 8 && "YBR_FULL".equals(layout.photometricInterpretation());
  }

  /** The frame as uncompressed little endian bytes, {@code bitsAllocated} per sample, color interleaved (RGB). */
  byte[] toLittleEndian(int bitsAllocated) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(width * height * Math.max(1, bitsAllocated / 8));
    if (gray != null) {
      for (int v : gray) {
        out.write(v);
        if (bitsAllocated > 8) out.write(v >> 8);
        if (bitsAllocated > 16) {
          out.write(v >> 16);
          out.write(v >> 24);
        }
      }
      return out.toByteArray();
    }
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = color.getRGB(x, y);
        out.write(p >> 16);
        out.write(p >> 8);
        out.write(p);
      }
    }
    return out.toByteArray();
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
