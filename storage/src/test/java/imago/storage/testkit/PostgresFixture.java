package imago.storage.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Random;

/**
 * A fresh database on the local PostgreSQL server (scripts/setup.sh --test starts it with role
 * imago/imago on 127.0.0.1:5432), dropped on close. Shared by every module's tests.
 */
public final class PostgresFixture implements AutoCloseable {
  public static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  public static final String USER = "imago";
  public static final String PASSWORD = "imago";

  private final String database;

  private PostgresFixture(String database) {
    this.database = database;
  }

  public static PostgresFixture create() throws SQLException {
    String name = "imago_test_" + HexFormat.of().toHexDigits(new Random().nextLong());
    admin("CREATE DATABASE " + name);
    return new PostgresFixture(name);
  }

  public String url() {
    return SERVER + database;
  }

  /** A statement on the server's maintenance database (CREATE/DROP DATABASE). */
  public static void admin(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", USER, PASSWORD);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new SQLException(e.getMessage() + " (is PostgreSQL running with role imago/imago on 127.0.0.1:5432? "
          + "scripts/setup.sh --test starts it)", e.getSQLState(), e);
    }
  }

  @Override
  public void close() throws SQLException {
    admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }
}
