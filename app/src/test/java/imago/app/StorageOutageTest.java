package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.node.http.Caller;
import imago.storage.object.EmbeddedS3;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Object storage goes away: senders get "out of resources", nothing is indexed, and retries work. */
class StorageOutageTest {
  @TempDir Path tmp;

  @Test
  void cStoreAndStowFailWithOutOfResourcesWhileS3IsDownAndSucceedAfterwards() throws Exception {
    try (TestImago node = TestImago.start(tmp.resolve("data"))) {
      SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(64, 64).withSeed(5);
      List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
      EmbeddedS3 s3 = node.imago.storage().embeddedS3();
      s3.stop();

      Dcmtk.Result down = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(files.get(0)));
      assertTrue(down.output().contains("Refused: OutOfResources"), down.output());
      String token = node.token("demo", Caller.Role.HOSPITAL);
      HttpResponse<String> stow = node.stow(token, null, List.of(Files.readAllBytes(files.get(1))));
      assertEquals(409, stow.statusCode(), stow.body());
      assertTrue(stow.body().contains("\"00081197\":{\"vr\":\"US\",\"Value\":[42752]}"), stow.body()); // 0xA700
      assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
      assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 2)).isEmpty());
      assertEquals(0, node.imago.index().instanceCount());

      s3.start();
      Dcmtk.Result up = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(files.get(0)));
      assertTrue(up.ok(), up.toString());
      assertEquals(200, node.stow(token, null, List.of(Files.readAllBytes(files.get(1)))).statusCode());
      assertEquals(2, node.imago.index().instanceCount());
      assertFalse(node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).isEmpty());
    }
  }
}
