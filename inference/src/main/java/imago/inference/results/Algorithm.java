package imago.inference.results;

import imago.core.dicom.Uids;
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
 */
public record Algorithm(String modelName, String modelVersion, String artifactSha256, String deviceUid,
    String imagoVersion) {
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
