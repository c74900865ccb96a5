package imago.core.synthetic;

import com.pixelmed.dicom.AttributeList;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's studies: the same synthetic chest radiographs and chest CT volumes the reference
 * models are trained on (models/reference/make_reference_models.py, {@code phantom} and
 * {@code ct_phantom}), drawn here in Java from the same recipe, so {@code ./imago demo} needs no
 * Python. Each call draws new UIDs: a demo run twice makes new studies.
 *
 * <p>Radiographs are 64x64 CR images, 12 bits stored, with a bright blob (a "lesion") in a lung
 * when asked. CT volumes are 16 axial slices of 64x64, 5 mm pixels and slices, stored as HU + 1024,
 * with a spherical nodule of 9-17 mm radius when asked.
 */
public final class ChestPhantoms {
  public static final String CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1";
  public static final int SIZE = 64;
  public static final int CT_SLICES = 16;
  public static final double CT_MM = 5.0;
  private static final double PIXEL = 2.0 / SIZE; // one pixel on the [-1, 1] grid
  private static final String SOURCE_AE = "IMAGO_DEMO";
  private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
  private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");

  /** A patient the demo makes up: the ID, a DICOM PN and the sex. */
  public record Patient(String id, String name, String sex, String birthDate) {}

  /**
   * One generated study: its UIDs and each instance as PS3.10 bytes. {@code lesionBox}: a
   * radiograph's lesion, the box around its half-maximum disc in the image's pixels (x0, y0, x1,
   * y1, DICOM SCOORD's convention: the image's corner at 0, 0); null without a lesion, and for CT.
   */
  public record Study(String studyUid, String seriesUid, String modality, String description, List<byte[]> instances,
      double[] lesionBox) {}

  /** A radiograph's stored pixels and its lesion's box (null: none). */
  record Radiograph(short[] pixels, double[] lesionBox) {}

  private ChestPhantoms() {}

  /** One chest radiograph study (one CR image), with a lesion in a lung when {@code lesion}. */
  public static Study radiograph(Patient patient, boolean lesion, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Radiograph drawn = radiographPixels(rng, lesion);
    short[] pixels = drawn.pixels();
    String study = Uids.random();
    String series = Uids.random();
    AttributeList l = header(patient, study, series, "CR", "RX TORACE", "Torace PA");
    put(l, 0x0008, 0x0016, CR_IMAGE_STORAGE);
    put(l, 0x0008, 0x0018, Uids.random());
    put(l, 0x0020, 0x0013, "1");
    put(l, 0x0018, 0x0015, "CHEST");
    put(l, 0x0018, 0x5101, "PA");
    put(l, 0x0020, 0x0020, "L", "F");
    put(l, 0x0018, 0x1164, "5.6", "5.6"); // Imager Pixel Spacing: a 36 cm detector over 64 pixels
    put(l, 0x0028, 0x1050, "2048");
    put(l, 0x0028, 0x1051, "4096");
    pixelModule(l, pixels);
    return new Study(study, series, "CR", "RX TORACE", List.of(Part10.encode(l, SOURCE_AE)), drawn.lesionBox());
  }

  /** One axial chest CT study (16 slices, one frame of reference), with a lung nodule when {@code nodule}. */
  public static Study ct(Patient patient, boolean nodule, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    short[][] volume = ctVolume(rng, nodule);
    String study = Uids.random();
    String series = Uids.random();
    String frame = Uids.random();
    List<byte[]> instances = new ArrayList<>();
    double corner = -(SIZE * CT_MM) / 2 + CT_MM / 2;
    for (int k = 0; k < CT_SLICES; k++) {
      AttributeList l = header(patient, study, series, "CT", "TC TORACE", "Torace assiale 5 mm");
      put(l, 0x0008, 0x0016, SyntheticCt.CT_IMAGE_STORAGE);
      put(l, 0x0008, 0x0018, Uids.random());
      put(l, 0x0008, 0x0008, "ORIGINAL", "PRIMARY", "AXIAL");
      put(l, 0x0020, 0x0013, Integer.toString(k + 1));
      put(l, 0x0020, 0x0012, "1");
      put(l, 0x0018, 0x0015, "CHEST");
      put(l, 0x0018, 0x5100, "HFS");
      put(l, 0x0018, 0x0060, "120");
      put(l, 0x0020, 0x0052, frame);
      put(l, 0x0020, 0x1040, "");
      // slice 0 is the most superior; the patient's z grows towards the head
      double z = (((CT_SLICES - 1) / 2.0) - k) * CT_MM;
      put(l, 0x0020, 0x0032, ds(corner), ds(corner), ds(z));
      put(l, 0x0020, 0x0037, "1", "0", "0", "0", "1", "0");
      put(l, 0x0020, 0x1041, ds(z));
      put(l, 0x0028, 0x0030, ds(CT_MM), ds(CT_MM));
      put(l, 0x0018, 0x0050, ds(CT_MM));
      put(l, 0x0028, 0x1052, "-1024");
      put(l, 0x0028, 0x1053, "1");
      put(l, 0x0028, 0x1054, "HU");
      put(l, 0x0028, 0x1050, "-600");
      put(l, 0x0028, 0x1051, "1600");
      pixelModule(l, volume[k]);
      instances.add(Part10.encode(l, SOURCE_AE));
    }
    return new Study(study, series, "CT", "TC TORACE", instances, null);
  }

