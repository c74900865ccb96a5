package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.storage.object.EmbeddedS3Fixture;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store fails under a running node: a full disk, a directory that turns read-only, an
 * S3 server that goes away. Senders get "out of resources" (C-STORE 0xA700, STOW 409 with 0xA700),
 * nothing partial is left and nothing is indexed; once the store is back, the same senders succeed.
 * The fs faults use a small tmpfs mounted for the test (the suite runs as root, as CI does).
 */
class StorageFaultTest {
  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
  @TempDir Path tmp;

  @Test
  void aFullDiskRefusesLeavesNothingPartialAndIngestResumesWhenSpaceReturns() throws Exception {
    Path objects = mountTmpfs(tmp.resolve("objects"), "4m");
    try (TestImago node = TestImago.start(tmp.resolve("data"), Map.of("storage.fs.dir", objects.toString()))) {
      Path filler = objects.resolve("filler");
      fillUp(filler);
      refusesThenRecovers(node, objects, () -> Files.delete(filler));
    } finally {
      unmount(objects);
    }
  }

  @Test
  void aReadOnlyObjectDirectoryRefusesAndIngestResumesWhenWritable() throws Exception {
    Path objects = mountTmpfs(tmp.resolve("objects"), "16m");
    try (TestImago node = TestImago.start(tmp.resolve("data"), Map.of("storage.fs.dir", objects.toString()))) {
      run("mount", "-o", "remount,ro", objects.toString());
      refusesThenRecovers(node, objects, () -> run("mount", "-o", "remount,rw", objects.toString()));
    } finally {
      unmount(objects);
    }
  }

  @Test
  void anS3ServerThatGoesAwayRefusesAndIngestResumesWhenItIsBack() throws Exception {
    Map<String, String> keys = Map.of("storage.backend", "s3", "storage.s3.endpoint", S3.endpoint(),
        "storage.s3.accessKey", S3.credentials().accessKey(), "storage.s3.secretKey", S3.credentials().secretKey());
    try (TestImago node = TestImago.start(tmp.resolve("data"), keys)) {
      S3.stopServer();
      refusesThenRecovers(node, null, S3::startServer);
    } finally {
      S3.startServer();
    }
  }

  /** What the store does when it comes back. */
  private interface Repair {
    void run() throws Exception;
  }

  private void refusesThenRecovers(TestImago node, Path objects, Repair repair) throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(256, 256).withSeed(5);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    String token = node.token("demo", Caller.Role.HOSPITAL);

    Dcmtk.Result down = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(files.get(0)));
    assertTrue(down.output().contains("Refused: OutOfResources"), down.output());
    HttpResponse<String> stow = node.stow(token, null, List.of(Files.readAllBytes(files.get(1))));
    assertEquals(409, stow.statusCode(), stow.body());
    assertTrue(stow.body().contains("\"00081197\":{\"vr\":\"US\",\"Value\":[42752]}"), stow.body()); // 0xA700
    assertEquals(0, node.imago.index().instanceCount());
    if (objects != null) {
      assertEquals(List.of(), filesUnder(objects.resolve(".staging")), "nothing partial left behind");
      assertFalse(Files.exists(objects.resolve("demo")), "no object stored");
    }

    repair.run();
    Dcmtk.Result up = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(files.get(0)));
    assertTrue(up.ok(), up.toString());
    assertEquals(200, node.stow(token, null, List.of(Files.readAllBytes(files.get(1)))).statusCode());
    assertEquals(2, node.imago.index().instanceCount());
    assertFalse(node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).isEmpty());
  }

  private static Path mountTmpfs(Path dir, String size) throws Exception {
    Files.createDirectories(dir);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs (the suite runs as root, as CI does): " + out);
    return dir;
  }

  private static void unmount(Path dir) throws Exception {
    run("umount", "--lazy", dir.toString()); // lazy: a mapping the GC has not released yet keeps it busy
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + ": " + out);
  }

  /** Writes until the file system is full, then gives back a little: not enough for an instance. */
  private static void fillUp(Path filler) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (var out = Files.newOutputStream(filler)) {
      while (true) out.write(block);
    } catch (IOException full) {
      // the disk is full now
    }
    try (var ch = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(Math.max(0, ch.size() - 32 * 1024));
    }
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
