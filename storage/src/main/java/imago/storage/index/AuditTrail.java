package imago.storage.index;

import java.time.Duration;
import java.util.List;

/**
 * The audit trail in the order it was written, and how far an exporter has sent it (table
 * audit_export): the door the audit export goes through. One process holds the export at a time,
 * under a lease it renews; the place it has reached is kept in SQL, so nothing is lost while the
 * receiver is down or when another process takes over.
 */
public interface AuditTrail {

  /** An audit row and its place in the trail (its key: increasing in the order rows were inserted). */
  record Entry(long id, AuditEvent event) {}

  /**
   * Takes or renews the export for {@code holder} until {@code lease} from now; false while another
   * holder's lease runs. The first claim ever starts the export after the rows already there.
   */
  boolean claim(String holder, Duration lease) throws SqlUnavailableException;

  /** The id of the last row sent (rows after it are still to send). */
  long exported() throws SqlUnavailableException;

  /** Up to {@code limit} rows after {@code id}, in id order. */
  List<Entry> after(long id, int limit) throws SqlUnavailableException;

  /** Rows up to {@code id} are sent; false (and nothing recorded) when {@code holder} no longer holds the export. */
  boolean exported(String holder, long id) throws SqlUnavailableException;
}