  // --- the radiograph recipe (make_reference_models.py, phantom) ---

  static Radiograph radiographPixels(SplittableRandom rng, boolean lesion) {
    double[] body = ellipse(u(rng, 0.0, 0.1), u(rng, -0.04, 0.04), u(rng, 0.85, 0.97), u(rng, 0.78, 0.9), 0.04);
    double[] img = new double[SIZE * SIZE];
    for (int i = 0; i < img.length; i++) img[i] = 0.06 + 0.5 * body[i];
    double lungCy = u(rng, -0.12, 0.0);
    double lungRy = u(rng, 0.5, 0.6);
    double lungRx = u(rng, 0.24, 0.3);
    double sep = u(rng, 0.34, 0.42);
    double[][] lungs = {{lungCy, -sep, lungRy, lungRx},
        {lungCy + u(rng, -0.03, 0.03), sep, lungRy * u(rng, 0.93, 1.05), lungRx * u(rng, 0.93, 1.05)}};
    double[] left = ellipse(lungs[0][0], lungs[0][1], lungs[0][2], lungs[0][3], 0.05);
    double[] right = ellipse(lungs[1][0], lungs[1][1], lungs[1][2], lungs[1][3], 0.05);
    double darker = u(rng, 0.28, 0.36);
    for (int i = 0; i < img.length; i++) img[i] -= darker * Math.max(left[i], right[i]);
    double[] heart = ellipse(u(rng, 0.15, 0.3), u(rng, 0.05, 0.15), u(rng, 0.25, 0.32), u(rng, 0.22, 0.3), 0.12);
    double[] mediastinum = ellipse(-0.2, 0.0, 0.5, 0.09, 0.15);
    for (int i = 0; i < img.length; i++) img[i] += 0.14 * heart[i] + 0.1 * mediastinum[i];
    double period = u(rng, 0.2, 0.27);
    double phase = u(rng, 0.0, 2 * Math.PI);
    double ribWeight = u(rng, 0.06, 0.11);
    for (int r = 0; r < SIZE; r++) {
      for (int c = 0; c < SIZE; c++) {
        double y = grid(r);
        double x = grid(c);
        double rib = Math.pow(Math.max(0.0, Math.sin(2 * Math.PI * (y + 0.35 * x * x) / period + phase)), 3);
        img[r * SIZE + c] += ribWeight * rib * body[r * SIZE + c];
      }
    }
    double[] box = null;
    if (lesion) {
      double[] lung = lungs[rng.nextInt(2)];
      double[] at = inUnitDisc(rng);
      double by = lung[0] + 0.7 * at[0] * lung[2];
      double bx = lung[1] + 0.7 * at[1] * lung[3];
      double sigma = u(rng, 2.5, 5.0) * PIXEL;
      double amplitude = u(rng, 0.25, 0.45);
      // grid g is pixel (g + 1) * SIZE / 2 in SCOORD terms; the half maximum lies sigma * sqrt(2 ln 2) out
      double halfMax = sigma / PIXEL * Math.sqrt(2 * Math.log(2));
      double px = (bx + 1) * SIZE / 2;
      double py = (by + 1) * SIZE / 2;
      box = new double[] {px - halfMax, py - halfMax, px + halfMax, py + halfMax};
      for (int r = 0; r < SIZE; r++) {
        for (int c = 0; c < SIZE; c++) {
          double dy = grid(r) - by;
          double dx = grid(c) - bx;
          img[r * SIZE + c] += amplitude * Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
        }
      }
    }
    double offset = u(rng, 100, 400);
    double gain = u(rng, 2600, 3600);
    short[] out = new short[img.length];
    for (int i = 0; i < img.length; i++) {
      double raw = offset + gain * (img[i] + 0.025 * rng.nextGaussian());
      out[i] = (short) Math.max(0, Math.min(4095, Math.rint(raw)));
    }
    return new Radiograph(out, box);
  }

