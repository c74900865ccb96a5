package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.dicom.DatasetWalker;
import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.PortFinder;
import imago.core.testkit.Trees;
import imago.storage.StorageConfig;
import imago.storage.index.StoredInstance;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 under a crash and a power cut: kill -9 the serving process in the middle of a
 * storescu run and of a STOW-RS run; after restart every instance the sender saw acknowledged is
 * present and readable, and start-up recovery has indexed every object that reached the store.
 * An index that lost its last commits (what a power cut does to H2, which does not fsync each
 * commit) is completed again from the fsynced objects.
 */
class CrashRecoveryTest {
  @TempDir Path tmp;

  @Test
  void killDuringStorescuLosesNothingAcknowledged() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 2, 60).withSize(256, 256).withSeed(404);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    ServerProcess server = ServerProcess.start(data);
    Set<String> acknowledged;
    try (Dcmtk.Running sender = Dcmtk.storescuAsync("127.0.0.1", server.dicomPort, "DEMO", "IMAGO", files)) {
      awaitAcknowledgements(sender, 40);
      server.kill();
      Dcmtk.Result result = sender.await(Duration.ofMinutes(1));
      acknowledged = Dcmtk.storescuAcknowledgedUids(result.output());
    }
    assertTrue(acknowledged.size() >= 40 && acknowledged.size() < files.size(), "killed mid-run: " + acknowledged.size());
    try (ServerProcess restarted = server.restart()) {
      verify(data, acknowledged);
    }
  }

  @Test
  void instancesWhoseIndexCommitsAPowerCutLostAreReindexedAtStartUp() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 2, 10).withSize(64, 64).withSeed(406);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    // No checkpoint during the test: the journal keeps every write since the start.
    Map<String, String> noCheckpoint = Map.of("IMAGO_STORAGE_CHECKPOINT_INTERVAL", "PT1H");
    ServerProcess first = ServerProcess.start(data, PortFinder.freePort(), PortFinder.freePort(), noCheckpoint);
    assertTrue(Dcmtk.storescu("127.0.0.1", first.dicomPort, "DEMO", "IMAGO", files.subList(0, 10)).ok());
    first.close();
    Path indexBefore = Trees.copy(data.resolve("index"), tmp.resolve("index-before"));
    ServerProcess second = ServerProcess.start(data, first.dicomPort, first.httpPort, noCheckpoint);
    Dcmtk.Result late = Dcmtk.storescu("127.0.0.1", second.dicomPort, "DEMO", "IMAGO", files.subList(10, 20));
    assertTrue(late.ok(), late.toString());
    second.kill();
    // The power cut: the index on disk is the one from before the last ten instances arrived.
    Trees.delete(data.resolve("index"));
    Trees.copy(indexBefore, data.resolve("index"));

    try (ServerProcess restarted = ServerProcess.start(data, first.dicomPort, first.httpPort, noCheckpoint)) {
      Set<String> all = new java.util.HashSet<>();
      for (Path f : files) all.add(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid());
      verify(data, all);
    }
  }

  @Test
  void killDuringStowLosesNothingAcknowledged() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 2, 100).withSize(256, 256).withSeed(405);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    ServerProcess server = ServerProcess.start(data);
    String token = TokenCommand.mint(config(data), "demo", imago.core.tenant.Caller.Role.HOSPITAL, Duration.ofHours(1), null);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    Thread sender = new Thread(() -> {
      HttpClient http = HttpClient.newHttpClient();
      for (int i = 0; i < files.size() && !stop.get(); i += 2) {
        try {
          List<byte[]> parts = new ArrayList<>();
          parts.add(Files.readAllBytes(files.get(i)));
          parts.add(Files.readAllBytes(files.get(i + 1)));
          String boundary = "crash-" + i;
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/dicomweb/studies"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
              .POST(HttpRequest.BodyPublishers.ofByteArray(TestImago.multipart(boundary, parts))).build(),
              HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            for (Path f : List.of(files.get(i), files.get(i + 1))) {
              acknowledged.add(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid());
            }
          }
        } catch (Exception e) {
          return; // the server is gone
        }
      }
    });
    sender.start();
    eventually(Duration.ofMinutes(2), "30 STOW acknowledgements", () -> acknowledged.size() >= 30 || !sender.isAlive());
    server.kill();
    stop.set(true);
    sender.join();
    assertTrue(acknowledged.size() >= 30 && acknowledged.size() < files.size(), "killed mid-run: " + acknowledged.size());
    try (ServerProcess restarted = server.restart()) {
      verify(data, acknowledged);
    }
  }

  private static void awaitAcknowledgements(Dcmtk.Running sender, int n) throws InterruptedException {
    eventually(Duration.ofMinutes(2), "storescu acknowledges " + n + " instances",
        () -> Dcmtk.storescuAcknowledgedUids(sender.outputSoFar()).size() >= n);
  }

  private static Config config(Path data) {
    return Config.load(null, Map.of(), Map.of("data", data.toString(), "tenants", TestImago.TENANTS));
  }

  /** Every acknowledged instance is indexed and readable; every object is indexed. */
  private static void verify(Path data, Set<String> acknowledged) throws Exception {
    Config config = config(data);
    try (StorageRuntime storage = StorageRuntime.open(config.section("storage", StorageConfig.class), data)) {
      for (String sop : acknowledged) {
        StoredInstance i = storage.index().instance("demo", sop).orElseThrow(() -> new AssertionError("lost " + sop));
        byte[] bytes;
        try (InputStream in = storage.store().get(i.objectKey()).orElseThrow(() -> new AssertionError("no object " + sop))) {
          bytes = in.readAllBytes();
        }
        Part10.Header h = Part10.parse(ByteBuffer.wrap(bytes));
        assertEquals(sop, h.sopInstanceUid());
        DatasetWalker.validate(ByteBuffer.wrap(bytes).position(h.datasetOffset()), h.transferSyntaxUid());
      }
      List<String> orphans = new ArrayList<>();
      storage.store().list("", o -> {
        try {
          if (!storage.index().referencesObject(o.key())) orphans.add(o.key());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertEquals(List.of(), orphans, "objects without an index row after start-up recovery");
    }
  }
}
