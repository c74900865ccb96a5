package imago.inference.results;

import imago.core.dicom.Uids;
import imago.inference.manifest.Manifest;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The algorithm that produced a result: named in the Contributing Equipment Sequence (PS3.3
 * C.7.5.1) and as the SR device observer (PS3.16 TID 1004). DESIGN.md invariant 4: every result
 * names the exact model version and artifact SHA-256 that produced it.
 *
 * @param modelName Manufacturer's Model Name (LO, at most 64 characters)
 * @param modelVersion Software Versions of the contributing equipment (LO, at most 64 characters)
 * @param artifactSha256 the model artifact's SHA-256, 64 lowercase hex digits, without prefix
 * @param deviceUid Device UID (0018,1002): changes whenever the model artifact changes
 * @param imagoVersion Software Versions of the General Equipment, the Imago build writing the object
 * @param parameters what the model was run with (TID 4019 Algorithm Parameters, DCM 111002: its
 *     input, preprocessing, activation and thresholds), or null
 */
public record Algorithm(String modelName, String modelVersion, String artifactSha256, String deviceUid,
    String imagoVersion, String parameters) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int LO_MAX = 64;

  public Algorithm {
    requireLo("modelName", modelName);
    requireLo("modelVersion", modelVersion);
    requireLo("imagoVersion", imagoVersion);
    if (artifactSha256 == null || !SHA256.matcher(artifactSha256).matches()) {
      throw new IllegalArgumentException("artifactSha256 must be 64 lowercase hex digits");
    }
    if (!Uids.isValid(deviceUid)) throw new IllegalArgumentException("deviceUid is not a valid UID: " + deviceUid);
    if (parameters != null && parameters.isBlank()) parameters = null;
  }

  /** An algorithm whose parameters are not told. */
  public Algorithm(String modelName, String modelVersion, String artifactSha256, String deviceUid, String imagoVersion) {
    this(modelName, modelVersion, artifactSha256, deviceUid, imagoVersion, null);
  }

  /**
   * The parameters a manifest runs its model with, as one line a reader of the report can check
   * against the manifest: input, preprocessing in the order it is applied, activation, thresholds.
   */
  public static String parameters(Manifest m) {
    StringBuilder b = new StringBuilder();
    Manifest.Input in = m.input();
    b.append("input ").append(in.layout()).append(' ').append(in.channels()).append('x').append(in.height()).append('x')
        .append(in.width()).append(' ').append(in.dtype());
    Manifest.Preprocessing p = m.preprocessing();
    if (p.rescale()) b.append("; rescale slope/intercept");
    if (p.window() != null) b.append("; window ").append(num(p.window().center())).append('/').append(num(p.window().width()));
    if (p.percentileClip() != null) {
      b.append("; percentile clip ").append(num(p.percentileClip().low())).append('-').append(num(p.percentileClip().high()));
    }
    if (p.resize() != null) b.append("; resize ").append(p.resize().name().toLowerCase(Locale.ROOT));
    if (p.mean() != null && p.std() != null) {
      b.append("; normalise mean ").append(nums(p.mean())).append(" std ").append(nums(p.std()));
    }
    if (p.stacking() != null) b.append("; ").append(p.stacking().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    b.append("; activation ").append(m.output().activation().name().toLowerCase(Locale.ROOT));
    for (Manifest.Label l : m.output().labels()) {
      if (!Double.isNaN(l.threshold())) b.append("; threshold ").append(l.name()).append(' ').append(num(l.threshold()));
    }
    return b.toString();
  }

  private static String num(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  private static String nums(double[] values) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.length; i++) b.append(i == 0 ? "" : ",").append(num(values[i]));
    return b.toString();
  }

  /** The artifact digest as results print it: {@code sha256:<hex>}. */
  public String artifactDigest() {
    return "sha256:" + artifactSha256;
  }

  private static void requireLo(String name, String value) {
    Objects.requireNonNull(value, name);
    if (value.isBlank() || value.length() > LO_MAX || value.indexOf('\\') >= 0) {
      throw new IllegalArgumentException(name + " must be 1-64 characters without a backslash (PS3.5 LO)");
    }
  }
}
