package imago.core.synthetic;

import java.util.Arrays;

/**
 * A cheap chest-like CT phantom in Hounsfield units: body ellipse, two lungs, heart, aorta,
 * vertebra with cord, and a spherical nodule that grows and shrinks across the slices. Each row
 * is filled as spans (no per-pixel geometry tests, no per-pixel objects), then a little
 * deterministic noise is added, so a 512x512 slice costs well under a millisecond.
 */
final class Phantom {
  private static final int AIR = -1000;
  private static final int STORED_OFFSET = 1024; // stored = HU - RescaleIntercept (-1024)

  private final int rows;
  private final int columns;
  private final double scale;
  private final int[] row;

  Phantom(int rows, int columns) {
    this.rows = rows;
    this.columns = columns;
    this.scale = Math.min(rows, columns) / 512.0;
    this.row = new int[columns];
  }

  /** Stored pixel values of slice {@code index} (0-based) of {@code slices}. */
  short[] slice(int slices, int index, long noiseSeed) {
    double t = slices == 1 ? 0.5 : index / (double) (slices - 1); // 0 at the head end, 1 at the feet
    double cx = columns / 2.0;
    double cy = rows / 2.0;
    double s = scale;
    double breathe = 1 + 0.04 * Math.sin(Math.PI * t);
    // Nodule: a sphere of radius 14 px at the middle slice, cut by the slice plane
    double noduleR = 14 * s;
    double dz = (index - (slices - 1) / 2.0) * 2.0 * s; // slices are ~2 px apart
    double noduleCut = noduleR * noduleR - dz * dz;
    double noduleRadius = noduleCut > 0 ? Math.sqrt(noduleCut) : 0;

    short[] out = new short[rows * columns];
    long noise = noiseSeed | 1;
    for (int y = 0; y < rows; y++) {
      double py = y + 0.5;
      Arrays.fill(row, AIR);
      ellipse(py, cx, cy + 10 * s, 225 * s * breathe, 165 * s * breathe, 35);           // body (soft tissue)
      ellipse(py, cx, cy + 10 * s, 210 * s * breathe, 150 * s * breathe, 45);           // muscle wall inside fat
      ellipse(py, cx - 95 * s, cy - 5 * s, 70 * s, 105 * s * (0.85 + 0.15 * t), -850); // right lung
      ellipse(py, cx + 95 * s, cy - 5 * s, 70 * s, 105 * s * (0.85 + 0.15 * t), -860); // left lung
      ellipse(py, cx + 25 * s, cy + 15 * s, 60 * s * (0.6 + 0.4 * t), 50 * s * (0.6 + 0.4 * t), 40); // heart
      ellipse(py, cx - 25 * s, cy + 75 * s, 14 * s, 14 * s, 180);                       // aorta (contrast)
      ellipse(py, cx, cy + 120 * s, 24 * s, 22 * s, 700);                               // vertebral body
      ellipse(py, cx, cy + 120 * s, 8 * s, 8 * s, 30);                                  // spinal cord
      if (noduleRadius > 0) ellipse(py, cx - 110 * s, cy - 30 * s, noduleRadius, noduleRadius, 60);
      int base = y * columns;
      for (int x = 0; x < columns; x++) {
        // xorshift64: cheap noise of about +-10 HU
        noise ^= noise << 13;
        noise ^= noise >>> 7;
        noise ^= noise << 17;
        int hu = row[x] + (int) ((noise >>> 59) - 16) + (int) ((noise >>> 40) & 7) - 3;
        out[base + x] = (short) (hu + STORED_OFFSET);
      }
    }
    return out;
  }

  /** Fills this row's span of the ellipse centred (ex, ey) with semi-axes (a, b). */
  private void ellipse(double py, double ex, double ey, double a, double b, int hu) {
    double d = (py - ey) / b;
    if (d <= -1 || d >= 1) return;
    double half = a * Math.sqrt(1 - d * d);
    int x0 = Math.max(0, (int) Math.ceil(ex - half - 0.5));
    int x1 = Math.min(columns - 1, (int) Math.floor(ex + half - 0.5));
    if (x0 <= x1) Arrays.fill(row, x0, x1 + 1, hu);
  }
}
