package imago.models.evaluation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * An evaluation's curves as SVG, the candidate beside the primary: ROC for a classifier (false
 * positive rate against sensitivity), FROC for a detector (false positives per image, log scale
 * from 1/8 to 8, against sensitivity). Plain SVG, readable without scripts.
 */
public final class Plots {
  private static final int W = 480;
  private static final int H = 400;
  private static final int LEFT = 60;
  private static final int BOTTOM = 50;
  private static final int TOP = 40;
  private static final int RIGHT = 20;

  private Plots() {}

  /** One finding of a report ({@code findings[i]}): its curves, titled. */
  public static String svg(String model, JsonObject finding, boolean froc) {
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
        .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
        .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    text(s, W / 2, 20, "middle", (froc ? "FROC" : "ROC") + ": " + model + ", " + finding.getString("finding"), 14);
    int x0 = LEFT;
    int y0 = H - BOTTOM;
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    s.append("<rect x=\"").append(x0).append("\" y=\"").append(TOP).append("\" width=\"").append(pw).append("\" height=\"")
        .append(ph).append("\" fill=\"none\" stroke=\"#999\"/>\n");
    for (int i = 0; i <= 4; i++) {
      double v = i / 4.0;
      int y = (int) Math.round(y0 - v * ph);
      text(s, x0 - 6, y + 4, "end", fmt(v), 11);
      line(s, x0, y, x0 + pw, y, "#eee");
    }
    if (froc) {
      for (double r : Metrics.FP_RATES) {
        int x = (int) Math.round(x0 + xFroc(r) * pw);
        text(s, x, y0 + 16, "middle", r < 1 ? "1/" + Math.round(1 / r) : fmt(r), 11);
        line(s, x, TOP, x, y0, "#eee");
      }
      text(s, x0 + pw / 2, H - 12, "middle", "false positives per image", 12);
    } else {
      for (int i = 0; i <= 4; i++) text(s, (int) Math.round(x0 + i / 4.0 * pw), y0 + 16, "middle", fmt(i / 4.0), 11);
      line(s, x0, y0, x0 + pw, TOP, "#ccc");
      text(s, x0 + pw / 2, H - 12, "middle", "1 - specificity", 12);
    }
    s.append("<text x=\"16\" y=\"").append(TOP + ph / 2).append("\" text-anchor=\"middle\" transform=\"rotate(-90 16 ")
        .append(TOP + ph / 2).append(")\">sensitivity</text>\n");
    curve(s, finding.getJsonObject("baseline"), froc, "#2471a3", x0, y0, pw, ph, 0);
    curve(s, finding.getJsonObject("candidate"), froc, "#c0392b", x0, y0, pw, ph, 1);
    s.append("</svg>\n");
    return s.toString();
  }

  private static void curve(StringBuilder s, JsonObject figures, boolean froc, String colour, int x0, int y0, int pw, int ph,
      int legend) {
    if (figures == null) return;
    JsonArray points = figures.getJsonArray(froc ? "froc" : "roc", new JsonArray());
    // ROC: straight segments between its corners (tied scores make a diagonal); FROC: a step per threshold
    StringBuilder path = new StringBuilder(pt(x0, y0, pw, ph, 0, 0));
    double lastY = 0;
    for (int i = 0; i < points.size(); i++) {
      double fx = points.getJsonArray(i).getDouble(0);
      double fy = points.getJsonArray(i).getDouble(1);
      if (froc) path.append(' ').append(pt(x0, y0, pw, ph, xFroc(fx), lastY));
      path.append(' ').append(pt(x0, y0, pw, ph, froc ? xFroc(fx) : fx, fy));
      lastY = fy;
    }
    if (froc) path.append(' ').append(pt(x0, y0, pw, ph, 1, lastY));
    s.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"").append(path)
        .append("\"/>\n");
    String figure = froc ? "mean sensitivity " + fmt(figures.getDouble("meanSensitivity"))
        : "AUC " + fmt(figures.getJsonObject("auc").getDouble("value"));
    int ly = y0 - 12 - 16 * legend;
    line(s, x0 + pw - 250, ly - 4, x0 + pw - 230, ly - 4, colour);
    text(s, x0 + pw - 225, ly, "start", (legend == 1 ? "candidate " : "primary ") + figures.getString("version") + ": " + figure, 11);
  }

  /** FROC's x: log2 of false positives per image, 1/8 at 0 and 8 at 1 (0 false positives pinned at 0). */
  private static double xFroc(double fpPerImage) {
    if (fpPerImage <= Metrics.FP_RATES[0]) return 0;
    return Math.min(1, (Math.log(fpPerImage) / Math.log(2) + 3) / 6);
  }

  private static String pt(int x0, int y0, int pw, int ph, double x, double y) {
    return String.format(Locale.ROOT, "%.1f,%.1f", x0 + x * pw, y0 - y * ph);
  }

  private static void line(StringBuilder s, int x1, int y1, int x2, int y2, String colour) {
    s.append("<line x1=\"").append(x1).append("\" y1=\"").append(y1).append("\" x2=\"").append(x2).append("\" y2=\"").append(y2)
        .append("\" stroke=\"").append(colour).append("\"/>\n");
  }

  private static void text(StringBuilder s, int x, int y, String anchor, String text, int size) {
    s.append("<text x=\"").append(x).append("\" y=\"").append(y).append("\" text-anchor=\"").append(anchor)
        .append("\" font-size=\"").append(size).append("\">").append(escape(text)).append("</text>\n");
  }

  private static String escape(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
