package imago.storage.object;

import imago.core.io.Spool;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@link ObjectStore} on a local directory, the embedded default: a key is a path under the root.
 *
 * <p>A write is durable when {@link #put} returns: the bytes go to a temporary file in the
 * writing process's staging folder {@code .staging/<owner>} (same file system), which is fsynced,
 * renamed into place, and then the target directory (and every directory created on the way) is
 * fsynced. Temporary files live in the staging folder rather than beside their target so that
 * recovery finds every partial write by listing one folder, not by walking the archive. A {@link Spool} from {@link #newSpool()}
 * already is such a temporary file: storing it is an fsync and a rename, never a copy.
 *
 * <p>User metadata is not kept: an instance object describes itself (its File Meta Information).
 */
public final class FsObjectStore implements ObjectStore {
  /** The staging folder's name under the root; never a key's first segment. */
  public static final String STAGING = ".staging";

  /**
   * Runs the fsyncs {@link #received} starts: at most one per object being received, so as many
   * threads as concurrent writers; idle ones end.
   */
  private static final ExecutorService FLUSHERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fs-flush");
    t.setDaemon(true);
    return t;
  });

  private final Path root;
  private final Path stagingRoot;
  private final Path staging;
  private final boolean fsync;

  /**
   * A store under {@code root}, created if missing, staging this process's writes under
   * {@code owner} (its journal's owner id). {@code fsync} false is for benchmarks only: writes then
   * survive a crash of the process but not a power cut.
   */
  public FsObjectStore(Path root, boolean fsync, String owner) throws StorageUnavailableException {
    this.root = root.toAbsolutePath().normalize();
    this.stagingRoot = this.root.resolve(STAGING);
    this.staging = stagingRoot.resolve(owner);
    this.fsync = fsync;
    try {
      Files.createDirectories(staging);
    } catch (IOException e) {
      throw unavailable("open", "", e);
    }
  }

  public Path root() {
    return root;
  }

  /** A spool whose bytes go straight to a file in the staging folder. */
  @Override
  public Spool newSpool() {
    return new Spool(staging, 0);
  }

  /** Starts the staging file's fsync now, so that it overlaps the caller's parsing and journaling. */
  @Override
  public void received(Spool content) {
    if (fsync && content.spilledInto(staging)) content.forceAsync(FLUSHERS);
  }

  @Override
  public void put(String key, Spool content, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException {
    if (!content.spilledInto(staging)) {
      ObjectStore.super.put(key, content, contentType, metadata);
      return;
    }
    Path target = path(key);
    try {
      Path dir = ensureDirectory(target.getParent());
      content.moveTo(target, fsync);
      syncDirectory(dir);
    } catch (IOException e) {
      throw unavailable("put", key, e);
    }
  }

  @Override
  public void put(String key, InputStream content, long size, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException {
    Path target = path(key);
    Path temp = null;
    try {
      temp = Files.createTempFile(staging, "put-", ".part");
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        long copied = content.transferTo(Channels.newOutputStream(out));
        if (size >= 0 && copied != size) {
          throw new IOException("expected " + size + " bytes, the stream had " + copied);
        }
        if (fsync) out.force(false);
      }
      Path dir = ensureDirectory(target.getParent());
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
      syncDirectory(dir);
    } catch (IOException e) {
      throw unavailable("put", key, e);
    } finally {
      if (temp != null) deleteQuietly(temp);
    }
  }

  @Override
  public Optional<InputStream> get(String key) throws StorageUnavailableException {
    try {
      return Optional.of(Files.newInputStream(path(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw unavailable("get", key, e);
    }
  }

  @Override
  public Optional<InputStream> get(String key, long offset, long length) throws StorageUnavailableException {
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("byte range needs offset >= 0 and length > 0, was " + offset + "+" + length);
    }
    try {
      FileChannel channel = FileChannel.open(path(key), StandardOpenOption.READ);
      channel.position(offset);
      return Optional.of(new Limited(Channels.newInputStream(channel), length));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw unavailable("get", key, e);
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws StorageUnavailableException {
    try {
      BasicFileAttributes a = Files.readAttributes(path(key), BasicFileAttributes.class);
      if (!a.isRegularFile()) return Optional.empty();
      return Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant(), Map.of()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw unavailable("stat", key, e);
    }
  }

  @Override
  public void remove(String key) throws StorageUnavailableException {
    try {
      Files.deleteIfExists(path(key));
    } catch (IOException e) {
      throw unavailable("remove", key, e);
    }
  }

  @Override
  public void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException {
    try {
      walk(root, "", prefix, each);
    } catch (IOException e) {
      throw unavailable("list", prefix, e);
    }
  }

  /** Depth first, children in name order: keys come out in key order, as S3 lists them. */
  private void walk(Path dir, String keyPrefix, String prefix, Consumer<ObjectInfo> each) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    } catch (NoSuchFileException e) {
      return; // removed while we walked
    }
    children.sort(null);
    for (Path child : children) {
      String name = child.getFileName().toString();
      if (dir.equals(root) && name.equals(STAGING)) continue;
      String key = keyPrefix + name;
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(child, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        continue;
      }
      if (a.isDirectory()) {
        String dirKey = key + "/";
        boolean relevant = dirKey.startsWith(prefix) || prefix.startsWith(dirKey);
        if (relevant) walk(child, dirKey, prefix, each);
      } else if (a.isRegularFile() && key.startsWith(prefix)) {
        each.accept(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant(), Map.of()));
      }
    }
  }

  @Override
  public boolean reachable() {
    return Files.isDirectory(staging) && Files.isWritable(staging);
  }

  @Override
  public void removePartialWrites(String owner) throws StorageUnavailableException {
    Path dir = stagingRoot.resolve(owner);
    if (dir.equals(staging)) return; // this process's own writes are in progress, not partial
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) Files.deleteIfExists(p);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw unavailable("remove partial writes", owner, e);
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw unavailable("remove partial writes", owner, e);
    }
  }

  /** Removes this process's staging folder when no write is in progress there. */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(staging);
    } catch (IOException e) {
      // not empty (a write still running) or gone: the next start-up's recovery takes care of it
    }
  }

  /** The file of {@code key}; keys are relative '/'-separated paths without '.' or '..' segments. */
  Path path(String key) {
    if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) throw new IllegalArgumentException("bad object key: " + key);
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.equals(STAGING)
          || segment.indexOf('\\') >= 0 || segment.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("bad object key: " + key);
      }
    }
    return root.resolve(key);
  }

  /** Creates {@code dir} and missing parents, fsyncing each parent whose entries changed. */
  private Path ensureDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return dir;
    Path parent = dir.getParent();
    ensureDirectory(parent);
    try {
      Files.createDirectory(dir);
      syncDirectory(parent);
    } catch (FileAlreadyExistsException e) {
      // made by a concurrent writer, which syncs the parent itself before it acknowledges
      if (!Files.isDirectory(dir)) throw e;
    }
    return dir;
  }

  /** A rename or a new entry is durable only once its directory is (PS: POSIX fsync(2), Linux ext4). */
  private void syncDirectory(Path dir) throws IOException {
    if (!fsync) return;
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // left in the staging folder: removed at the next start-up
    }
  }

  private StorageUnavailableException unavailable(String operation, String key, IOException e) {
    return new StorageUnavailableException("object store " + operation + " failed (dir=" + root + " key=" + key
        + "): " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
  }

  /** At most {@code remaining} bytes of a stream. */
  private static final class Limited extends FilterInputStream {
    private long remaining;

    Limited(InputStream in, long remaining) {
      super(in);
      this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) return -1;
      int b = in.read();
      if (b >= 0) remaining--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) return -1;
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) remaining -= n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, remaining));
      remaining -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), remaining);
    }
  }
}
