package imago.storage.object;

import imago.core.testkit.Trees;
import imago.storage.StorageConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An S3 server (S3Proxy, {@link EmbeddedS3#main}) in a process of its own, the way a deployment
 * runs MinIO next to Imago, on a temporary directory with generated credentials, for any module's
 * tests. Register it on a static field, then ask for stores on fresh buckets:
 *
 * <pre>
 * &#64;RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
 * ...
 * try (S3ObjectStore store = S3.newStore()) { ... }
 * </pre>
 *
 * {@link #stopServer()} and {@link #startServer()} make an outage on the same port. Outside JUnit,
 * call {@link #start()} and {@link #close()}.
 */
public final class EmbeddedS3Fixture implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  /** The production default (imago-defaults.yaml), so tests see the same single/multipart split. */
  public static final long PART_SIZE = 16L * 1024 * 1024;
  public static final String REGION = "us-east-1";

  private final AtomicInteger buckets = new AtomicInteger();
  private final List<S3ObjectStore> stores = new ArrayList<>();
  private Path dir;
  private Path credentialsFile;
  private EmbeddedS3.Credentials credentials;
  private int port;
  private Process server;

  /** Starts the server process (once; later calls do nothing). */
  public synchronized EmbeddedS3Fixture start() throws IOException {
    if (dir == null) {
      dir = Files.createTempDirectory("imago-s3-");
      credentialsFile = dir.resolve("secrets/s3.credentials");
      credentials = EmbeddedS3.Credentials.loadOrCreate(credentialsFile);
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        port = s.getLocalPort();
      }
      startServer();
    }
    return this;
  }

  /** Starts the server process again on the same port and directory, after {@link #stopServer()}. */
  public synchronized void startServer() throws IOException {
    if (server != null && server.isAlive()) return;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        EmbeddedS3.class.getName(), dir.resolve("s3").toString(), Integer.toString(port), credentialsFile.toString())
        .redirectErrorStream(true);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    StringBuilder seen = new StringBuilder();
    while ((line = out.readLine()) != null) {
      if (line.startsWith("listening ")) break;
      seen.append(line).append('\n');
    }
    if (line == null) {
      p.destroyForcibly();
      throw new IOException("S3 server process did not start:\n" + seen);
    }
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // keep the pipe from filling up
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "s3-fixture-output");
    drain.setDaemon(true);
    drain.start();
    server = p;
  }

  /** Kills the server process (an outage); the objects stay on disk. */
  public synchronized void stopServer() {
    if (server == null) return;
    server.destroy();
    try {
      if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  public EmbeddedS3.Credentials credentials() {
    return started().credentials;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + started().port;
  }

  public int port() {
    return started().port;
  }

  /** The configuration a store on {@code bucket} of this server would be given. */
  public StorageConfig.S3 config(String bucket) {
    return new StorageConfig.S3(endpoint(), credentials.accessKey(), credentials.secretKey(), REGION, bucket, PART_SIZE);
  }

  /** A store on a new, empty bucket; closed with the fixture. */
  public S3ObjectStore newStore() throws ObjectStore.StorageUnavailableException {
    return newStore("test-" + buckets.incrementAndGet());
  }

  /** A store on {@code bucket}, created if missing; closed with the fixture. */
  public synchronized S3ObjectStore newStore(String bucket) throws ObjectStore.StorageUnavailableException {
    S3ObjectStore store = new S3ObjectStore(config(bucket), endpoint(), credentials.accessKey(), credentials.secretKey(),
        dir.resolve("spool"), 1 << 20);
    stores.add(store);
    store.ensureBucket();
    return store;
  }

  @Override
  public synchronized void close() {
    stores.forEach(S3ObjectStore::close);
    stores.clear();
    stopServer();
    if (dir != null) {
      try {
        Trees.delete(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + dir, e);
      }
      dir = null;
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
    if (dir == null) {
      throw new IllegalStateException("EmbeddedS3Fixture not started: register it with "
          + "@RegisterExtension on a static field, or call start()");
    }
    return this;
  }

}
