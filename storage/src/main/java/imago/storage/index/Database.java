package imago.storage.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import imago.core.io.SecretFiles;
import imago.storage.StorageConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The SQL index's connection pool, migrated to the current schema on open. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final boolean postgres;

  static {
    loopbackOnly();
  }

  /**
   * H2 reads its bind address once, when its first class loads, and every H2 use in Imago goes
   * through this class. Without it, the TCP server AUTO_SERVER starts takes every interface.
   */
  static void loopbackOnly() {
    System.setProperty("h2.bindAddress", "127.0.0.1");
  }

  private static final String H2_USER = "imago";
  /** H2's "Wrong user name or password" (SQLState 28000). */
  private static final int H2_WRONG_PASSWORD = 28000;

  private Database(HikariDataSource dataSource, boolean postgres) {
    this.dataSource = dataSource;
    this.postgres = postgres;
  }

  /** Opens (and migrates) the configured database; embedded H2 lives in {@code dataDir/index}. */
  public static Database open(StorageConfig.Db config, Path dataDir) {
    HikariConfig hikari = new HikariConfig();
    if (config.embedded()) {
      // MODE=PostgreSQL: one dialect for both (ON CONFLICT, identity columns). AUTO_SERVER lets
      // `imago import` and worker processes on this machine share the file with the server.
      // WRITE_DELAY=0: H2 otherwise keeps commits in memory for up to 500 ms, and a kill -9 in
      // that window loses instances that were already acknowledged (invariant 1).
      // QUERY_CACHE_SIZE: one ingest runs about ten distinct statements; with H2's default of 8
      // parsed statements per session, every one of them was parsed again each time.
      // LOCK_TIMEOUT: writers of outbox events wait for each other's commit (Outbox), longer than H2's 1 s default.
      // The database has a random password kept in {data}/secrets, and the server AUTO_SERVER starts
      // listens on loopback only (see the static initialiser): nobody on the network, and no other
      // user of this machine, can open the index.
      String url = "jdbc:h2:file:" + dataDir.resolve("index").resolve("imago").toAbsolutePath()
          + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;AUTO_SERVER=TRUE;WRITE_DELAY=0;QUERY_CACHE_SIZE=64;LOCK_TIMEOUT=10000;QUERY_TIMEOUT="
          + config.queryTimeout().toMillis();
      String password = h2Password(dataDir, url);
      hikari.setJdbcUrl(url);
      hikari.setUsername(H2_USER);
      hikari.setPassword(password);
    } else {
      hikari.setJdbcUrl(config.url());
      hikari.setUsername(config.user());
      hikari.setPassword(config.password());
      hikari.setConnectionInitSql("SET statement_timeout = " + config.queryTimeout().toMillis());
    }
    hikari.setMaximumPoolSize(Math.max(2, config.maxPoolSize()));
    hikari.setPoolName("imago-index");
    hikari.setAutoCommit(true);
    hikari.setConnectionTimeout(10_000);
    hikari.setInitializationFailTimeout(15_000);
    HikariDataSource ds = new HikariDataSource(hikari);
    try {
      // Migrations may run long on a large index (an index built, a table filled): no statement timeout for
      // them, on connections of their own (the pool's keep theirs).
      Flyway.configure().dataSource(hikari.getJdbcUrl(), hikari.getUsername(), hikari.getPassword())
          .initSql(config.embedded() ? "SET QUERY_TIMEOUT 0" : "SET statement_timeout = 0")
          .locations("classpath:db/migration", "classpath:imago/storage/index/migration").load().migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, hikari.getJdbcUrl().startsWith("jdbc:postgresql:"));
  }

  /**
   * The embedded index's password, generated once into {data}/secrets/h2.password. An index made
   * before Imago had one (empty password) is given it on the first open.
   */
  private static String h2Password(Path dataDir, String url) {
    try {
      Path file = dataDir.resolve("secrets").resolve("h2.password");
      if (!Files.exists(file)) {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        SecretFiles.createOnce(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
      }
      String password = Files.readString(file, StandardCharsets.UTF_8).trim();
      try (Connection c = DriverManager.getConnection(url, H2_USER, password)) {
        return password;
      } catch (SQLException e) {
        if (e.getErrorCode() != H2_WRONG_PASSWORD) throw e;
      }
      try (Connection c = DriverManager.getConnection(url, H2_USER, ""); Statement st = c.createStatement()) {
        st.execute("ALTER USER " + H2_USER + " SET PASSWORD '" + password.replace("'", "''") + "'");
      } catch (SQLException e) {
        if (e.getErrorCode() != H2_WRONG_PASSWORD) throw e;
        // another process starting beside this one set it meanwhile: the password is now the file's
        DriverManager.getConnection(url, H2_USER, password).close();
      }
      return password;
    } catch (IOException e) {
      throw new UncheckedIOException("index password in " + dataDir.resolve("secrets"), e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the index at " + dataDir.resolve("index") + ": " + e.getMessage(), e);
    }
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Makes every commit so far durable. H2 writes a commit to its file but does not fsync it
   * (CHECKPOINT SYNC does); PostgreSQL fsyncs its WAL at each commit (synchronous_commit = on,
   * its default), so there is nothing to do.
   */
  public void syncToDisk() throws java.sql.SQLException {
    if (postgres) return;
    try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement s = c.createStatement()) {
      s.execute("CHECKPOINT SYNC");
    }
  }

  public boolean isPostgres() {
    return postgres;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
