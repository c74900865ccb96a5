package imago.app;

import imago.core.config.Config;
import imago.storage.object.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code imago s3 [--port P]}: an S3 server (S3Proxy on a filesystem blob store) in a process of
 * its own, listening on loopback, keeping its buckets under {data}/s3, the way one would run MinIO
 * for the {@code s3} backend. It writes its endpoint to {data}/run/s3-endpoint and its credentials
 * to {data}/secrets/s3.credentials, where an Imago with {@code storage.backend: s3} and no endpoint
 * on the same data folder finds them.
 */
final class S3Command {
  private S3Command() {}

  static int run(Config config, int port) throws Exception {
    Path data = config.dataDir();
    EmbeddedS3.Credentials credentials = EmbeddedS3.Credentials.loadOrCreate(data.resolve(StorageRuntime.S3_CREDENTIALS_FILE));
    EmbeddedS3 server = new EmbeddedS3(data.resolve("s3"), port, credentials.accessKey(), credentials.secretKey());
    server.start();
    Path endpointFile = data.resolve(StorageRuntime.S3_ENDPOINT_FILE);
    Files.createDirectories(endpointFile.getParent());
    Files.writeString(endpointFile, server.endpoint(), StandardCharsets.US_ASCII);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Files.deleteIfExists(endpointFile);
      } catch (java.io.IOException ignored) {
        // a stale endpoint file only makes the next s3-backed start fail to connect
      }
      server.close();
      stopped.countDown();
    }, "imago-s3-shutdown"));
    System.out.printf("S3 server is running: %s (buckets under %s, credentials in %s; Ctrl-C stops it)%n",
        server.endpoint(), data.resolve("s3"), data.resolve(StorageRuntime.S3_CREDENTIALS_FILE));
    stopped.await();
    return 0;
  }
}
