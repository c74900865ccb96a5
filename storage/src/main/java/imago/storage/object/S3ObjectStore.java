package imago.storage.object;

import imago.core.io.Spool;
import imago.storage.StorageConfig;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@link ObjectStore} on one S3 bucket through the MinIO client: the embedded S3Proxy, MinIO or
 * any S3. Every failure to reach or be served by the store becomes a
 * {@link StorageUnavailableException}; only a missing key on get/stat is an answer (empty).
 *
 * <p>User metadata travels as {@code x-amz-meta-*} HTTP headers: keys come back lowercased (as
 * S3 does) and values must be printable ASCII (UIDs, hex digests).
 */
public final class S3ObjectStore implements ObjectStore {

  /** S3's smallest and largest multipart part (the MinIO client enforces the same bounds). */
  static final long MIN_PART_SIZE = 5L * 1024 * 1024;
  static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;

  private static final int DEFAULT_SPOOL_THRESHOLD = 32 * 1024 * 1024;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration READ_WRITE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  // MinIO 8.5 runs every call through OkHttp's async dispatcher, whose default of 5 requests
  // per host would silently cap parallel ingest.
  private static final int MAX_CONCURRENT_REQUESTS = 64;
  private static final Set<String> MISSING_KEY = Set.of("NoSuchKey", "NoSuchObject");
  private static final Set<String> BUCKET_ALREADY_THERE =
      Set.of("BucketAlreadyOwnedByYou", "BucketAlreadyExists");

  private final OkHttpClient http;
  private final MinioClient client;
  private final MinioClient probe;
  private final String endpoint;
  private final String bucket;
  private final long partSize;
  private final Path spoolDir;
  private final int spoolThreshold;

  /**
   * A store on {@code config.bucket()} at {@code endpoint} (e.g. {@code http://127.0.0.1:9000}),
   * signing with the given credentials in {@code config.region()}. The endpoint and credentials
   * are explicit because the embedded server's are only known at run time. Nothing is contacted
   * until the first call; see {@link #ensureBucket()}.
   */
  public S3ObjectStore(StorageConfig.S3 config, String endpoint, String accessKey,
      String secretKey) {
    this(config, endpoint, accessKey, secretKey, Path.of(System.getProperty("java.io.tmpdir")), DEFAULT_SPOOL_THRESHOLD);
  }

  /**
   * As above, with incoming objects spooled in memory up to {@code spoolThreshold} bytes and in
   * {@code spoolDir} beyond, until their PUT.
   */
  public S3ObjectStore(StorageConfig.S3 config, String endpoint, String accessKey,
      String secretKey, Path spoolDir, int spoolThreshold) {
    this.spoolDir = spoolDir;
    this.spoolThreshold = spoolThreshold;
    if (config.partSize() < MIN_PART_SIZE || config.partSize() > MAX_PART_SIZE) {
      throw new IllegalArgumentException("storage.s3.partSize must be between " + MIN_PART_SIZE
          + " and " + MAX_PART_SIZE + " bytes, was " + config.partSize());
    }
    this.endpoint = endpoint;
    this.bucket = config.bucket();
    this.partSize = config.partSize();
    this.http = httpClient();
    this.client = minio(http, config.region(), accessKey, secretKey);
    OkHttpClient probeHttp = http.newBuilder()
        .connectTimeout(PROBE_TIMEOUT).readTimeout(PROBE_TIMEOUT).callTimeout(PROBE_TIMEOUT)
        .build();
    this.probe = minio(probeHttp, config.region(), accessKey, secretKey);
  }

  private static OkHttpClient httpClient() {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(MAX_CONCURRENT_REQUESTS);
    dispatcher.setMaxRequestsPerHost(MAX_CONCURRENT_REQUESTS);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .socketFactory(new NoDelaySocketFactory())
        .addInterceptor(new RetryOnStaleConnection())
        .connectTimeout(CONNECT_TIMEOUT)
        .readTimeout(READ_WRITE_TIMEOUT)
        .writeTimeout(READ_WRITE_TIMEOUT)
        .build();
  }

  private MinioClient minio(OkHttpClient okHttp, String region, String accessKey,
      String secretKey) {
    // An explicit region spares a GetBucketLocation round trip before the first request.
    return MinioClient.builder()
        .endpoint(endpoint)
        .region(region == null || region.isBlank() ? "us-east-1" : region)
        .credentials(accessKey, secretKey)
        .httpClient(okHttp)
        .build();
  }

  public String bucket() {
    return bucket;
  }

  public String endpoint() {
    return endpoint;
  }

