package imago.app;

import imago.core.config.Config;
import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.storage.StorageConfig;
import imago.storage.index.Source;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * {@code imago import DIR}: every file under DIR through the same ingest path as C-STORE and
 * STOW-RS, in parallel, with a progress bar and a summary of stored / duplicate / rejected (with
 * reasons). With embedded storage it joins a running Imago on the same data folder, or starts
 * the embedded S3 server itself.
 */
final class ImportCommand {
  private static final String DICOMDIR_CLASS = "1.2.840.10008.1.3.10";

  /** Counts for the summary. */
  static final class Tally {
    final LongAdder stored = new LongAdder();
    final LongAdder duplicate = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final AtomicLong done = new AtomicLong();
    final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
  }

  /** What the progress bar calls the three outcomes a tally counts. */
  record Labels(String stored, String duplicate, String rejected) {
    static final Labels IMPORT = new Labels("stored", "duplicate", "rejected");
  }

  private ImportCommand() {}

  static int run(Config config, Path dir, String tenantId, int threads) throws Exception {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("not a folder: " + dir);
    Tenants tenants = Imago.tenants(config);
    Tenant tenant = chooseTenant(tenants, tenantId);
    StorageConfig storageConfig = config.section("storage", StorageConfig.class);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    int n = threads > 0 ? threads : storageConfig.ingestThreads();
    try (StorageRuntime storage = StorageRuntime.open(storageConfig, config.dataDir())) {
      Ingest ingest = storage.ingest(storageConfig.duplicatePolicy(), IngestListener.NONE);
      Tally tally = importFiles(ingest, tenant, files, n, System.err);
      printSummary(System.out, tally, files.size());
      // Success only if every file was accounted for: a task that died is neither stored nor rejected.
      return tally.stored.sum() + tally.duplicate.sum() == files.size() ? 0 : 1;
    }
  }

  private static Tenant chooseTenant(Tenants tenants, String tenantId) {
    if (tenantId != null) {
      return tenants.byId(tenantId).orElseThrow(() -> new IllegalArgumentException("no tenant '" + tenantId + "'"));
    }
    if (tenants.all().size() != 1) throw new IllegalArgumentException("several tenants are configured: name one with --tenant");
    return tenants.all().get(0);
  }

  static Tally importFiles(Ingest ingest, Tenant tenant, List<Path> files, int threads, PrintStream progressOut)
      throws InterruptedException {
    return runAll(files, threads, progressOut, "files", Labels.IMPORT, (file, tally) -> importOne(ingest, tenant, file, tally));
  }

  /** Runs {@code task} on every item with {@code threads} threads, with a progress bar; the tally counts outcomes. */
  static <T> Tally runAll(List<T> items, int threads, PrintStream progressOut, String unit, Labels labels,
      java.util.function.BiConsumer<T, Tally> task) throws InterruptedException {
    Tally tally = new Tally();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Progress progress = new Progress(progressOut, items.size(), tally, unit, labels);
    progress.start();
    for (T item : items) {
      pool.execute(() -> {
        task.accept(item, tally);
        tally.done.incrementAndGet();
      });
    }
    pool.shutdown();
    pool.awaitTermination(365, TimeUnit.DAYS);
    progress.stop();
    return tally;
  }

  private static void importOne(Ingest ingest, Tenant tenant, Path file, Tally tally) {
    try (Spool spool = Spool.ofFile(file)) {
      IngestOutcome outcome = ingest.store(IngestRequest.part10(tenant, Source.IMPORT, "import", spool,
          IngestRequest.Expectations.NONE));
      if (outcome.ok()) {
        (outcome.duplicate() ? tally.duplicate : tally.stored).increment();
        tally.bytes.add(spool.size());
      } else if (DICOMDIR_CLASS.equals(outcome.sopClassUid())) {
        reject(tally, "DICOMDIR (a media index, not an instance)");
      } else {
        reject(tally, outcome.reason().replaceAll(" at data set offset \\d+", "").replaceAll("'[^']*'", "'…'"));
      }
    } catch (IOException e) {
      reject(tally, "cannot read file: " + e.getMessage());
    } catch (RuntimeException e) {
      reject(tally, "processing failure: " + e);
    }
  }

  static void reject(Tally tally, String reason) {
    tally.rejected.increment();
    tally.reasons.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  static void printSummary(PrintStream out, Tally t, int files) {
    out.printf("%d files: %d stored, %d duplicate, %d rejected (%.1f MB stored)%n", files, t.stored.sum(),
        t.duplicate.sum(), t.rejected.sum(), t.bytes.sum() / 1e6);
    Map<String, LongAdder> sorted = new TreeMap<>(t.reasons);
    sorted.forEach((reason, count) -> out.printf("  rejected %5d  %s%n", count.sum(), reason));
  }

  /** A one-line progress bar with the time left ({@link ProgressLine}), redrawn by a thread of its own. */
  private static final class Progress {
    private final int total;
    private final Tally tally;
    private final String unit;
    private final Labels labels;
    private final ProgressLine line;
    private final boolean terminal = System.console() != null;
    private Thread thread;

    Progress(PrintStream out, int total, Tally tally, String unit, Labels labels) {
      this.total = total;
      this.tally = tally;
      this.unit = unit;
      this.labels = labels;
      this.line = new ProgressLine(out, unit, terminal);
    }

    void start() {
      thread = new Thread(() -> {
        try {
          while (!Thread.currentThread().isInterrupted()) {
            Thread.sleep(terminal ? 200 : 1000);
            print();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "import-progress");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      thread.interrupt();
      thread.join();
      print();
      line.end();
    }

    private void print() {
      long done = tally.done.get();
      line.show(done, total, String.format("%s %d  %s %d  %s %d  %.0f %s/s", labels.stored(), tally.stored.sum(),
          labels.duplicate(), tally.duplicate.sum(), labels.rejected(), tally.rejected.sum(),
          done / Math.max(1e-3, line.elapsedSeconds()), unit));
    }
  }
}
