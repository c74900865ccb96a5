package imago.app;

import imago.core.io.SecretFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keys Imago generates on first start and keeps in {data}/secrets ({@link SecretFiles}: 0600 in a
 * 0700 folder, whole or not at all), never in git.
 */
final class Secrets {
  private Secrets() {}

  /** A random 256-bit key, base64, created once in {@code file} (the first process to make it wins). */
  static String loadOrCreateKey(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      SecretFiles.createOnce(file, Base64.getEncoder().encodeToString(key));
    }
    return Files.readString(file, StandardCharsets.US_ASCII).trim();
  }

  /**
   * A key for one purpose derived from a master key (HMAC-SHA256 of the purpose), so that one
   * configured secret, shared by every node, serves several uses without one exposing another.
   */
  static byte[] derive(String masterKey, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(masterKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
