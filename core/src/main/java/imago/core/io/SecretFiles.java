package imago.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files that hold secrets (keys, credentials): readable by Imago's user only (0600, in a 0700
 * folder) from the first byte, and created whole or not at all. The text is written aside and
 * linked into place, which, unlike a rename, fails when another process got there first: a secret
 * is never seen half-written, and never replaced under a process that already read it.
 */
public final class SecretFiles {
  private SecretFiles() {}

  /** Creates {@code file} holding {@code text} unless it exists; false when another process made it first. */
  public static boolean createOnce(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    privateDirectory(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", mode(dir, "rw-------"));
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.createLink(file, tmp);
      } catch (UnsupportedOperationException noHardLinks) {
        Files.move(tmp, file);
      }
      return true;
    } catch (FileAlreadyExistsException raced) {
      return false;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Creates {@code dir} (and missing parents) as 0700; an existing one is left as it is. */
  public static void privateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return;
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    try {
      Files.createDirectory(dir, mode(parent, "rwx------"));
    } catch (FileAlreadyExistsException raced) {
      // made meanwhile by another process
    }
  }

  private static FileAttribute<?>[] mode(Path where, String mode) {
    boolean posix = where == null || where.getFileSystem().supportedFileAttributeViews().contains("posix");
    return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode))}
        : new FileAttribute<?>[0];
  }
}
