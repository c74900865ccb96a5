package imago.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** The {@code storage} section of the configuration (see imago-defaults.yaml for every key). */
public record StorageConfig(Backend backend, Fs fs, S3 s3, Db db, DuplicatePolicy duplicatePolicy,
    Duration checkpointInterval, int spoolThreshold, int ingestThreads) {

  /** Where objects live: a local directory (the embedded default) or an S3 bucket. */
  public enum Backend {
    FS, S3;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static Backend parse(String value) {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
  }

  /** The {@code fs} backend: a directory (empty: {data}/objects); fsync off only for benchmarks. */
  public record Fs(String dir, boolean fsync) {
    public Path dir(Path dataDir) {
      return dir == null || dir.isBlank() ? dataDir.resolve("objects") : Path.of(dir);
    }
  }

  /**
   * The {@code s3} backend's endpoint and bucket. An empty endpoint means the S3 server that
   * {@code imago s3} runs on this data folder (its endpoint and credentials are in the data folder).
   */
  public record S3(String endpoint, String accessKey, String secretKey, String region, String bucket, long partSize) {
    public boolean local() {
      return endpoint == null || endpoint.isBlank();
    }
  }

  /**
   * JDBC URL of the index; an empty URL means embedded H2 in the data folder. {@code queryTimeout}:
   * the longest one SQL statement may run (PostgreSQL statement_timeout, H2 QUERY_TIMEOUT); past
   * it, that statement alone fails (503 query-timeout) and the others go on.
   */
  public record Db(String url, String user, String password, int maxPoolSize, Duration queryTimeout) {
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(10);

    public Db {
      if (queryTimeout == null) queryTimeout = DEFAULT_QUERY_TIMEOUT;
    }

    public Db(String url, String user, String password, int maxPoolSize) {
      this(url, user, password, maxPoolSize, DEFAULT_QUERY_TIMEOUT);
    }

    public boolean embedded() {
      return url == null || url.isBlank();
    }
  }

  /** What to do when a SOP Instance UID arrives again with different bytes. */
  public enum DuplicatePolicy {
    REJECT, REPLACE;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static DuplicatePolicy parse(String value) {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
  }
}
