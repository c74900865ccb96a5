package imago.storage.telemetry;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * What the console plots and {@code imago status} prints, kept in the index for a day
 * (V18__telemetry.sql): samples each node takes of its own rates and, from one node at a time, of
 * the service-wide gauges; which nodes are alive; and the archive's size per tenant. The index
 * rather than each node's memory, so that any node behind a load balancer shows the whole service.
 */
public final class Telemetry {
  /** One sampled value: {@code name} (what), {@code series} (which line: a tenant/protocol, a model), a tenant or null. */
  public record Sample(String name, String series, String tenantId, double value) {}

  /** One plotted point: a bucket's start and its value, combined over the bucket's samples and the nodes ({@link #points}). */
  public record Point(String name, String series, String tenantId, long atMs, double value) {}

  /** A serving or worker process, as it last reported itself. */
  public record Node(String node, String roles, Instant startedAt, Instant lastSeen, String detail) {}

  /** One tenant's archive: studies, instances and the bytes their objects take. */
  public record TenantSize(String tenantId, long studies, long instances, long bytes) {}

  /** FSE notifications: waiting to go out, and among them those whose last attempt failed. */
  public record Deliveries(long pending, long failing) {}

  /** The suffix of a sample that counts events in its interval. */
  public static final String COUNT = "_count";

  private final DataSource ds;

  public Telemetry(DataSource ds) {
    this.ds = ds;
  }

  public void record(String node, long atMs, List<Sample> samples) throws SqlUnavailableException {
    if (samples.isEmpty()) return;
    Jdbc.autoCommit(ds, "telemetry record", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO metric_samples (at_ms, node, name, series, tenant_id, val) VALUES (?, ?, ?, ?, ?, ?)")) {
        for (Sample s : samples) {
          Jdbc.bind(ps, atMs, node, s.name(), s.series(), s.tenantId(), s.value());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
  }

  /**
   * Samples from {@code fromMs} on, in buckets of {@code bucketMs}; with {@code tenantId}, only that
   * tenant's series and the service-wide ones. How a bucket's samples combine depends on the name:
   * a count ({@code _count}: how many in one sample's interval) is summed, over the bucket and the
   * nodes; a percentile ({@code _p50}, {@code _p99}) is averaged per node and the highest node's
   * kept (percentiles do not add up); anything else (a rate, a gauge) is averaged per node and
   * summed over the nodes.
   */
  public List<Point> points(long fromMs, long bucketMs, String tenantId) throws SqlUnavailableException {
    String where = tenantId == null ? "" : " AND (tenant_id IS NULL OR tenant_id = ?)";
    Object[] args = tenantId == null ? new Object[] {bucketMs, fromMs} : new Object[] {bucketMs, fromMs, tenantId};
    List<Point> perNode = Jdbc.autoCommit(ds, "telemetry points", c -> Jdbc.query(c,
        "SELECT name, series, tenant_id, node, bucket, AVG(val) AS mean, SUM(val) AS total FROM (SELECT name, series, "
            + "tenant_id, node, val, at_ms - MOD(at_ms, ?) AS bucket FROM metric_samples WHERE at_ms >= ?" + where + ") s "
            + "GROUP BY name, series, tenant_id, node, bucket",
        rs -> {
          String name = rs.getString("name");
          return new Point(name, rs.getString("series"), rs.getString("tenant_id"), rs.getLong("bucket"),
              rs.getDouble(name.endsWith(COUNT) ? "total" : "mean"));
        }, args));
    Map<String, Point> combined = new TreeMap<>();
    for (Point p : perNode) {
      String key = p.name() + '\u0000' + p.series() + '\u0000' + String.format("%020d", p.atMs());
      Point before = combined.get(key);
      double value = before == null ? p.value() : percentile(p.name()) ? Math.max(before.value(), p.value())
          : before.value() + p.value();
      combined.put(key, new Point(p.name(), p.series(), p.tenantId(), p.atMs(), value));
    }
    return new ArrayList<>(combined.values());
  }

  private static boolean percentile(String name) {
    return name.endsWith("_p50") || name.endsWith("_p99");
  }

  /**
   * The newest sample {@code node} took since {@code fromMs}: each of its series at that moment
   * (a node records all it samples at once); with {@code tenantId}, that tenant's and the
   * service-wide series only. What a gauge reads now, rather than a bucket's average.
   */
  public List<Point> latest(String node, long fromMs, String tenantId) throws SqlUnavailableException {
    String where = tenantId == null ? "" : " AND (tenant_id IS NULL OR tenant_id = ?)";
    Object[] args = tenantId == null ? new Object[] {node, node, fromMs} : new Object[] {node, node, fromMs, tenantId};
    return Jdbc.autoCommit(ds, "telemetry latest", c -> Jdbc.query(c,
        "SELECT name, series, tenant_id, at_ms, val FROM metric_samples WHERE node = ? AND at_ms = (SELECT MAX(at_ms) FROM "
            + "metric_samples WHERE node = ? AND at_ms >= ?)" + where + " ORDER BY name, series",
        rs -> new Point(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getDouble(5)), args));
  }

  /** Removes samples older than {@code beforeMs}; returns how many. */
  public int prune(long beforeMs) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "telemetry prune", c -> Jdbc.update(c, "DELETE FROM metric_samples WHERE at_ms < ?", beforeMs));
  }

