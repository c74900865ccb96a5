package imago.app;

import imago.core.config.Config;
import imago.storage.StorageConfig;
import imago.storage.ingest.IngestJournal;
import imago.storage.object.ObjectStore;
import imago.storage.object.ObjectStore.ObjectInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code imago migrate-objects --to fs|s3 [--threads N]}: copies every object of the configured
 * backend into the other one, under the same keys, so the index stays valid as it is. Each copy is
 * read back and its SHA-256 compared with the source's before it counts as moved.
 *
 * <p>Resumable: {@code {data}/run/migrate-objects-to-<backend>} records the last key, in listing
 * order, up to which every object is moved and verified; a run after an interruption does not copy
 * those again when the destination holds them at their size. A complete run deletes the record, so
 * a later migration starts afresh. Nothing may write to the data folder meanwhile (the command refuses while a serve, import
 * or worker process holds a journal there). The source is left as it was: switching
 * {@code storage.backend} and deleting the old copy are the operator's steps.
 */
final class MigrateCommand {
  private static final int SAVE_EVERY_SECONDS = 2;

  private MigrateCommand() {}

  static int run(Config config, StorageConfig.Backend to, int threads, PrintStream out, PrintStream progress)
      throws Exception {
    StorageConfig storage = config.section("storage", StorageConfig.class);
    StorageConfig.Backend from = storage.backend();
    String target = to.name().toLowerCase(Locale.ROOT);
    if (from == to) throw new IllegalArgumentException("storage.backend is " + target + " already: nothing to migrate");
    Path data = config.dataDir();
    int writers = IngestJournal.writers(data.resolve("journal"));
    if (writers > 0) {
      throw new IllegalArgumentException(writers + " process(es) write to " + data + " (imago serve, import or worker): "
          + "stop them first, or objects stored during the move would be left behind");
    }
    String owner = "migrate-" + UUID.randomUUID();
    try (ObjectStore source = StorageRuntime.openStore(from, storage, data, owner);
         ObjectStore destination = StorageRuntime.openStore(to, storage, data, owner)) {
      progress.println("migrate-objects: listing the " + from.name().toLowerCase(Locale.ROOT) + " store...");
      List<ObjectInfo> objects = new ArrayList<>();
      source.list("", objects::add);
      Path markFile = data.resolve("run").resolve("migrate-objects-to-" + target);
      Watermark mark = Watermark.resume(markFile, objects);
      if (mark.next() > 0) progress.println("migrate-objects: resuming after " + mark.next() + " objects moved by an earlier run");
      List<Integer> ordinals = new ArrayList<>(objects.size());
      for (int i = 0; i < objects.size(); i++) ordinals.add(i);
      ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "migrate-progress");
        t.setDaemon(true);
        return t;
      });
      saver.scheduleWithFixedDelay(mark::saveQuietly, SAVE_EVERY_SECONDS, SAVE_EVERY_SECONDS, TimeUnit.SECONDS);
      int resumeAt = mark.next();
      ImportCommand.Tally tally;
      try {
        tally = ImportCommand.runAll(ordinals, Math.max(1, threads > 0 ? threads : storage.ingestThreads()), progress,
            "objects", new ImportCommand.Labels("copied", "moved before", "failed"), (i, t) -> {
              ObjectInfo o = objects.get(i);
              try {
                if (i < resumeAt && sameSize(destination, o)) { // moved and verified by an earlier run
                  t.duplicate.increment();
                  t.bytes.add(o.size());
                  mark.done(i);
                  return;
                }
                copy(source, destination, o);
                t.stored.increment();
                t.bytes.add(o.size());
                mark.done(i);
              } catch (IOException | RuntimeException e) {
                ImportCommand.reject(t, e.getMessage() == null ? e.toString() : e.getMessage().replace(o.key(), "<key>"));
              }
            });
      } finally {
        saver.shutdownNow();
        saver.awaitTermination(30, TimeUnit.SECONDS);
        mark.save();
      }
      long failed = tally.rejected.sum();
      boolean complete = failed == 0 && tally.stored.sum() + tally.duplicate.sum() == objects.size();
      out.printf("%d objects (%.1f MB): %d copied and verified, %d moved by an earlier run, %d failed%n", objects.size(),
          tally.bytes.sum() / 1e6, tally.stored.sum(), tally.duplicate.sum(), failed);
      tally.reasons.forEach((reason, count) -> out.printf("  failed %5d  %s%n", count.sum(), reason));
      if (!complete) {
        out.println("run the same command again to retry: it resumes where every object before was moved");
        return 1;
      }
      Files.deleteIfExists(markFile); // a later migration starts afresh
      out.printf("every object is in %s now: set storage.backend: %s (or IMAGO_STORAGE_BACKEND=%s) and restart Imago;"
          + " the %s copy is left as it was%n", target, target, target, from.name().toLowerCase(Locale.ROOT));
      return 0;
    }
  }

  /** Whether the destination holds {@code o}'s key with its size (an earlier run moved it). */
  private static boolean sameSize(ObjectStore destination, ObjectInfo o) throws IOException {
    Optional<ObjectInfo> there = destination.stat(o.key());
    return there.isPresent() && there.get().size() == o.size();
  }

  /** Copies one object, hashing it on the way, then reads the copy back and compares its SHA-256. */
  private static void copy(ObjectStore source, ObjectStore destination, ObjectInfo o) throws IOException {
    MessageDigest sent = sha256();
    Optional<InputStream> in = source.get(o.key());
    if (in.isEmpty()) throw new IOException("object vanished from the source during the move");
    try (InputStream body = new DigestInputStream(in.get(), sent)) {
      destination.put(o.key(), body, o.size(), o.key().endsWith(".dcm") ? "application/dicom" : "application/octet-stream",
          Map.of());
    }
    MessageDigest copied = sha256();
    Optional<InputStream> back = destination.get(o.key());
    if (back.isEmpty()) throw new IOException("the copy is missing right after it was written");
    try (InputStream body = new DigestInputStream(back.get(), copied)) {
      body.transferTo(OutputStream.nullOutputStream());
    }
    byte[] a = sent.digest();
    byte[] b = copied.digest();
    if (!MessageDigest.isEqual(a, b)) {
      throw new IOException("copy differs from the source: SHA-256 " + HexFormat.of().formatHex(b) + ", expected "
          + HexFormat.of().formatHex(a));
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * How far, in listing order, every object is moved: the objects before {@link #next()} all are.
   * Saved as that count and the key of the last of them, so a resumed run finds its place by key
   * even if the listing has shifted.
   */
  static final class Watermark {
    private final Path file;
    private final List<ObjectInfo> objects;
    private final BitSet done = new BitSet();
    private int next;
    private int saved = -1; // guarded by this

    private Watermark(Path file, List<ObjectInfo> objects, int next) {
      this.file = file;
      this.objects = objects;
      this.next = next;
      done.set(0, next);
    }

    /** Where an earlier run on these objects stopped (0 when none did, or its last key is gone). */
    static Watermark resume(Path file, List<ObjectInfo> objects) throws IOException {
      int next = 0;
      if (Files.isRegularFile(file)) {
        String[] line = Files.readString(file, StandardCharsets.UTF_8).strip().split("\t", 2);
        if (line.length == 2) {
          int hint = Integer.parseInt(line[0]) - 1;
          String key = line[1];
          if (hint >= 0 && hint < objects.size() && objects.get(hint).key().equals(key)) {
            next = hint + 1;
          } else {
            for (int i = 0; i < objects.size(); i++) {
              if (objects.get(i).key().equals(key)) {
                next = i + 1;
                break;
              }
            }
          }
        }
      }
      return new Watermark(file, objects, next);
    }

    synchronized int next() {
      return next;
    }

    synchronized void done(int ordinal) {
      done.set(ordinal);
      next = done.nextClearBit(next);
    }


    void saveQuietly() {
      try {
        save();
      } catch (IOException e) {
        // retried at the next interval; the final save reports it
      }
    }

    /** Writes the mark (temporary file, fsync, rename), if it moved since the last save. */
    synchronized void save() throws IOException {
      int n = next();
      if (n == saved || n == 0) return;
      Files.createDirectories(file.getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, n + "\t" + objects.get(n - 1).key() + "\n", StandardCharsets.UTF_8);
      try (FileChannel c = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        c.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      saved = n;
    }
  }
}
