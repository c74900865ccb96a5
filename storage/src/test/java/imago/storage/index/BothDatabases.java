package imago.storage.index;

import imago.storage.StorageConfig;
import java.nio.file.Path;

/** An embedded H2 index and a fresh PostgreSQL database, both migrated: for SQL that must behave the same on each. */
public final class BothDatabases implements AutoCloseable {
  public final Database h2;
  public final Database pg;
  private final PostgresFixture pgFixture;

  private BothDatabases(Database h2, Database pg, PostgresFixture pgFixture) {
    this.h2 = h2;
    this.pg = pg;
    this.pgFixture = pgFixture;
  }

  public static BothDatabases open(Path dir) throws Exception {
    Database h2 = Database.open(new StorageConfig.Db("", "", "", 8), dir.resolve("h2"));
    PostgresFixture fixture = PostgresFixture.create();
    Database pg = Database.open(new StorageConfig.Db(fixture.url(), PostgresFixture.USER, PostgresFixture.PASSWORD, 8),
        dir.resolve("pg"));
    return new BothDatabases(h2, pg, fixture);
  }

  @Override
  public void close() throws Exception {
    h2.close();
    pg.close();
    pgFixture.close();
  }
}
