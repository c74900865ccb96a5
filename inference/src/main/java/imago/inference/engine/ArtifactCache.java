package imago.inference.engine;

import imago.storage.models.ModelVersion;
import imago.storage.object.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Local copies of artifacts, for the engines, which load from files: {@code {dir}/<name>/<version>/<file>}.
 * S3 holds the truth; a copy is fetched when missing and kept only if its SHA-256 is the version's.
 */
public final class ArtifactCache {
  private final Path dir;
  private final ObjectStore store;

  public ArtifactCache(Path dir, ObjectStore store) {
    this.dir = dir;
    this.store = store;
  }

  /** The cached file of a version (fetching it from S3 and checking its digest first, if needed). */
  public synchronized Path file(ModelVersion v) throws IOException {
    Path target = path(v);
    if (Files.isRegularFile(target) && Files.size(target) == v.artifactSize()) return target;
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".fetch", ".tmp");
    try {
      MessageDigest sha = sha256();
      try (InputStream in = store.get(v.artifactKey()).orElseThrow(() ->
              new IOException("artifact " + v.artifactKey() + " is missing from object storage"));
           OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha)) {
        in.transferTo(out);
      }
      String got = HexFormat.of().formatHex(sha.digest());
      if (!got.equals(v.artifactSha256())) {
        throw new IOException("artifact " + v.artifactKey() + " has SHA-256 " + got + ", registered " + v.artifactSha256());
      }
      move(tmp, target);
      return target;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Adopts a file whose digest is already known to be the version's (the upload just checked). */
  public synchronized void adopt(ModelVersion v, Path file) throws IOException {
    Path target = path(v);
    Files.createDirectories(target.getParent());
    move(file, target);
  }

  private Path path(ModelVersion v) {
    Path key = Path.of(v.artifactKey());
    return dir.resolve(v.name()).resolve(v.version()).resolve(key.getFileName().toString());
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
