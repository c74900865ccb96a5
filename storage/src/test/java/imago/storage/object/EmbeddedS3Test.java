package imago.storage.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedS3Test {

  @TempDir Path dir;

  @Test
  void credentialsAreGeneratedOnceIntoAnOwnerOnlyFile() throws Exception {
    Path file = dir.resolve("secrets/s3.properties");
    EmbeddedS3.Credentials first = EmbeddedS3.Credentials.loadOrCreate(file);

    assertEquals(20, first.accessKey().length());
    assertEquals(40, first.secretKey().length());
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(first, EmbeddedS3.Credentials.loadOrCreate(file));
    assertFalse(first.toString().contains(first.secretKey()));
    try (var files = Files.list(file.getParent())) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void listensOnLoopbackOnlyAtTheChosenPort() throws Exception {
    try (EmbeddedS3 s3 = new EmbeddedS3(dir, 0, "AK", "SK")) {
      s3.start();
      assertTrue(s3.running());
      assertTrue(s3.port() > 0);
      assertEquals("http://127.0.0.1:" + s3.port(), s3.endpoint());
      try (Socket loopback = new Socket("127.0.0.1", s3.port())) {
        assertTrue(loopback.isConnected());
      }
      for (InetAddress other : nonLoopbackAddresses()) {
        assertThrows(ConnectException.class, () -> new Socket(other, s3.port()).close(),
            "reachable on " + other);
      }
    }
  }

  private static List<InetAddress> nonLoopbackAddresses() throws Exception {
    return NetworkInterface.networkInterfaces()
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .toList();
  }
}
