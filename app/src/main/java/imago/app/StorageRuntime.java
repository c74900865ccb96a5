package imago.app;

import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.StorageConfig;
import imago.storage.index.AuditTrail;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.SqlAuditTrail;
import imago.storage.index.SqlIndex;
import imago.storage.index.SqlUnavailableException;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestJournal;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestTimings;
import imago.storage.ingest.Recovery;
import imago.storage.links.DeliveryLog;
import imago.storage.links.LinkStore;
import imago.storage.links.SqlDeliveryLog;
import imago.storage.links.SqlLinkStore;
import imago.storage.models.ModelCatalog;
import imago.storage.models.SqlModelCatalog;
import imago.storage.object.EmbeddedS3;
import imago.storage.object.FsObjectStore;
import imago.storage.object.ObjectStore;
import imago.storage.object.S3ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage side as one process sees it: the object store (a local directory, or an S3 bucket),
 * the SQL index (embedded H2 or PostgreSQL), and this process's ingest journal, checkpointed on a
 * timer. Every process on a data folder (serve, import, worker) has a journal of its own.
 */
public final class StorageRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageRuntime.class);

  /** Where {@code imago s3} records the endpoint of the S3 server it runs on a data folder. */
  static final String S3_ENDPOINT_FILE = "run/s3-endpoint";
  static final String S3_CREDENTIALS_FILE = "secrets/s3.credentials";

  private final ObjectStore store;
  private final Database database;
  private final IngestJournal journal;
  private final Path journalDir;
  private final Index index;
  private final ModelCatalog models;
  private final LinkStore links;
  private final DeliveryLog deliveries;
  private final ScheduledExecutorService checkpoints;

  private StorageRuntime(ObjectStore store, Database database, IngestJournal journal, Path journalDir,
      StorageConfig config) {
    this.store = store;
    this.database = database;
    this.journal = journal;
    this.journalDir = journalDir;
    this.index = new SqlIndex(database.dataSource());
    this.models = new SqlModelCatalog(database.dataSource());
    this.links = new SqlLinkStore(database.dataSource());
    this.deliveries = new SqlDeliveryLog(database.dataSource());
    this.checkpoints = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "imago-checkpoint");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(100, config.checkpointInterval().toMillis());
    checkpoints.scheduleWithFixedDelay(this::checkpoint, every, every, TimeUnit.MILLISECONDS);
  }

  public static StorageRuntime open(StorageConfig config, Path dataDir) throws IOException {
    Database db = Database.open(config.db(), dataDir);
    Path journalDir = dataDir.resolve("journal");
    IngestJournal journal = null;
    ObjectStore store = null;
    try {
      journal = IngestJournal.open(journalDir, config.fs().fsync(), db::syncToDisk);
      store = openStore(config.backend(), config, dataDir, journal.owner());
      return new StorageRuntime(store, db, journal, journalDir, config);
    } catch (IOException | RuntimeException e) {
      if (store != null) store.close();
      if (journal != null) journal.close();
      db.close();
      throw e;
    }
  }

  /**
   * The object store of {@code backend} as {@code config} describes it, whether or not it is the
   * configured backend ({@code imago migrate-objects} opens both). Writes are staged under
   * {@code owner} on fs.
   */
  static ObjectStore openStore(StorageConfig.Backend backend, StorageConfig config, Path dataDir, String owner)
      throws IOException {
    return switch (backend) {
      case FS -> new FsObjectStore(config.fs().dir(dataDir), config.fs().fsync(), owner);
      case S3 -> {
        S3ObjectStore s3 = s3(config, dataDir);
        try {
          s3.ensureBucket();
        } catch (IOException | RuntimeException e) {
          s3.close();
          throw e;
        }
        yield s3;
      }
    };
  }

  private static S3ObjectStore s3(StorageConfig config, Path dataDir) throws IOException {
    StorageConfig.S3 s3 = config.s3();
    Path spool = dataDir.resolve("spool");
    if (!s3.local()) {
      return new S3ObjectStore(s3, s3.endpoint(), s3.accessKey(), s3.secretKey(), spool, config.spoolThreshold());
    }
    Path endpointFile = dataDir.resolve(S3_ENDPOINT_FILE);
    if (!Files.isRegularFile(endpointFile)) {
      throw new IOException("storage.backend is s3 and storage.s3.endpoint is empty, but no `imago s3` runs on "
          + dataDir + " (no " + endpointFile + "): start one, or set storage.s3.endpoint");
    }
    EmbeddedS3.Credentials credentials = EmbeddedS3.Credentials.loadOrCreate(dataDir.resolve(S3_CREDENTIALS_FILE));
    String endpoint = Files.readString(endpointFile, StandardCharsets.US_ASCII).trim();
    return new S3ObjectStore(s3, endpoint, credentials.accessKey(), credentials.secretKey(), spool,
        config.spoolThreshold());
  }

  /** The one ingest path over this storage, journaled by this process. */
  public Ingest ingest(DuplicatePolicy policy, IngestListener listener) {
    return ingest(policy, listener, IngestTimings.NONE);
  }

  /** The one ingest path over this storage, journaled by this process, recording its stage times. */
  public Ingest ingest(DuplicatePolicy policy, IngestListener listener, IngestTimings timings) {
    return new Ingest(store, index, journal, policy, listener, timings);
  }

  /** Re-indexes what processes that died on this data folder were writing (start-up, before serving). */
  public Recovery.Result recover(Ingest ingest) throws IOException {
    try {
      return Recovery.run(journalDir, store, index, ingest);
    } catch (SqlUnavailableException e) {
      throw new IOException("start-up recovery: " + e.getMessage(), e);
    }
  }

  private void checkpoint() {
    try {
      int segments = journal.checkpoint();
      if (segments > 0) LOG.debug("event=journal.checkpoint segments={}", segments);
    } catch (Exception e) {
      LOG.warn("event=journal.checkpoint.failed reason=\"{}\" (retried at the next interval)", e.toString());
    }
  }

  public ObjectStore store() {
    return store;
  }

  public Index index() {
    return index;
  }

  /** The model registry's versions and lifecycle, in the same SQL index. */
  public ModelCatalog models() {
    return models;
  }

  public LinkStore links() {
    return links;
  }

  public DeliveryLog deliveries() {
    return deliveries;
  }

  /** The audit trail as the syslog export reads it, and how far that export has gone. */
  public AuditTrail auditTrail() {
    return new SqlAuditTrail(database.dataSource(), "syslog");
  }

  public Database database() {
    return database;
  }

  @Override
  public void close() {
    checkpoints.shutdownNow();
    try {
      checkpoints.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    journal.close();
    store.close();
    database.close();
  }
}
