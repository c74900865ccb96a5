package imago.storage.testkit;

import imago.core.config.Config;
import imago.core.testkit.Trees;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The SQL index on both of its backends, for tests whose SQL must behave the same on each:
 * embedded H2 (PostgreSQL mode) and a PostgreSQL database of its own on the local server
 * ({@link PostgresFixture}), each opened from the keys operators use and migrated. Register it
 * once per test class and take the backend as the parameter:
 *
 * <pre>
 * &#64;RegisterExtension static final Databases DATABASES = new Databases();
 *
 * &#64;ParameterizedTest
 * &#64;EnumSource(Databases.Backend.class)
 * void holdsOnBoth(Databases.Backend backend) throws Exception {
 *   Database db = DATABASES.fresh(backend);
 * </pre>
 *
 * (or {@code @ParameterizedClass @EnumSource(Databases.Backend.class)} with {@code fresh} in a
 * {@code @BeforeParameterizedClassInvocation} method, where the tests share what it loads).
 * The parameter is the backend, never the {@link Database}: JUnit closes an AutoCloseable
 * argument after the invocation that received it. A backend opens on first use and stays open
 * until the class ends, when the PostgreSQL database is dropped.
 */
public final class Databases implements AfterAllCallback {
  /** Where the index lives. */
  public enum Backend { H2, POSTGRESQL }

  private record Open(Database database, StorageConfig.Db config, Path dataDir, PostgresFixture server) {}

  private final Map<Backend, Open> open = new EnumMap<>(Backend.class);
  private Path root;

  /**
   * The backend's database, migrated and holding no rows. Emptied rather than created again (a
   * few milliseconds instead of a second): the migrations insert no rows, so an empty database is
   * what a new one holds. Call it once per test (or per class invocation).
   */
  public Database fresh(Backend backend) throws Exception {
    Open o = open.get(backend);
    if (o == null) {
      o = open(backend);
      open.put(backend, o);
    } else {
      empty(o.database());
    }
    return o.database();
  }

  /** The configuration {@link #fresh} opened the backend with, to open it again beside the fixture. */
  public StorageConfig.Db config(Backend backend) {
    return opened(backend).config();
  }

  /** The data directory the backend was opened with (the embedded H2 file lives under it). */
  public Path dataDir(Backend backend) {
    return opened(backend).dataDir();
  }

  private Open opened(Backend backend) {
    Open o = open.get(backend);
    if (o == null) throw new IllegalStateException(backend + " is not open: call fresh(" + backend + ") first");
    return o;
  }

  private Open open(Backend backend) throws Exception {
    if (root == null) root = Files.createTempDirectory("imago-databases-");
    Path dataDir = Files.createDirectories(root.resolve(backend.name().toLowerCase()));
    Map<String, String> keys = new HashMap<>(Map.of("data", dataDir.toString()));
    PostgresFixture server = null;
    if (backend == Backend.POSTGRESQL) {
      server = PostgresFixture.create();
      keys.putAll(Map.of("storage.db.url", server.url(), "storage.db.user", PostgresFixture.USER,
          "storage.db.password", PostgresFixture.PASSWORD));
    }
    try {
      // The operator's keys (imago.yaml / IMAGO_STORAGE_DB_URL ...), bound as the app binds them.
      Config config = Config.load(null, Map.of(), keys);
      StorageConfig.Db db = config.section("storage", StorageConfig.class).db();
      return new Open(Database.open(db, config.dataDir()), db, dataDir, server);
    } catch (Exception | Error e) {
      if (server != null) server.close();
      throw e;
    }
  }

  /**
   * Deletes every row but Flyway's history. Only the tables that hold rows are truncated: a
   * TRUNCATE of all of them costs PostgreSQL a few hundred milliseconds (new files for each table
   * and index), most tests write to one or two.
   */
  private static void empty(Database db) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
          + "AND table_type = 'BASE TABLE' AND table_name <> 'flyway_schema_history'")) {
        while (rs.next()) tables.add(rs.getString(1));
      }
      List<String> written = new ArrayList<>();
      for (String table : tables) {
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM " + table + " LIMIT 1")) {
          if (rs.next()) written.add(table);
        }
      }
      if (written.isEmpty()) return;
      if (db.isPostgres()) {
        s.execute("TRUNCATE " + String.join(", ", written) + " CASCADE");
      } else {
        // H2 truncates one table at a time, and only with the foreign keys off meanwhile.
        s.execute("SET REFERENTIAL_INTEGRITY FALSE");
        try {
          for (String table : written) s.execute("TRUNCATE TABLE " + table);
        } finally {
          s.execute("SET REFERENTIAL_INTEGRITY TRUE");
        }
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      for (Open o : open.values()) {
        o.database().close();
        if (o.server() != null) o.server().close();
      }
    } finally {
      open.clear();
      if (root != null) Trees.delete(root);
      root = null;
    }
  }
}
