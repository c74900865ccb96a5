package imago.bench;

import imago.storage.StorageConfig;
import imago.storage.object.EmbeddedS3;
import imago.storage.object.S3ObjectStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** {@code S3PutProbe N THREADS SIZE}: raw PUT rate against the embedded S3 server (the storage baseline). */
public final class S3PutProbe {
  private S3PutProbe() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    Path dir = Files.createTempDirectory("s3probe");
    EmbeddedS3.Credentials c = EmbeddedS3.Credentials.generate();
    try (EmbeddedS3 s3 = new EmbeddedS3(dir, 0, c.accessKey(), c.secretKey())) {
      s3.start();
      StorageConfig.S3 cfg = new StorageConfig.S3(s3.endpoint(), c.accessKey(), c.secretKey(), "us-east-1", "probe", 0, 16 << 20);
      try (S3ObjectStore store = new S3ObjectStore(cfg, s3.endpoint(), c.accessKey(), c.secretKey())) {
        store.ensureBucket();
        byte[] body = new byte[size];
        new Random(1).nextBytes(body);
        for (int round = 0; round < 2; round++) {
          ExecutorService pool = Executors.newFixedThreadPool(threads);
          long t = System.nanoTime();
          final int r = round;
          for (int i = 0; i < n; i++) {
            final int k = i;
            pool.execute(() -> {
              try {
                store.put("p/" + r + "/" + k, new ByteArrayInputStream(body), body.length, "application/dicom", Map.of("a", "b"));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
          }
          pool.shutdown();
          pool.awaitTermination(1, TimeUnit.HOURS);
          double s = (System.nanoTime() - t) / 1e9;
          System.out.printf("round %d: %d puts of %d bytes, %d threads: %.1f puts/s%n", round, n, size, threads, n / s);
        }
      }
    }
  }
}
