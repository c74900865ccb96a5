package imago.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Keys Imago generates on first start and keeps in {data}/secrets (mode 0600), never in git. */
final class Secrets {
  private Secrets() {}

  /** A random 256-bit key, base64, created once in {@code file}. */
  static String loadOrCreateKey(Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createDirectories(file.getParent());
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Base64.getEncoder().encodeToString(key), StandardCharsets.US_ASCII);
      } catch (FileAlreadyExistsException raced) {
        // another process created it first
      }
    }
    return Files.readString(file, StandardCharsets.US_ASCII).trim();
  }
}
