package imago.storage.object;

import imago.storage.StorageConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An {@link EmbeddedS3} in a temporary directory with generated credentials, for any module's
 * tests. Register it on a static field, then ask for stores on fresh buckets:
 *
 * <pre>
 * &#64;RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
 * ...
 * try (S3ObjectStore store = S3.newStore()) { ... }
 * </pre>
 *
 * Outside JUnit, call {@link #start()} and {@link #close()}.
 */
public final class EmbeddedS3Fixture implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  /** The production default (imago-defaults.yaml), so tests see the same single/multipart split. */
  public static final long PART_SIZE = 16L * 1024 * 1024;
  public static final String REGION = "us-east-1";

  private final AtomicInteger buckets = new AtomicInteger();
  private final List<S3ObjectStore> stores = new ArrayList<>();
  private Path dir;
  private EmbeddedS3.Credentials credentials;
  private EmbeddedS3 server;

  /** Starts the server (once; later calls do nothing). */
  public synchronized EmbeddedS3Fixture start() throws IOException {
    if (server == null) {
      dir = Files.createTempDirectory("imago-s3-");
      credentials = EmbeddedS3.Credentials.loadOrCreate(dir.resolve("secrets/s3.properties"));
      server = new EmbeddedS3(dir.resolve("s3"), 0, credentials.accessKey(),
          credentials.secretKey());
      server.start();
    }
    return this;
  }

  /** The running server: stop and start it to simulate an outage. */
  public EmbeddedS3 server() {
    return started().server;
  }

  public EmbeddedS3.Credentials credentials() {
    return started().credentials;
  }

  public String endpoint() {
    return server().endpoint();
  }

  /** The configuration a store on {@code bucket} of this server would be given. */
  public StorageConfig.S3 config(String bucket) {
    return new StorageConfig.S3(endpoint(), credentials.accessKey(), credentials.secretKey(),
        REGION, bucket, server.port(), PART_SIZE);
  }

  /** A store on a new, empty bucket; closed with the fixture. */
  public S3ObjectStore newStore() throws ObjectStore.StorageUnavailableException {
    return newStore("test-" + buckets.incrementAndGet());
  }

  /** A store on {@code bucket}, created if missing; closed with the fixture. */
  public synchronized S3ObjectStore newStore(String bucket)
      throws ObjectStore.StorageUnavailableException {
    S3ObjectStore store = new S3ObjectStore(config(bucket), endpoint(), credentials.accessKey(),
        credentials.secretKey());
    stores.add(store);
    store.ensureBucket();
    return store;
  }

  @Override
  public synchronized void close() {
    stores.forEach(S3ObjectStore::close);
    stores.clear();
    if (server != null) {
      server.close();
      server = null;
      deleteTree(dir);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private synchronized EmbeddedS3Fixture started() {
    if (server == null) {
      throw new IllegalStateException("EmbeddedS3Fixture not started: register it with "
          + "@RegisterExtension on a static field, or call start()");
    }
    return this;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
