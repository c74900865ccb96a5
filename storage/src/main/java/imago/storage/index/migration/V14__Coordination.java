package imago.storage.index.migration;

import java.sql.Connection;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Cluster coordination (issue 14) through the index alone: the outbox of events, each durable
 * consumer's cursor, and the leases of singleton duties. A Java migration because the outbox's
 * ordering differs by engine: on PostgreSQL every row carries the
 * id of the transaction that wrote it ({@code txid}) and a reader takes only rows of transactions
 * older than every running one; on H2 (one node) writers take the next sequence number from one
 * row they hold until commit, so sequence order is commit order (imago.storage.index.Outbox).
 */
public class V14__Coordination extends BaseJavaMigration {
  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE outbox ("
          + "seq BIGINT NOT NULL PRIMARY KEY, "
          + "txid BIGINT NOT NULL, "
          + "topic VARCHAR(64) NOT NULL, "
          + "tenant_id VARCHAR(64), "
          + "study_uid VARCHAR(64), "
          + "payload VARCHAR(4000), "
          + "created_at TIMESTAMP WITH TIME ZONE NOT NULL)");
      s.execute("CREATE INDEX outbox_order ON outbox (txid, seq)");
      s.execute("CREATE INDEX outbox_created ON outbox (created_at)");
      if (postgres) {
        s.execute("CREATE SEQUENCE outbox_seq");
      } else {
        s.execute("CREATE TABLE outbox_head (id INT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL)");
      }
      // Where each durable consumer is: the (txid, seq) of the last event it handled.
      s.execute("CREATE TABLE outbox_cursors ("
          + "consumer VARCHAR(64) NOT NULL PRIMARY KEY, "
          + "txid BIGINT NOT NULL, "
          + "seq BIGINT NOT NULL, "
          + "updated_at TIMESTAMP WITH TIME ZONE NOT NULL)");
      // A singleton duty is held by one node until expires_at; the holder renews it, another takes it after.
      s.execute("CREATE TABLE duties ("
          + "name VARCHAR(64) NOT NULL PRIMARY KEY, "
          + "holder VARCHAR(128) NOT NULL, "
          + "since TIMESTAMP WITH TIME ZONE NOT NULL, "
          + "expires_at TIMESTAMP WITH TIME ZONE NOT NULL)");
    }
  }
}
