package imago.node.dicomweb.wado;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Renders one frame to a consumer image (PS3.18 §8.3.5, PS3.4 Annex N in brief): Modality LUT
 * (rescale), VOI window (the request's, else the data set's first, else the frame's range), 8-bit
 * grayscale with MONOCHROME1 inverted; color as it is. Then scaled to fit the viewport, keeping
 * the aspect ratio, and encoded as JPEG, PNG or GIF.
 */
final class Renderer {
  private Renderer() {}

  static byte[] render(Pixels pixels, PixelLayout layout, Rendering rendering) throws IOException {
    BufferedImage image = pixels.gray() != null ? gray(pixels, layout, rendering.window()) : rgb(pixels.color());
    image = fit(image, rendering.viewportWidth(), rendering.viewportHeight());
    return encode(image, rendering.mediaType(), rendering.quality());
  }

  private static BufferedImage gray(Pixels p, PixelLayout layout, Rendering.Window requested) {
    double slope = layout.rescaleSlope() == 0 ? 1 : layout.rescaleSlope();
    double intercept = layout.rescaleIntercept();
    Rendering.Window w = requested != null ? requested : stored(layout);
    int[] v = p.gray();
    if (w == null) {
      int min = Integer.MAX_VALUE;
      int max = Integer.MIN_VALUE;
      for (int x : v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      double lo = min * slope + intercept;
      double hi = max * slope + intercept;
      if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
      }
      w = new Rendering.Window((lo + hi) / 2 + 0.5, Math.max(1, hi - lo + 1), Rendering.Function.LINEAR);
    }
    boolean invert = "MONOCHROME1".equals(layout.photometricInterpretation());
    BufferedImage out = new BufferedImage(p.width(), p.height(), BufferedImage.TYPE_BYTE_GRAY);
    byte[] dst = ((java.awt.image.DataBufferByte) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < v.length; i++) {
      int y = voi(v[i] * slope + intercept, w);
      dst[i] = (byte) (invert ? 255 - y : y);
    }
    return out;
  }

  private static Rendering.Window stored(PixelLayout layout) {
    if (layout.windowCenter().length == 0 || layout.windowWidth().length == 0 || !(layout.windowWidth()[0] > 0)) {
      return null;
    }
    Rendering.Function f = Rendering.function(layout.voiLutFunction());
    return new Rendering.Window(layout.windowCenter()[0], layout.windowWidth()[0], f == null ? Rendering.Function.LINEAR : f);
  }

  /** PS3.3 C.11.2.1.2 (LINEAR, LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID), output range 0..255. */
  static int voi(double x, Rendering.Window w) {
    double c = w.center();
    double width = w.width();
    double y;
    switch (w.function()) {
      case LINEAR_EXACT -> y = x <= c - width / 2 ? 0 : x > c + width / 2 ? 255 : ((x - c) / width + 0.5) * 255;
      case SIGMOID -> y = 255 / (1 + Math.exp(-4 * (x - c) / width));
      default -> {
        double wm1 = Math.max(1, width) - 1;
        if (x <= c - 0.5 - wm1 / 2) y = 0;
        else if (x > c - 0.5 + wm1 / 2) y = 255;
        else y = wm1 == 0 ? 255 : ((x - (c - 0.5)) / wm1 + 0.5) * 255;
      }
    }
    return (int) Math.max(0, Math.min(255, Math.round(y)));
  }

  private static BufferedImage rgb(BufferedImage color) {
    if (color.getType() == BufferedImage.TYPE_INT_RGB) return color;
    BufferedImage out = new BufferedImage(color.getWidth(), color.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.drawImage(color, 0, 0, null);
    g.dispose();
    return out;
  }

  /** How much a viewport may enlarge an image (PS3.18 leaves it to the origin server). */
  static final double MAX_UPSCALE = 2;

  /** Scaled to fit within vw x vh with its aspect ratio kept; a 0 dimension follows the other. */
  static BufferedImage fit(BufferedImage image, int vw, int vh) {
    if (vw <= 0 && vh <= 0) return image;
    double sx = vw > 0 ? (double) vw / image.getWidth() : Double.MAX_VALUE;
    double sy = vh > 0 ? (double) vh / image.getHeight() : Double.MAX_VALUE;
    // At most MAX_UPSCALE times the source: a 32 x 32 image asked for at 8192 x 8192 is not 200 MB of pixels.
    double s = Math.min(Math.min(sx, sy), MAX_UPSCALE);
    int w = Math.max(1, (int) Math.round(image.getWidth() * s));
    int h = Math.max(1, (int) Math.round(image.getHeight() * s));
    if (w == image.getWidth() && h == image.getHeight()) return image;
    BufferedImage out = new BufferedImage(w, h, image.getType());
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
        s < 1 ? RenderingHints.VALUE_INTERPOLATION_BILINEAR : RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(image, 0, 0, w, h, null);
    g.dispose();
    return out;
  }

  static byte[] encode(BufferedImage image, String mediaType, int quality) throws IOException {
    String format = switch (mediaType) {
      case Rendering.PNG -> "png";
      case Rendering.GIF -> "gif";
      default -> "jpeg";
    };
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
    if (!writers.hasNext()) throw new IOException("no ImageIO writer for " + format);
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      if (format.equals("jpeg")) {
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality / 100f);
      }
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