  /** Creates the bucket unless it exists; safe when several processes race to create it. */
  public void ensureBucket() throws StorageUnavailableException {
    call("create bucket", "", BUCKET_ALREADY_THERE, () -> {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
      }
      return bucket;
    });
  }

  /**
   * A known size up to the part size goes up in one PUT; a larger or unknown ({@code size < 0})
   * one as a multipart upload in parts of the configured size, so that no request body is larger
   * than a part (S3Proxy holds a whole non-chunked request body in heap).
   */
  @Override
  public void put(String key, InputStream content, long size, String contentType,
      Map<String, String> metadata) throws StorageUnavailableException {
    PutObjectArgs args = PutObjectArgs.builder()
        .bucket(bucket)
        .object(key)
        .stream(content, size < 0 ? -1 : size, partSize)
        .contentType(contentType == null ? "application/octet-stream" : contentType)
        .userMetadata(metadata == null ? Map.of() : metadata)
        .build();
    call("put", key, Set.of(), () -> client.putObject(args));
  }

  @Override
  public Spool newSpool() {
    return new Spool(spoolDir, spoolThreshold);
  }

  @Override
  public Optional<InputStream> get(String key) throws StorageUnavailableException {
    GetObjectArgs args = GetObjectArgs.builder().bucket(bucket).object(key).build();
    return call("get", key, MISSING_KEY, () -> client.getObject(args));
  }

  @Override
  public Optional<InputStream> get(String key, long offset, long length)
      throws StorageUnavailableException {
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("byte range needs offset >= 0 and length > 0, was "
          + offset + "+" + length);
    }
    GetObjectArgs args = GetObjectArgs.builder().bucket(bucket).object(key)
        .offset(offset).length(length).build();
    return call("get", key, MISSING_KEY, () -> client.getObject(args));
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws StorageUnavailableException {
    StatObjectArgs args = StatObjectArgs.builder().bucket(bucket).object(key).build();
    return call("stat", key, MISSING_KEY, () -> client.statObject(args))
        .map(s -> new ObjectInfo(key, s.size(), s.lastModified().toInstant(),
            lowercaseKeys(s.userMetadata())));
  }

  @Override
  public void remove(String key) throws StorageUnavailableException {
    // S3 answers 204 for a missing key; some servers say NoSuchKey instead. Both mean "gone".
    call("remove", key, MISSING_KEY, () -> {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
      return key;
    });
  }

  @Override
  public void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException {
    ListObjectsArgs args = ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true)
        .build();
    call("list", prefix, Set.of(), () -> {
      for (Result<Item> result : client.listObjects(args)) {
        Item item = result.get();
        if (!item.isDir()) {
          each.accept(new ObjectInfo(item.objectName(), item.size(),
              item.lastModified() == null ? null : item.lastModified().toInstant(), Map.of()));
        }
      }
      return prefix;
    });
  }

  /** Whether the store answers within a couple of seconds and our bucket is there. */
  @Override
  public boolean reachable() {
    try {
      return probe.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
    } catch (MinioException | GeneralSecurityException | IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    // We passed our own OkHttpClient, so MinioClient.close() leaves it alone: release it here.
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  /**
   * Retries a request once when its connection broke without a timeout. MinIO 8.5 turns off
   * OkHttp's own retry for every PUT/POST, so the first upload after the server restarted (or
   * dropped an idle keep-alive connection) would fail on the dead pooled connection. Its request
   * bodies are buffered parts that can be sent again, and S3 PUTs are idempotent.
   */
  private static final class RetryOnStaleConnection implements Interceptor {
    @Override
    public Response intercept(Chain chain) throws IOException {
      Request request = chain.request();
      try {
        return chain.proceed(request);
      } catch (InterruptedIOException | ConnectException e) {
        throw e; // a timeout or a refused connection: retrying only doubles the wait
      } catch (IOException e) {
        if (chain.call().isCanceled() || (request.body() != null && request.body().isOneShot())) {
          throw e;
        }
        return chain.proceed(request);
      }
    }
  }

  /** One MinIO call: every exception it declares means the store failed us. */
  @FunctionalInterface
  private interface S3Call<T> {
    T run() throws MinioException, GeneralSecurityException, IOException;
  }

  /**
   * Runs {@code call}, turning every failure into {@link StorageUnavailableException} except an
   * S3 error whose code is one of {@code answers}, which comes back as empty.
   */
  private <T> Optional<T> call(String operation, String key, Set<String> answers, S3Call<T> call)
      throws StorageUnavailableException {
    try {
      return Optional.of(call.run());
    } catch (ErrorResponseException e) {
      if (answers.contains(e.errorResponse().code())) {
        return Optional.empty();
      }
      throw unavailable(operation, key, e);
    } catch (MinioException | GeneralSecurityException | IOException e) {
      throw unavailable(operation, key, e);
    }
  }

  private static Map<String, String> lowercaseKeys(Map<String, String> metadata) {
    Map<String, String> out = new HashMap<>();
    metadata.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return Map.copyOf(out);
  }

  private StorageUnavailableException unavailable(String operation, String key, Exception e) {
    String why = e instanceof ErrorResponseException ere
        ? "S3 error " + ere.errorResponse().code() + ": " + ere.errorResponse().message()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
    return new StorageUnavailableException("object store " + operation + " failed (bucket="
        + bucket + " key=" + key + " endpoint=" + endpoint + "): " + why, e);
  }

  /**
   * Sockets with TCP_NODELAY. OkHttp writes a request's headers and body in separate segments;
   * with Nagle's algorithm the body then waits for the server's delayed ACK, which measured
   * ~15 ms per PUT on loopback (60 PUT/s from one thread, CPU idle). The same effect is why
   * dcmtk's storescu needs TCP_NODELAY=1.
   */
  private static final class NoDelaySocketFactory extends javax.net.SocketFactory {
    private final javax.net.SocketFactory delegate = javax.net.SocketFactory.getDefault();

    private static java.net.Socket noDelay(java.net.Socket s) throws java.net.SocketException {
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public java.net.Socket createSocket() throws java.io.IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public java.net.Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort)
        throws java.io.IOException {
      return noDelay(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress,
        int localPort) throws java.io.IOException {
      return noDelay(delegate.createSocket(address, port, localAddress, localPort));
    }
  }
}
