package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.Trees;
import imago.storage.StorageConfig;
import imago.storage.index.StoredInstance;
import imago.storage.object.EmbeddedS3Fixture;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imago migrate-objects}: an archive moves from fs to s3 and back, every copy verified, an
 * interrupted move resumes where it stopped, and Imago serves the same study from either backend.
 */
class MigrateCommandTest {
  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
  @TempDir Path tmp;

  @Test
  void anArchiveMovesToS3AndBackAndServesTheSameStudy() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 1, 3).withSize(64, 64).withSeed(611);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    Path data = tmp.resolve("data");
    Map<String, String> fs = new HashMap<>(TestImago.overrides(data));
    Map<String, String> s3 = new HashMap<>(fs);
    s3.putAll(Map.of("storage.backend", "s3", "storage.s3.endpoint", S3.endpoint(),
        "storage.s3.accessKey", S3.credentials().accessKey(), "storage.s3.secretKey", S3.credentials().secretKey(),
        "storage.s3.bucket", "migrated"));
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    List<String> before;
    try (TestImago node = TestImago.start(data)) {
      Dcmtk.Result sent = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", files);
      assertTrue(sent.ok(), sent.toString());
      before = answers(node, study);
      IllegalArgumentException busy = assertThrows(IllegalArgumentException.class,
          () -> migrate(fs, StorageConfig.Backend.S3));
      assertTrue(busy.getMessage().contains("stop them first"), busy.getMessage());
    }

    String moved = migrate(s3config(fs, s3), StorageConfig.Backend.S3);
    assertTrue(moved.startsWith("6 objects"), moved);
    assertTrue(moved.contains("6 copied and verified, 0 moved by an earlier run, 0 failed"), moved);
    try (TestImago node = TestImago.start(data, s3)) {
      assertEquals(before, answers(node, study));
    }

    // An interrupted move: the mark says 4 objects were done, and one after them never arrived.
    Path mark = data.resolve("run").resolve("migrate-objects-to-fs");
    Trees.delete(data.resolve("objects"));
    String first = migrate(s3, StorageConfig.Backend.FS);
    assertTrue(first.contains("6 copied and verified"), first);
    List<String> keys = new ArrayList<>();
    try (var store = StorageRuntime.openStore(StorageConfig.Backend.FS, config(fs).section("storage", StorageConfig.class),
        data, "check")) {
      store.list("", o -> keys.add(o.key()));
      assertEquals(6, keys.size());
      store.remove(keys.get(5));
    }
    Files.writeString(mark, "4\t" + keys.get(3) + "\n");
    String resumed = migrate(s3, StorageConfig.Backend.FS);
    assertTrue(resumed.contains("2 copied and verified, 4 moved by an earlier run, 0 failed"), resumed);
    try (TestImago node = TestImago.start(data)) {
      assertEquals(before, answers(node, study));
    }

    IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> migrate(fs, StorageConfig.Backend.FS));
    assertTrue(same.getMessage().contains("already"), same.getMessage());
  }

  /** The configuration with the fs keys (data folder, tenants) and the s3 backend's keys, backend still fs. */
  private static Map<String, String> s3config(Map<String, String> fs, Map<String, String> s3) {
    Map<String, String> m = new HashMap<>(s3);
    m.put("storage.backend", fs.getOrDefault("storage.backend", "fs"));
    return m;
  }

  private static Config config(Map<String, String> keys) {
    return Config.load(null, Map.of(), keys);
  }

  private static String migrate(Map<String, String> keys, StorageConfig.Backend to) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc = MigrateCommand.run(config(keys), to, 2, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(OutputStream.nullOutputStream()));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, text);
    return text;
  }

  /** The study's metadata as WADO-RS serves it, and each of its objects' SHA-256 as the configured store holds it. */
  private static List<String> answers(TestImago node, String study) throws Exception {
    String token = node.token("demo", Caller.Role.RADIOLOGIST);
    List<String> out = new ArrayList<>();
    HttpResponse<String> metadata = node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies/"
        + study + "/metadata")).header("Authorization", "Bearer " + token).build());
    assertEquals(200, metadata.statusCode(), metadata.body());
    out.add(metadata.body().replace(node.baseUrl(), "")); // bulk data URIs name this run's port
    for (StoredInstance i : node.imago.index().studyInstances("demo", study)) {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(node.object(i.objectKey()));
      out.add(i.objectKey() + " " + HexFormat.of().formatHex(sha));
    }
    Collections.sort(out.subList(1, out.size()));
    return out;
  }
}
