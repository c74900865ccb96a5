package imago.storage.index;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import imago.storage.StorageConfig;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The SQL index's connection pool, migrated to the current schema on open. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final boolean postgres;

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
      hikari.setJdbcUrl("jdbc:h2:file:" + dataDir.resolve("index").resolve("imago").toAbsolutePath()
          + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;AUTO_SERVER=TRUE;WRITE_DELAY=0;QUERY_CACHE_SIZE=64");
      hikari.setUsername("imago");
      hikari.setPassword("");
    } else {
      hikari.setJdbcUrl(config.url());
      hikari.setUsername(config.user());
      hikari.setPassword(config.password());
    }
    hikari.setMaximumPoolSize(Math.max(2, config.maxPoolSize()));
    hikari.setPoolName("imago-index");
    hikari.setAutoCommit(true);
    hikari.setConnectionTimeout(10_000);
    hikari.setInitializationFailTimeout(15_000);
    HikariDataSource ds = new HikariDataSource(hikari);
    try {
      Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, hikari.getJdbcUrl().startsWith("jdbc:postgresql:"));
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
