package imago.bench;

import imago.core.io.Spool;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.SqlIndex;
import imago.storage.index.Source;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.object.EmbeddedS3;
import imago.storage.object.S3ObjectStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code IngestProbe N}: the ingest path in-process, one thread, against its own baseline in the
 * same run: a bare S3 PUT of the same bytes. Prints both rates and their ratio, so the cost of
 * validation, hashing and the index transaction is visible apart from the object store's.
 */
public final class IngestProbe {
  private IngestProbe() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    Path dir = Files.createTempDirectory("ingest-probe");
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, n).withSeed(9);
    List<Path> files = SyntheticCt.write(spec, dir.resolve("in"));
    EmbeddedS3.Credentials c = EmbeddedS3.Credentials.generate();
    try (EmbeddedS3 s3 = new EmbeddedS3(dir.resolve("s3"), 0, c.accessKey(), c.secretKey())) {
      s3.start();
      StorageConfig.S3 cfg = new StorageConfig.S3(s3.endpoint(), c.accessKey(), c.secretKey(), "us-east-1", "probe", 0, 16 << 20);
      try (S3ObjectStore store = new S3ObjectStore(cfg, s3.endpoint(), c.accessKey(), c.secretKey());
           Database db = Database.open(new StorageConfig.Db("", "", "", 4), dir)) {
        store.ensureBucket();
        Ingest ingest = new Ingest(store, new SqlIndex(db.dataSource()), StorageConfig.DuplicatePolicy.REJECT, IngestListener.NONE);
        Tenant tenant = new Tenant("bench", "bench", List.of());
        byte[][] bytes = new byte[n][];
        for (int i = 0; i < n; i++) bytes[i] = Files.readAllBytes(files.get(i));
        // warm-up on other keys, then measure
        for (int i = 0; i < Math.min(50, n); i++) {
          store.put("warm/" + i, new ByteArrayInputStream(bytes[i]), bytes[i].length, "application/dicom", Map.of());
        }
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) {
          store.put("raw/" + i, new ByteArrayInputStream(bytes[i]), bytes[i].length, "application/dicom",
              Map.of("dataset-sha256", "x"));
        }
        double raw = n / ((System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        for (int i = 0; i < n; i++) {
          try (Spool spool = Spool.ofFile(files.get(i))) {
            IngestOutcome o = ingest.store(IngestRequest.part10(tenant, Source.IMPORT, "probe", spool, IngestRequest.Expectations.NONE));
            if (!o.ok()) throw new IllegalStateException(o.reason());
          }
        }
        double full = n / ((System.nanoTime() - t) / 1e9);
        System.out.printf("raw S3 PUT      %7.1f /s%ningest path     %7.1f /s%nratio           %7.2f%n", raw, full, full / raw);
      }
    }
  }
}
