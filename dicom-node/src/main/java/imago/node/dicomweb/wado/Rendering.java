package imago.node.dicomweb.wado;

import java.util.Locale;

/**
 * What a rendered or thumbnail request asks for (PS3.18 §8.3.5): the image media type, a VOI
 * window ({@code window=center,width[,function]}), a viewport ({@code viewport=vw,vh}) and a JPEG
 * quality. WADO-URI's rows/columns/windowCenter/windowWidth map onto the same fields.
 */
record Rendering(String mediaType, Window window, int viewportWidth, int viewportHeight, int quality) {
  static final String JPEG = "image/jpeg";
  static final String PNG = "image/png";
  static final String GIF = "image/gif";
  static final int THUMBNAIL_SIZE = 128;

  /** PS3.3 C.11.2.1.3 VOI LUT functions. */
  enum Function { LINEAR, LINEAR_EXACT, SIGMOID }

  record Window(double center, double width, Function function) {}

  /** A request value that cannot be used: a 400 with this message. */
  static final class BadParameterException extends Exception {
    BadParameterException(String message) {
      super(message, null, false, false);
    }
  }

  /** PS3.18 §8.3.5.1.4: {@code window=center,width,function}, function linear | linear-exact | sigmoid. */
  static Window window(String value) throws BadParameterException {
    if (value == null || value.isBlank()) return null;
    String[] p = value.split(",");
    if (p.length < 2 || p.length > 3) throw new BadParameterException("window=center,width[,function]");
    double c;
    double w;
    try {
      c = Double.parseDouble(p[0].trim());
      w = Double.parseDouble(p[1].trim());
    } catch (NumberFormatException e) {
      throw new BadParameterException("window center and width must be numbers: " + value);
    }
    if (!(w > 0) || !Double.isFinite(c)) throw new BadParameterException("window width must be positive: " + value);
    Function f = p.length == 3 ? function(p[2]) : Function.LINEAR;
    if (f == null) throw new BadParameterException("window function must be linear, linear-exact or sigmoid: " + p[2]);
    return new Window(c, w, f);
  }

  static Function function(String value) {
    if (value == null) return Function.LINEAR;
    return switch (value.trim().toUpperCase(Locale.ROOT).replace('-', '_')) {
      case "", "LINEAR" -> Function.LINEAR;
      case "LINEAR_EXACT" -> Function.LINEAR_EXACT;
      case "SIGMOID" -> Function.SIGMOID;
      default -> null;
    };
  }

  /** PS3.18 §8.3.5.1.3: {@code viewport=vw,vh} (the source-region form is not supported); {0,0} when absent. */
  static int[] viewport(String value) throws BadParameterException {
    if (value == null || value.isBlank()) return new int[] {0, 0};
    String[] p = value.split(",", -1);
    if (p.length != 2) throw new BadParameterException("viewport=vw,vh (source regions are not supported)");
    return new int[] {size(p[0], "viewport width"), size(p[1], "viewport height")};
  }

  /** A positive pixel count up to 8192; empty is 0 (not given). */
  static int size(String value, String what) throws BadParameterException {
    if (value == null || value.isBlank()) return 0;
    try {
      int v = Integer.parseInt(value.trim());
      if (v < 1 || v > 8192) throw new BadParameterException(what + " must be within 1..8192");
      return v;
    } catch (NumberFormatException e) {
      throw new BadParameterException(what + " must be an integer: " + value);
    }
  }

  /** JPEG quality 1..100; 90 when absent. */
  static int quality(String value) throws BadParameterException {
    if (value == null || value.isBlank()) return 90;
    try {
      int q = Integer.parseInt(value.trim());
      if (q < 1 || q > 100) throw new BadParameterException("quality must be within 1..100");
      return q;
    } catch (NumberFormatException e) {
      throw new BadParameterException("quality must be an integer: " + value);
    }
  }

  /** The image media type to answer with, from a list of ranges; null if none can be produced. */
  static String mediaType(java.util.List<MediaRange> accept) {
    for (MediaRange r : accept) {
      if (r.isWildcard() || r.type().equals("image/*") || r.type().equals(JPEG)) return JPEG;
      if (r.type().equals(PNG)) return PNG;
      if (r.type().equals(GIF)) return GIF;
    }
    return null;
  }
}
