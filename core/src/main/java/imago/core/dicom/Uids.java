package imago.core.dicom;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.UUID;

/** UID syntax (PS3.5 §9.1) and UID generation under the 2.25 (UUID) root. */
public final class Uids {
  public static final String IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
  public static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
  public static final String DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
  public static final String EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";
  public static final String VERIFICATION = "1.2.840.10008.1.1";

  /** Imago's Implementation Class UID (PS3.7 D.3.3.2), fixed for this implementation. */
  public static final String IMPLEMENTATION_CLASS_UID = fromUuid(UUID.nameUUIDFromBytes("imago:implementation".getBytes()));
  public static final String IMPLEMENTATION_VERSION_NAME = "IMAGO_010";

  private Uids() {}

  /**
   * A UID is 1-64 characters of digits and dots, without empty components. Leading zeros in a
   * component are not allowed by PS3.5 but are common in real archives, so they are accepted.
   */
  /** Whether a transfer syntax keeps Pixel Data native (uncompressed): implicit or explicit VR, either byte order, deflated. */
  public static boolean isNative(String transferSyntaxUid) {
    return IMPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid) || EXPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid)
        || EXPLICIT_VR_BIG_ENDIAN.equals(transferSyntaxUid) || DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid);
  }

  public static boolean isValid(String uid) {
    if (uid == null || uid.isEmpty() || uid.length() > 64) return false;
    if (uid.charAt(0) == '.' || uid.charAt(uid.length() - 1) == '.') return false;
    char previous = '.';
    for (int i = 0; i < uid.length(); i++) {
      char c = uid.charAt(i);
      if (c == '.' && previous == '.') return false;
      if (c != '.' && (c < '0' || c > '9')) return false;
      previous = c;
    }
    return true;
  }

  /** PS3.5 B.2: a UID derived from a UUID. */
  public static String fromUuid(UUID uuid) {
    ByteBuffer b = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
    return "2.25." + new BigInteger(1, b.array());
  }

  public static String random() {
    return fromUuid(UUID.randomUUID());
  }
}
