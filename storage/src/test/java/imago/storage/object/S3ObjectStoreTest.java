package imago.storage.object;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.object.ObjectStore.ObjectInfo;
import imago.storage.object.ObjectStore.StorageUnavailableException;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class S3ObjectStoreTest {

  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();

  private S3ObjectStore store;

  @BeforeEach
  void freshBucket() throws Exception {
    store = S3.newStore();
  }

  @Test
  void roundTripIsByteIdenticalAndKeepsMetadata() throws Exception {
    byte[] data = randomBytes(300_000, 1);
    String sha = sha256(data);
    store.put("studies/1.2.3/instance.dcm", new ByteArrayInputStream(data), data.length,
        "application/dicom", Map.of("dataset-sha256", sha, "tenant", "demo"));

    assertArrayEquals(data, readAll(store.get("studies/1.2.3/instance.dcm")));
    ObjectInfo info = store.stat("studies/1.2.3/instance.dcm").orElseThrow();
    assertEquals(data.length, info.size());
    assertEquals(sha, info.metadata().get("dataset-sha256"));
    assertEquals("demo", info.metadata().get("tenant"));
  }

  @Test
  void objectLargerThanAPartGoesUpAsMultipartAndComesBackIdentical() throws Exception {
    byte[] data = randomBytes(40 * 1024 * 1024, 2);
    store.put("big", new ByteArrayInputStream(data), data.length, null, Map.of("k", "v"));
    byte[] small = randomBytes(1000, 3);
    store.put("small", new ByteArrayInputStream(small), small.length, null, Map.of());

    try (InputStream in = store.get("big").orElseThrow()) {
      assertEquals(sha256(data), sha256(in.readAllBytes()));
    }
    // A multipart upload's ETag ends in "-<parts>": 40 MiB in 16 MiB parts is 3 parts.
    assertTrue(etag("big").endsWith("-3"), etag("big"));
    assertFalse(etag("small").contains("-"), etag("small"));
    assertEquals("v", store.stat("big").orElseThrow().metadata().get("k"));
  }

  @Test
  void byteRangeGetReturnsExactlyThoseBytes() throws Exception {
    byte[] data = randomBytes(100_000, 4);
    store.put("r", new ByteArrayInputStream(data), data.length, null, Map.of());

    byte[] range = readAll(store.get("r", 12_345, 1_000));
    byte[] expected = new byte[1_000];
    System.arraycopy(data, 12_345, expected, 0, expected.length);
    assertArrayEquals(expected, range);
  }

  @Test
  void missingKeyIsEmptyNotAnError() throws Exception {
    assertEquals(Optional.empty(), store.stat("no/such/key"));
    assertEquals(Optional.empty(), store.get("no/such/key"));
    assertEquals(Optional.empty(), store.get("no/such/key", 0, 10));
  }

  @Test
  void removeIsIdempotent() throws Exception {
    store.put("gone", new ByteArrayInputStream(new byte[] {1}), 1, null, Map.of());
    store.remove("gone");
    store.remove("gone");
    store.remove("never/was");
    assertEquals(Optional.empty(), store.stat("gone"));
  }

  @Test
  void listWithPrefixReturnsExactlyThoseKeysInOrder() throws Exception {
    for (String key : List.of("b/5", "a/2", "ab/4", "a/b/3", "a/1")) {
      byte[] data = key.getBytes();
      store.put(key, new ByteArrayInputStream(data), data.length, null, Map.of());
    }
    List<String> keys = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    store.list("a/", info -> {
      keys.add(info.key());
      sizes.add(info.size());
    });
    assertEquals(List.of("a/1", "a/2", "a/b/3"), keys);
    assertEquals(List.of(3L, 3L, 5L), sizes);
  }

  @Test
  void failsFastWhileServerIsDownAndRecoversAfterRestartOnSamePort() throws Exception {
    byte[] data = randomBytes(1000, 5);
    store.put("before", new ByteArrayInputStream(data), data.length, null, Map.of());
    int port = S3.port();
    S3.stopServer();
    try {
      assertFalse(store.reachable());
      long start = System.nanoTime();
      assertThrows(StorageUnavailableException.class, () ->
          store.put("during", new ByteArrayInputStream(data), data.length, null, Map.of()));
      assertThrows(StorageUnavailableException.class, () -> store.stat("before"));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertTrue(took.toSeconds() < 10, "failing took " + took);
    } finally {
      S3.startServer();
    }
    assertEquals(port, S3.port());
    assertTrue(store.reachable());
    store.put("after", new ByteArrayInputStream(data), data.length, null, Map.of());
    assertArrayEquals(data, readAll(store.get("before")));
    assertArrayEquals(data, readAll(store.get("after")));
  }

  @Test
  void firstPutAfterARestartDoesNotTripOnAnOldConnection() throws Exception {
    byte[] data = randomBytes(1000, 6);
    store.put("one", new ByteArrayInputStream(data), data.length, null, Map.of());
    S3.stopServer();
    S3.startServer();
    store.put("two", new ByteArrayInputStream(data), data.length, null, Map.of());
    assertArrayEquals(data, readAll(store.get("two")));
  }

  @Test
  void wrongCredentialsAreUnavailableNotMissing() throws Exception {
    try (S3ObjectStore wrong = new S3ObjectStore(S3.config(store.bucket()), S3.endpoint(),
        S3.credentials().accessKey(), "not-the-secret")) {
      assertFalse(wrong.reachable());
      assertThrows(StorageUnavailableException.class, () -> wrong.stat("any"));
    }
  }

  private String etag(String key) throws Exception {
    try (MinioClient raw = MinioClient.builder().endpoint(S3.endpoint()).region("us-east-1")
        .credentials(S3.credentials().accessKey(), S3.credentials().secretKey()).build()) {
      return raw.statObject(StatObjectArgs.builder().bucket(store.bucket()).object(key).build())
          .etag();
    }
  }

  private static byte[] readAll(Optional<InputStream> in) throws IOException {
    try (InputStream s = in.orElseThrow()) {
      return s.readAllBytes();
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
