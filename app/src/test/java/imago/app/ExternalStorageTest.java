package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.storage.index.StoredInstance;
import imago.storage.object.EmbeddedS3Fixture;
import imago.storage.testkit.PostgresFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment shape: the same configuration keys pointing at an external S3 endpoint (here a
 * separate S3 server standing in for MinIO) and at PostgreSQL instead of the embedded defaults.
 */
class ExternalStorageTest {
  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
  @TempDir Path tmp;

  @Test
  void cStoreLandsInTheExternalS3AndPostgres() throws Exception {
    try (PostgresFixture pg = PostgresFixture.create()) {
      Map<String, String> keys = Map.of(
          "storage.backend", "s3",
          "storage.s3.endpoint", S3.endpoint(),
          "storage.s3.accessKey", S3.credentials().accessKey(),
          "storage.s3.secretKey", S3.credentials().secretKey(),
          "storage.s3.bucket", "hospital-archive",
          "storage.db.url", pg.url(),
          "storage.db.user", PostgresFixture.USER,
          "storage.db.password", PostgresFixture.PASSWORD);
      SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(64, 64).withSeed(99);
      List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
      try (TestImago node = TestImago.start(tmp.resolve("data"), keys)) {
        assertTrue(node.imago.storage().database().isPostgres());
        Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", files);
        assertTrue(r.ok(), r.toString());
        List<StoredInstance> stored = node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1));
        assertEquals(3, stored.size());
        try (var external = S3.newStore("hospital-archive")) {
          for (StoredInstance i : stored) {
            byte[] object;
            try (var in = external.get(i.objectKey()).orElseThrow()) {
              object = in.readAllBytes();
            }
            Path sent = StoreScpTest.findFile(files, i.sopInstanceUid());
            assertArrayEquals(TestImago.dataset(Files.readAllBytes(sent)), TestImago.dataset(object));
          }
        }
      }
      assertTrue(Files.notExists(tmp.resolve("data").resolve("objects")), "nothing written to the fs backend");
      assertTrue(Files.notExists(tmp.resolve("data").resolve("index")), "nothing written to the embedded index");
    }
  }
}
