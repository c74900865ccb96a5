package imago.storage.ingest;

import imago.storage.index.Source;
import imago.storage.object.ObjectStore.StorageUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of objects this process is writing, recorded (durably) before each object is put, so
 * that start-up recovery only re-checks recent writes, never the whole archive.
 *
 * <p>An entry covers the window in which an object can be durable while its index row is not: a
 * crash between the put and the index commit, or (on H2, which does not fsync each commit) a
 * power cut that loses commits the sender was already told about. A segment is deleted once every
 * write recorded in it has ended and the index has since been made durable ({@link #checkpoint}).
 *
 * <p>Each process journals under its own owner id and holds a lock on {@code <owner>.lock} while it
 * runs; journals whose lock is free belong to processes that died, and {@link #abandoned} hands
 * them to recovery. Fsyncs are shared: a writer whose entry another writer's fsync already covered
 * does not fsync again (group commit).
 */
public final class IngestJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJournal.class);
  private static final String LOCK = ".lock";
  /**
   * Lock files this JVM holds. They are never probed: on Linux, closing any channel on a file drops
   * every lock the process holds on it (FileLock's documentation), so a probe would unlock them.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
  private static final String SEGMENT = ".journal";

  /** One recorded write. */
  public record Entry(String key, Source source, String origin) {}

  /** A write in progress; {@link #close()} it once the index commit has succeeded or the write was given up. */
  public interface Ticket extends AutoCloseable {
    @Override
    void close();
  }

  /** What the index does to make every commit so far durable (H2: CHECKPOINT SYNC; PostgreSQL: nothing). */
  @FunctionalInterface
  public interface IndexSync {
    void sync() throws Exception;
  }

  private final Path dir;
  private final String owner;
  private final boolean fsync;
  private final IndexSync indexSync;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Object forceLock = new Object();
  private final List<Segment> retired = new ArrayList<>();
  private Segment current;
  private int sequence;

  private IngestJournal(Path dir, String owner, boolean fsync, IndexSync indexSync, FileChannel lockChannel, FileLock lock)
      throws IOException {
    this.dir = dir;
    this.owner = owner;
    this.fsync = fsync;
    this.indexSync = indexSync;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.current = newSegment();
  }

  /** A journal of a new owner in {@code dir}; {@code fsync} false only for benchmarks. */
  public static IngestJournal open(Path dir, boolean fsync, IndexSync indexSync) throws IOException {
    Files.createDirectories(dir);
    String owner = UUID.randomUUID().toString();
    FileChannel lockChannel = FileChannel.open(dir.resolve(owner + LOCK), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    FileLock lock = lockChannel.lock();
    HELD.add(dir.resolve(owner + LOCK).toAbsolutePath().normalize());
    return new IngestJournal(dir, owner, fsync, indexSync, lockChannel, lock);
  }

  /** This process's owner id (its staging folder is named after it too). */
  public String owner() {
    return owner;
  }

  /** Records the write of {@code key}; durable when this returns. */
  public Ticket begin(String key, Source source, String origin) throws StorageUnavailableException {
    try {
      return record(key, source, origin);
    } catch (IOException e) {
      throw new StorageUnavailableException("cannot journal the write of " + key + ": " + e.getMessage(), e);
    }
  }

  private Ticket record(String key, Source source, String origin) throws IOException {
    byte[] line = (key + '\t' + source.name() + '\t' + (origin == null ? "" : origin.replace('\t', ' ').replace('\n', ' '))
        + '\n').getBytes(StandardCharsets.UTF_8);
    Segment segment;
    long mine;
    synchronized (this) {
      segment = current;
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) segment.channel.write(b);
      segment.inflight.incrementAndGet();
      mine = ++segment.entries;
    }
    try {
      force(mine, segment);
    } catch (IOException e) {
      segment.inflight.decrementAndGet();
      throw e;
    }
    return segment.inflight::decrementAndGet;
  }

  private void force(long mine, Segment segment) throws IOException {
    if (!fsync) return;
    synchronized (forceLock) {
      if (segment.forced >= mine) return; // another writer's fsync of this segment covered this entry
      long upTo;
      synchronized (this) {
        upTo = segment.entries;
      }
      segment.channel.force(false);
      segment.forced = upTo;
    }
  }

  /**
   * Starts a new segment, makes the index durable, then deletes the old segments whose writes had
   * all ended before that. Called periodically and at close; returns how many segments went.
   */
  public int checkpoint() throws Exception {
    List<Segment> done = new ArrayList<>();
    synchronized (this) {
      if (!current.isEmpty()) {
        retired.add(current);
        current = newSegment();
      }
      for (Iterator<Segment> it = retired.iterator(); it.hasNext(); ) {
        Segment s = it.next();
        if (s.inflight.get() == 0) {
          done.add(s);
          it.remove();
        }
      }
    }
    if (done.isEmpty()) return 0;
    indexSync.sync();
    for (Segment s : done) s.delete();
    return done.size();
  }

  private Segment newSegment() throws IOException {
    Path p = dir.resolve(owner + "-" + (sequence++) + SEGMENT);
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    if (fsync) syncDirectory(dir);
    return new Segment(p, ch);
  }

  @Override
  public void close() {
    try {
      checkpoint();
      synchronized (this) {
        if (current.isEmpty() && retired.isEmpty()) {
          current.delete();
          lock.release();
          lockChannel.close();
          HELD.remove(dir.resolve(owner + LOCK).toAbsolutePath().normalize());
          Files.deleteIfExists(dir.resolve(owner + LOCK));
          return;
        }
      }
      LOG.warn("event=journal.close.pending owner={} (writes still open: recovered at the next start-up)", owner);
      lock.release();
      lockChannel.close();
      HELD.remove(dir.resolve(owner + LOCK).toAbsolutePath().normalize());
    } catch (Exception e) {
      LOG.warn("event=journal.close.failed owner={} reason=\"{}\" (recovered at the next start-up)", owner, e.toString());
    }
  }

  /** A journal left by a process that is gone: its entries, oldest first, and how to drop it after recovery. */
  public record Abandoned(String owner, List<Entry> entries, Path dir) {
    /** Deletes the journal's files once its entries are recovered. */
    public void discard() throws IOException {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, owner + "*")) {
        for (Path f : files) Files.deleteIfExists(f);
      }
    }
  }

  /** The journals in {@code dir} whose owners no longer run. */
  public static List<Abandoned> abandoned(Path dir) throws IOException {
    List<Abandoned> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) return out;
    List<Path> locks = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + LOCK)) {
      files.forEach(locks::add);
    }
    for (Path lockFile : locks) {
      String owner = lockFile.getFileName().toString().replace(LOCK, "");
      if (running(lockFile)) continue;
      out.add(new Abandoned(owner, entries(dir, owner), dir));
    }
    return out;
  }

  /** How many journals in {@code dir} are held now: processes writing to this data folder (serve, import, worker). */
  public static int writers(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + LOCK)) {
      for (Path lockFile : files) {
        if (running(lockFile)) n++;
      }
    }
    return n;
  }

  private static boolean running(Path lockFile) throws IOException {
    if (HELD.contains(lockFile.toAbsolutePath().normalize())) return true; // this JVM's own: never probed
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock probe = ch.tryLock();
      if (probe == null) return true;
      probe.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // held by this very process
    }
  }

  private static List<Entry> entries(Path dir, String owner) throws IOException {
    List<Path> segments = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, owner + "-*" + SEGMENT)) {
      files.forEach(segments::add);
    }
    segments.sort((a, b) -> Integer.compare(sequenceOf(a), sequenceOf(b)));
    List<Entry> entries = new ArrayList<>();
    for (Path s : segments) {
      for (String line : Files.readAllLines(s, StandardCharsets.UTF_8)) {
        String[] f = line.split("\t", -1);
        if (f.length != 3) continue; // a line cut short by the crash: its write was never acknowledged
        Source source;
        try {
          source = Source.valueOf(f[1]);
        } catch (IllegalArgumentException e) {
          continue;
        }
        entries.add(new Entry(f[0], source, f[2].isEmpty() ? null : f[2]));
      }
    }
    return entries;
  }

  private static int sequenceOf(Path segment) {
    String n = segment.getFileName().toString();
    return Integer.parseInt(n.substring(n.lastIndexOf('-') + 1, n.length() - SEGMENT.length()));
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** One journal file; counts are per segment, so an fsync of one never stands in for another's. */
  private static final class Segment {
    final Path path;
    final FileChannel channel;
    final AtomicInteger inflight = new AtomicInteger();
    long entries; // guarded by the journal
    long forced; // guarded by forceLock: how many of the entries are known to be on disk

    Segment(Path path, FileChannel channel) {
      this.path = path;
      this.channel = channel;
    }

    boolean isEmpty() {
      return entries == 0;
    }

    void delete() throws IOException {
      channel.close();
      Files.deleteIfExists(path);
    }
  }
}