  /** This node is alive now; {@code detail} is a short JSON object of what it runs. */
  public void heartbeat(String node, String roles, Instant startedAt, Instant now, String detail) throws SqlUnavailableException {
    Jdbc.autoCommit(ds, "telemetry heartbeat", c -> {
      if (Jdbc.update(c, "UPDATE nodes SET roles = ?, started_at = ?, last_seen = ?, detail = ? WHERE node = ?", roles,
          startedAt, now, detail, node) == 0) {
        Jdbc.update(c, "INSERT INTO nodes (node, roles, started_at, last_seen, detail) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            node, roles, startedAt, now, detail);
      }
      return null;
    });
  }

  /** Nodes seen since {@code since}, newest first (older ones are forgotten by {@link #forgetNodes}). */
  public List<Node> nodes(Instant since) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "telemetry nodes", c -> Jdbc.query(c,
        "SELECT node, roles, started_at, last_seen, detail FROM nodes WHERE last_seen >= ? ORDER BY last_seen DESC, node",
        rs -> new Node(rs.getString("node"), rs.getString("roles"), Jdbc.instant(rs, "started_at"), Jdbc.instant(rs, "last_seen"),
            rs.getString("detail")), since));
  }

  public int forgetNodes(Instant before) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "telemetry forget", c -> Jdbc.update(c, "DELETE FROM nodes WHERE last_seen < ?", before));
  }

  /** Studies, instances and bytes per tenant (one pass over the instances: sample it, do not ask per request). */
  public List<TenantSize> sizes() throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "telemetry sizes", c -> {
      Map<String, long[]> by = new TreeMap<>();
      for (Object[] row : Jdbc.query(c, "SELECT tenant_id, COUNT(*) AS n, COALESCE(SUM(object_size), 0) AS b FROM instances "
          + "GROUP BY tenant_id", rs -> new Object[] {rs.getString(1), rs.getLong(2), rs.getLong(3)})) {
        long[] v = by.computeIfAbsent((String) row[0], t -> new long[3]);
        v[1] = (Long) row[1];
        v[2] = (Long) row[2];
      }
      for (Object[] row : Jdbc.query(c, "SELECT tenant_id, COUNT(*) FROM studies GROUP BY tenant_id",
          rs -> new Object[] {rs.getString(1), rs.getLong(2)})) {
        by.computeIfAbsent((String) row[0], t -> new long[3])[0] = (Long) row[1];
      }
      List<TenantSize> out = new ArrayList<>();
      by.forEach((t, v) -> out.add(new TenantSize(t, v[0], v[1], v[2])));
      return out;
    });
  }

  /** Per tenant (of the link), the FSE notifications waiting to go out; tenants with none are absent. */
  public Map<String, Deliveries> deliveries() throws SqlUnavailableException {
    Map<String, Deliveries> out = new TreeMap<>();
    for (Object[] row : Jdbc.autoCommit(ds, "telemetry deliveries", c -> Jdbc.query(c, "SELECT l.tenant_id, COUNT(*), "
        + "COALESCE(SUM(CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END), 0) FROM fse_deliveries d JOIN fse_links l ON l.id = d.link_id "
        + "WHERE d.state = 'pending' GROUP BY l.tenant_id", rs -> new Object[] {rs.getString(1), rs.getLong(2), rs.getLong(3)}))) {
      out.put((String) row[0], new Deliveries((Long) row[1], (Long) row[2]));
    }
    return out;
  }
}
