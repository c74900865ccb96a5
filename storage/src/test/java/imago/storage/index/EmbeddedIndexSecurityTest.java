package imago.storage.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.StorageConfig;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security: the embedded H2 index opens no door. The server its AUTO_SERVER mode starts (so
 * `imago import` and workers share the file) listens on loopback only, and the database has a
 * random password kept in data/secrets, also when it was made before it had one.
 */
class EmbeddedIndexSecurityTest {
  @TempDir Path data;

  static {
    Database.loopbackOnly(); // as in Imago, before any other H2 use in this JVM
  }

  private String url() {
    return "jdbc:h2:file:" + data.resolve("index").resolve("imago").toAbsolutePath() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;AUTO_SERVER=TRUE";
  }

  @Test
  void theIndexServerListensOnLoopbackWithAPassword() throws Exception {
    try (Database db = Database.open(new StorageConfig.Db("", "", "", 2), data);
         Connection c = db.dataSource().getConnection()) {
      Properties lock = new Properties();
      try (InputStream in = Files.newInputStream(data.resolve("index").resolve("imago.lock.db"))) {
        lock.load(in);
      }
      String server = lock.getProperty("server", "");
      int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
      new Socket(InetAddress.getLoopbackAddress(), port).close();
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address.isLoopbackAddress() || address.isLinkLocalAddress()) continue;
          assertThrows(ConnectException.class, () -> new Socket(address, port).close(), "the index server answers on " + address);
        }
      }
      SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(url(), "imago", "").close());
      assertEquals(28000, refused.getErrorCode(), refused.getMessage());
      Path secret = data.resolve("secrets").resolve("h2.password");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    }
  }

  @Test
  void anIndexMadeWithoutAPasswordGetsOne() throws Exception {
    Path secret = data.resolve("secrets").resolve("h2.password");
    try (Database db = Database.open(new StorageConfig.Db("", "", "", 2), data);
         Connection c = db.dataSource().getConnection()) {
      c.createStatement().execute("ALTER USER imago SET PASSWORD ''"); // as indexes were made before
    }
    Files.delete(secret);
    try (Database db = Database.open(new StorageConfig.Db("", "", "", 2), data);
         Connection c = db.dataSource().getConnection()) {
      var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM flyway_schema_history");
      assertTrue(rs.next() && rs.getInt(1) > 0, "the same, migrated index");
      assertThrows(SQLException.class, () -> DriverManager.getConnection(url(), "imago", "").close());
      assertTrue(Files.exists(secret));
    }
  }
}
