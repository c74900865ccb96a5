package imago.storage;

import java.time.Duration;

/** The {@code storage} section of the configuration (see imago-defaults.yaml for every key). */
public record StorageConfig(S3 s3, Db db, DuplicatePolicy duplicatePolicy, Duration orphanSweepGrace,
    int spoolThreshold, int ingestThreads) {

  /** S3 endpoint and bucket; an empty endpoint means the embedded server. */
  public record S3(String endpoint, String accessKey, String secretKey, String region, String bucket,
      int embeddedPort, long partSize) {
    public boolean embedded() {
      return endpoint == null || endpoint.isBlank();
    }
  }

  /** JDBC URL of the index; an empty URL means embedded H2 in the data folder. */
  public record Db(String url, String user, String password, int maxPoolSize) {
    public boolean embedded() {
      return url == null || url.isBlank();
    }
  }

  /** What to do when a SOP Instance UID arrives again with different bytes. */
  public enum DuplicatePolicy {
    REJECT, REPLACE;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static DuplicatePolicy parse(String value) {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }
}