  // --- the CT recipe (make_reference_models.py, ct_phantom) ---

  static short[][] ctVolume(SplittableRandom rng, boolean nodule) {
    double[][] hu = new double[CT_SLICES][SIZE * SIZE];
    double[] body = ellipse(u(rng, 0.0, 0.06), u(rng, -0.03, 0.03), u(rng, 0.6, 0.7), u(rng, 0.82, 0.92), 0.04);
    double bodyHu = 1000.0 + u(rng, 20, 50);
    double sep = u(rng, 0.38, 0.46);
    double lungRy = u(rng, 0.42, 0.5);
    double lungRx = u(rng, 0.26, 0.32);
    double[][] lungs = {{u(rng, -0.05, 0.05), -sep, lungRy, lungRx}, {u(rng, -0.05, 0.05), sep, lungRy, lungRx}};
    double lungHu = u(rng, -880, -820) - 40.0;
    double heartCy = u(rng, -0.2, -0.1);
    double heartCx = u(rng, 0.05, 0.15);
    double[] heart = ellipse(heartCy, heartCx, 0.28, 0.3, 0.08);
    double[] spine = ellipse(0.5, 0.0, 0.09, 0.08, 0.05);
    int vessels = 3 + rng.nextInt(4);
    double[][] vesselAt = new double[vessels][];
    for (int v = 0; v < vessels; v++) {
      double[] lung = lungs[rng.nextInt(2)];
      vesselAt[v] = new double[] {lung[0] + u(rng, -0.3, 0.3), lung[1] + u(rng, -0.15, 0.15)};
    }
    double[][] vesselMask = new double[vessels][];
    for (int v = 0; v < vessels; v++) vesselMask[v] = ellipse(vesselAt[v][0], vesselAt[v][1], 0.035, 0.035, 0.2);
    double[] sphere = null; // ny, nx, nz (mm), radius (mm), HU
    if (nodule) {
      double[] lung = lungs[rng.nextInt(2)];
      double radius = u(rng, 9.0, 17.0);
      double[] at = inUnitDisc(rng);
      sphere = new double[] {lung[0] + 0.55 * at[0] * lung[2], lung[1] + 0.55 * at[1] * lung[3], u(rng, -3.5, 3.5) * CT_MM,
          radius, u(rng, 10, 60)};
    }
    short[][] stored = new short[CT_SLICES][SIZE * SIZE];
    for (int k = 0; k < CT_SLICES; k++) {
      double zMm = (k - (CT_SLICES - 1) / 2.0) * CT_MM;
      double zz = zMm / 160.0;
      double taper = Math.sqrt(Math.max(0.2, Math.min(1.0, 1.0 - (zz / 0.32) * (zz / 0.32))));
      double[] l0 = ellipse(lungs[0][0], lungs[0][1], lungs[0][2] * taper, lungs[0][3] * taper, 0.04);
      double[] l1 = ellipse(lungs[1][0], lungs[1][1], lungs[1][2] * taper, lungs[1][3] * taper, 0.04);
      double[] s = hu[k];
      for (int i = 0; i < s.length; i++) {
        double lungMask = Math.max(l0[i], l1[i]);
        double h = -1000.0 + bodyHu * body[i] + lungHu * lungMask;
        if (zz > -0.05 && heart[i] > 0.5) h = 40.0;
        h += 650.0 * spine[i];
        for (double[] vessel : vesselMask) h += 700.0 * lungMask * vessel[i];
        if (sphere != null) {
          double dy = (grid(i / SIZE) - sphere[0]) / PIXEL * CT_MM;
          double dx = (grid(i % SIZE) - sphere[1]) / PIXEL * CT_MM;
          double dz = zMm - sphere[2];
          double d = Math.sqrt(dy * dy + dx * dx + dz * dz);
          double inside = 1.0 / (1.0 + Math.exp(clip((d - sphere[3]) / 1.5)));
          h = h * (1 - inside) + sphere[4] * inside;
        }
        h += 18.0 * rng.nextGaussian();
        stored[k][i] = (short) Math.max(0, Math.min(4095, Math.rint(h + 1024)));
      }
    }
    return stored;
  }

