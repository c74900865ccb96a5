package imago.storage.index.migration;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Locale;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * H2 only: the identity sequences of the tables every ingest and every read writes hand out
 * numbers from a cache of 100,000 instead of 32. H2 writes its whole store to the file each time a
 * sequence's cache runs out (Sequence.flush), so with 32 a page of 100 studies, whose read writes
 * 100 audit rows (invariant 7), wrote the store three times: three quarters of its CPU (with 1000,
 * still 12 % at 220 pages a second). H2's cache
 * is one per database, so numbers still follow insertion order (the audit exporter reads rows after
 * the last pk it sent); a crash may leave a gap, which nothing reads meaning into. PostgreSQL is
 * left as it is: its sequences write no store, and its cache is per session, which would hand
 * concurrent sessions numbers out of order.
 */
public class V16__IdentityCache extends BaseJavaMigration {
  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    if (!c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("h2")) return;
    try (Statement s = c.createStatement()) {
      for (String table : new String[] {"audit", "instances", "series", "studies", "patients"}) {
        s.execute("ALTER TABLE " + table + " ALTER COLUMN pk SET CACHE 100000");
      }
    }
  }
}
