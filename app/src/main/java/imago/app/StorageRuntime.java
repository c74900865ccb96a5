package imago.app;

import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.SqlIndex;
import imago.storage.links.DeliveryLog;
import imago.storage.links.LinkStore;
import imago.storage.links.SqlDeliveryLog;
import imago.storage.links.SqlLinkStore;
import imago.storage.models.ModelCatalog;
import imago.storage.models.SqlModelCatalog;
import imago.storage.object.EmbeddedS3;
import imago.storage.object.ObjectStore;
import imago.storage.object.S3ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage side as one process sees it: the object store (embedded S3 server or an external
 * S3/MinIO), and the SQL index (embedded H2 or PostgreSQL). A serving process owns the embedded
 * S3 server and records its endpoint in the data folder; other processes on the same data folder
 * (import, workers) use that server while it runs, and start their own when it does not.
 */
public final class StorageRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageRuntime.class);

  private final EmbeddedS3 embeddedS3;
  private final S3ObjectStore store;
  private final Database database;
  private final Index index;
  private final ModelCatalog models;
  private final LinkStore links;
  private final DeliveryLog deliveries;
  private final Path endpointFile;

  private StorageRuntime(EmbeddedS3 embeddedS3, S3ObjectStore store, Database database, Path endpointFile) {
    this.embeddedS3 = embeddedS3;
    this.store = store;
    this.database = database;
    this.index = new SqlIndex(database.dataSource());
    this.models = new SqlModelCatalog(database.dataSource());
    this.links = new SqlLinkStore(database.dataSource());
    this.deliveries = new SqlDeliveryLog(database.dataSource());
    this.endpointFile = endpointFile;
  }

  public static StorageRuntime open(StorageConfig config, Path dataDir, boolean owner) throws IOException {
    EmbeddedS3 embedded = null;
    Path endpointFile = dataDir.resolve("run").resolve("s3-endpoint");
    S3ObjectStore store;
    if (config.s3().embedded()) {
      EmbeddedS3.Credentials credentials = EmbeddedS3.Credentials.loadOrCreate(dataDir.resolve("secrets").resolve("s3.credentials"));
      String endpoint = owner ? null : runningEndpoint(endpointFile, config, credentials);
      if (endpoint == null) {
        embedded = new EmbeddedS3(dataDir.resolve("s3"), config.s3().embeddedPort(), credentials.accessKey(), credentials.secretKey());
        embedded.start();
        endpoint = embedded.endpoint();
        if (owner) {
          Files.createDirectories(endpointFile.getParent());
          Files.writeString(endpointFile, endpoint, StandardCharsets.US_ASCII);
        }
        LOG.info("event=s3.embedded endpoint={} dir={}", endpoint, dataDir.resolve("s3"));
      }
      store = new S3ObjectStore(config.s3(), endpoint, credentials.accessKey(), credentials.secretKey());
    } else {
      store = new S3ObjectStore(config.s3(), config.s3().endpoint(), config.s3().accessKey(), config.s3().secretKey());
    }
    try {
      store.ensureBucket();
      Database db = Database.open(config.db(), dataDir);
      return new StorageRuntime(embedded, store, db, owner && embedded != null ? endpointFile : null);
    } catch (IOException | RuntimeException e) {
      store.close();
      if (embedded != null) embedded.close();
      throw e;
    }
  }

  /** The endpoint a serving process recorded, if that server answers. */
  private static String runningEndpoint(Path file, StorageConfig config, EmbeddedS3.Credentials credentials) throws IOException {
    if (!Files.isRegularFile(file)) return null;
    String endpoint = Files.readString(file, StandardCharsets.US_ASCII).trim();
    try (S3ObjectStore probe = new S3ObjectStore(config.s3(), endpoint, credentials.accessKey(), credentials.secretKey())) {
      return probe.reachable() ? endpoint : null;
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

  public Database database() {
    return database;
  }

  /** The embedded S3 server this process runs, or null. */
  public EmbeddedS3 embeddedS3() {
    return embeddedS3;
  }

  @Override
  public void close() {
    database.close();
    store.close();
    if (embeddedS3 != null) embeddedS3.close();
    try {
      if (endpointFile != null) Files.deleteIfExists(endpointFile);
    } catch (IOException ignored) {
      // a stale endpoint file is checked for reachability before use
    }
  }

}