  // --- shared helpers ---

  /** 1 inside the ellipse, 0 outside, with a smooth border (soft_ellipse). */
  private static double[] ellipse(double cy, double cx, double ry, double rx, double edge) {
    double[] m = new double[SIZE * SIZE];
    for (int r = 0; r < SIZE; r++) {
      for (int c = 0; c < SIZE; c++) {
        double dy = (grid(r) - cy) / ry;
        double dx = (grid(c) - cx) / rx;
        double d = Math.sqrt(dy * dy + dx * dx);
        m[r * SIZE + c] = 1.0 / (1.0 + Math.exp(clip((d - 1.0) / edge)));
      }
    }
    return m;
  }

  /** A point drawn evenly inside the unit disc, (row, column): where in a lung a lesion goes. */
  private static double[] inUnitDisc(SplittableRandom rng) {
    while (true) {
      double v = u(rng, -1, 1);
      double w = u(rng, -1, 1);
      if (v * v + w * w <= 1.0) return new double[] {v, w};
    }
  }

  /** The centre of pixel {@code i} on [-1, 1]. */
  private static double grid(int i) {
    return (i + 0.5) / SIZE * 2.0 - 1.0;
  }

  private static double clip(double v) {
    return Math.max(-50, Math.min(50, v));
  }

  private static double u(SplittableRandom rng, double lo, double hi) {
    return lo + (hi - lo) * rng.nextDouble();
  }

  private static AttributeList header(Patient p, String study, String series, String modality, String studyDescription,
      String seriesDescription) {
    AttributeList l = new AttributeList();
    String date = DA.format(LocalDate.now());
    String time = TM.format(LocalTime.now());
    put(l, 0x0008, 0x0005, "ISO_IR 100");
    put(l, 0x0008, 0x0020, date);
    put(l, 0x0008, 0x0030, time);
    put(l, 0x0008, 0x0021, date);
    put(l, 0x0008, 0x0031, time);
    put(l, 0x0008, 0x0023, date);
    put(l, 0x0008, 0x0033, time);
    put(l, 0x0008, 0x0050, "DEMO" + Long.toString(Math.abs(study.hashCode()) % 1_000_000L));
    put(l, 0x0008, 0x0060, modality);
    put(l, 0x0008, 0x0070, "Imago demo");
    put(l, 0x0008, 0x0080, "Ospedale Dimostrativo");
    put(l, 0x0008, 0x0090, "");
    put(l, 0x0008, 0x1030, studyDescription);
    put(l, 0x0008, 0x103E, seriesDescription);
    put(l, 0x0010, 0x0010, p.name());
    put(l, 0x0010, 0x0020, p.id());
    put(l, 0x0010, 0x0030, p.birthDate());
    put(l, 0x0010, 0x0040, p.sex());
    put(l, 0x0020, 0x000D, study);
    put(l, 0x0020, 0x000E, series);
    put(l, 0x0020, 0x0010, "1");
    put(l, 0x0020, 0x0011, "1");
    return l;
  }

  /** Image Pixel: one 64x64 frame of 12 bits stored in 16, unsigned. */
  private static void pixelModule(AttributeList l, short[] pixels) {
    put(l, 0x0028, 0x0002, "1");
    put(l, 0x0028, 0x0004, "MONOCHROME2");
    put(l, 0x0028, 0x0010, Integer.toString(SIZE));
    put(l, 0x0028, 0x0011, Integer.toString(SIZE));
    put(l, 0x0028, 0x0100, "16");
    put(l, 0x0028, 0x0101, "12");
    put(l, 0x0028, 0x0102, "11");
    put(l, 0x0028, 0x0103, "0");
    CtDataset.pixelData(l, pixels);
  }

  private static void put(AttributeList l, int group, int element, String... values) {
    CtDataset.put(l, group, element, values);
  }

  private static String ds(double v) {
    String s = String.format(Locale.ROOT, "%.3f", v + 0.0);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
