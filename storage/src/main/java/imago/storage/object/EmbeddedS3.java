package imago.storage.object;

import imago.core.io.SecretFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.FilesystemApiMetadata;
import org.jclouds.filesystem.reference.FilesystemConstants;
import org.jclouds.logging.slf4j.config.SLF4JLoggingModule;

/**
 * The embedded S3 server: S3Proxy in-process on a jclouds filesystem blob store, listening on
 * 127.0.0.1 only, with AWS V4 authentication. Each bucket is a directory under the base
 * directory. It can be stopped and started again on the same port (an outage, then recovery).
 *
 * <p>Logging goes through slf4j under {@code org.gaul}, {@code org.jclouds} and the shaded Jetty
 * ({@code org.gaul.shaded.org.eclipse.jetty}); set those to WARN in the logging config.
 */
public final class EmbeddedS3 implements AutoCloseable {

  private static final String LOOPBACK = "127.0.0.1";

  private final Path baseDir;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private BlobStoreContext blobStore;
  private S3Proxy proxy;

  /**
   * A server on {@code port} (0: a free loopback port, chosen now and kept across restarts) that
   * keeps its buckets under {@code baseDir}. Nothing listens until {@link #start()}.
   */
  public EmbeddedS3(Path baseDir, int port, String accessKey, String secretKey) {
    if (accessKey == null || accessKey.isBlank() || secretKey == null || secretKey.isBlank()) {
      throw new IllegalArgumentException("embedded S3 needs an access key and a secret key");
    }
    this.baseDir = baseDir.toAbsolutePath();
    this.port = port == 0 ? freeLoopbackPort() : port;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + LOOPBACK, e);
    }
  }

  /** Starts listening; does nothing if already started. */
  public synchronized void start() throws IOException {
    if (proxy != null) {
      return;
    }
    Files.createDirectories(baseDir);
    Properties overrides = new Properties();
    overrides.setProperty(FilesystemConstants.PROPERTY_BASEDIR, baseDir.toString());
    BlobStoreContext context = ContextBuilder.newBuilder(new FilesystemApiMetadata())
        .overrides(overrides)
        .modules(List.of(new SLF4JLoggingModule()))
        .buildView(BlobStoreContext.class);
    S3Proxy server = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create(endpoint()))
        .awsAuthentication(AuthenticationType.AWS_V4, accessKey, secretKey)
        .build();
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly(server);
      context.close();
      throw new IOException("embedded S3 cannot listen on " + endpoint() + ": " + e.getMessage(),
          e);
    }
    blobStore = context;
    proxy = server;
  }

  /** Stops listening (the objects stay on disk); {@link #start()} may be called again. */
  public synchronized void stop() {
    if (proxy == null) {
      return;
    }
    stopQuietly(proxy);
    blobStore.close();
    proxy = null;
    blobStore = null;
  }

  private static void stopQuietly(S3Proxy server) {
    try {
      server.stop();
    } catch (Exception e) {
      // Jetty's stop only fails on a half-started server; the port is released either way.
    }
  }

  @Override
  public void close() {
    stop();
  }

  public synchronized boolean running() {
    return proxy != null;
  }

  /** The URL S3 clients use, e.g. {@code http://127.0.0.1:9000}. */
  public String endpoint() {
    return "http://" + LOOPBACK + ":" + port;
  }

  public int port() {
    return port;
  }

  /**
   * Runs a server in a process of its own (how tests use S3, the way a user runs MinIO):
   * {@code EmbeddedS3 BASE_DIR PORT CREDENTIALS_FILE}. Prints {@code listening ENDPOINT} once it
   * accepts requests, then runs until the process is killed.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: EmbeddedS3 BASE_DIR PORT CREDENTIALS_FILE");
      System.exit(2);
    }
    Credentials c = Credentials.loadOrCreate(Path.of(args[2]));
    EmbeddedS3 server = new EmbeddedS3(Path.of(args[0]), Integer.parseInt(args[1]), c.accessKey(), c.secretKey());
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "s3-shutdown"));
    System.out.println("listening " + server.endpoint());
    System.out.flush();
    Thread.currentThread().join();
  }

  /** Access key and secret key of the embedded server. */
  public record Credentials(String accessKey, String secretKey) {

    private static final String ACCESS_KEY = "accessKey";
    private static final String SECRET_KEY = "secretKey";
    private static final String UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String ALPHANUMERIC =
        UPPER_DIGITS + "abcdefghijklmnopqrstuvwxyz";

    /** Fresh random credentials: a 20-character access key and a 40-character secret key. */
    public static Credentials generate() {
      SecureRandom random = new SecureRandom();
      return new Credentials(randomString(random, UPPER_DIGITS, 20),
          randomString(random, ALPHANUMERIC, 40));
    }

    /**
     * The credentials stored in {@code file}; when it does not exist, generates them and writes
     * the file readable by its owner only (0600; its directory 0700 when created here).
     */
    public static Credentials loadOrCreate(Path file) throws IOException {
      if (!Files.exists(file)) {
        Credentials fresh = generate();
        // false: another process created it first, and theirs is read below
        SecretFiles.createOnce(file, ACCESS_KEY + "=" + fresh.accessKey() + "\n" + SECRET_KEY + "=" + fresh.secretKey() + "\n");
      }
      return read(file);
    }

    private static Credentials read(Path file) throws IOException {
      Properties p = new Properties();
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      String access = p.getProperty(ACCESS_KEY, "").trim();
      String secret = p.getProperty(SECRET_KEY, "").trim();
      if (access.isEmpty() || secret.isEmpty()) {
        throw new IOException(file + " must hold " + ACCESS_KEY + "= and " + SECRET_KEY + "=");
      }
      return new Credentials(access, secret);
    }

    private static String randomString(SecureRandom random, String alphabet, int length) {
      StringBuilder s = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      return s.toString();
    }

    /** Never prints the secret key (records print every component by default). */
    @Override
    public String toString() {
      return "Credentials[accessKey=" + accessKey + ", secretKey=***]";
    }
  }
}
