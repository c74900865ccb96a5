package imago.links;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The secret in an FSE link: 256 random bits, base64url (43 characters). Only its SHA-256 is
 * stored, so the index alone opens nothing; a token is shown once, when the link is created.
 */
public final class CapabilityToken {
  private static final SecureRandom RANDOM = new SecureRandom();

  private CapabilityToken() {}

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The stored form; a presented string that is not a well-formed token hashes to nothing stored. */
  public static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code s} has a token's shape (43 base64url characters): anything else is refused unhashed. */
  public static boolean wellFormed(String s) {
    return s != null && s.matches("[A-Za-z0-9_-]{43}");
  }

  /** For logs: a path with any link token replaced (tokens never appear in logs). */
  public static String redact(String path) {
    return path == null ? null : path.replaceAll("/l/[^/?#]+", "/l/{token}");
  }
}
