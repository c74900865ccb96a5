package imago.storage.cluster;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Leases of singleton duties (V14 {@code duties}): a duty is held by one node until its lease
 * runs out; the holder renews it well before, and any node may take it once it has run out. A
 * node that dies stops renewing, so another takes its duties over within one lease. Expiry is
 * decided by the {@link Clock} (nodes keep their clocks in step with NTP; tests move it).
 */
public final class Duties {
  /** Who holds a duty (its node's name), since when, and until when unless renewed. */
  public record Holder(String duty, String node, Instant since, Instant expiresAt) {}

  private final DataSource ds;
  private final String node;
  /** What the duties table names as holder: the node's name and a token of this process (two processes never share it). */
  private final String holder;
  private final Clock clock;
  private final Duration lease;

  /**
   * @param node this node's name (cluster.nodeId, or host, pid and start time); the holder a lease
   *     names is this name, a slash and a random token of this process, so two processes given the
   *     same name by mistake still never share a lease
   */
  public Duties(DataSource ds, String node, Clock clock, Duration lease) {
    this.ds = ds;
    this.node = node;
    byte[] token = new byte[6];
    new java.security.SecureRandom().nextBytes(token);
    this.holder = node + "/" + java.util.HexFormat.of().formatHex(token);
    this.clock = clock;
    this.lease = lease;
  }

  public String node() {
    return node;
  }

  /** Takes or renews {@code duty} for this node; true when this node holds it now. */
  public boolean hold(String duty) throws SqlUnavailableException {
    Instant now = clock.instant();
    Instant until = now.plus(lease);
    return Jdbc.autoCommit(ds, "duty " + duty, c -> {
      int renewed = Jdbc.update(c, "UPDATE duties SET expires_at = ? WHERE name = ? AND holder = ?", until, duty, holder);
      if (renewed == 1) return true;
      int taken = Jdbc.update(c, "UPDATE duties SET holder = ?, since = ?, expires_at = ? WHERE name = ? AND expires_at < ?",
          holder, now, until, duty, now);
      if (taken == 1) return true;
      return Jdbc.update(c, "INSERT INTO duties (name, holder, since, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
          duty, holder, now, until) == 1;
    });
  }

  /** Gives {@code duty} up at once (a node stopping cleanly), so another node need not wait out the lease. */
  public void release(String duty) throws SqlUnavailableException {
    Jdbc.autoCommit(ds, "duty release " + duty, c -> Jdbc.update(c, "DELETE FROM duties WHERE name = ? AND holder = ?",
        duty, holder));
  }

  /**
   * Whether this node still holds {@code duty}, inside a transaction that acts on it (a fence): the
   * lease row is locked until that transaction ends, so no takeover commits between this check and
   * the work it guards.
   */
  public boolean holds(Connection c, String duty) throws SQLException {
    return Jdbc.first(c, "SELECT 1 FROM duties WHERE name = ? AND holder = ? AND expires_at > ? FOR UPDATE", rs -> 1, duty,
        holder, clock.instant()).isPresent();
  }

  /** The current holder of {@code duty}, if its lease has not run out. */
  public Optional<Holder> holder(String duty) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "duty holder", c -> Jdbc.first(c,
        "SELECT name, holder, since, expires_at FROM duties WHERE name = ? AND expires_at > ?",
        rs -> new Holder(rs.getString(1), nodeOf(rs.getString(2)), Jdbc.instant(rs, "since"), Jdbc.instant(rs, "expires_at")),
        duty, clock.instant()));
  }

  /** The node's name in a holder ({@code name/token}). */
  public static String nodeOf(String holder) {
    int slash = holder.lastIndexOf('/');
    return slash < 0 ? holder : holder.substring(0, slash);
  }
}
