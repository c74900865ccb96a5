package imago.inference.results;

/**
 * sRGB to DICOM's scaled CIELab (PS3.3 C.10.7.1.1): CIE 1976 L*a*b* under the D65 illuminant,
 * L* 0..100 and a*, b* -128..127 each scaled linearly to 0..65535.
 */
final class CieLab {
  // D65 reference white, CIE 1931 2-degree observer
  private static final double XN = 0.95047;
  private static final double YN = 1.0;
  private static final double ZN = 1.08883;

  private CieLab() {}

  static int[] fromRgb(int[] rgb) {
    if (rgb.length != 3) throw new IllegalArgumentException("colour must have 3 components");
    double r = linear(rgb[0]);
    double g = linear(rgb[1]);
    double b = linear(rgb[2]);
    // IEC 61966-2-1 sRGB to XYZ
    double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    double fx = f(x / XN);
    double fy = f(y / YN);
    double fz = f(z / ZN);
    double l = 116 * fy - 16;
    double a = 500 * (fx - fy);
    double bb = 200 * (fy - fz);
    return new int[] {scale(l, 0, 100), scale(a, -128, 127), scale(bb, -128, 127)};
  }

  private static double linear(int c) {
    if (c < 0 || c > 255) throw new IllegalArgumentException("colour components are 0..255");
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }

  private static double f(double t) {
    double d = 6.0 / 29;
    return t > d * d * d ? Math.cbrt(t) : t / (3 * d * d) + 4.0 / 29;
  }

  private static int scale(double v, double min, double max) {
    double clamped = Math.max(min, Math.min(max, v));
    return (int) Math.round((clamped - min) / (max - min) * 65535);
  }
}
