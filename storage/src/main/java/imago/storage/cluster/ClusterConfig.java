package imago.storage.cluster;

import java.time.Duration;

/**
 * The {@code cluster} section: how the nodes sharing one index coordinate (README: Running a cluster).
 *
 * @param nodeId this node's name in leases and logs; empty: host name, pid and start time
 * @param lease how long a singleton duty stays with a node that stops renewing it (the takeover time)
 * @param pollInterval how often a node looks for work without being woken (missed NOTIFYs, H2)
 * @param outboxRetention events older than this that every consumer has handled are deleted
 */
public record ClusterConfig(String nodeId, Duration lease, Duration pollInterval, Duration outboxRetention) {
  public static final ClusterConfig DEFAULT = new ClusterConfig("", Duration.ofSeconds(6), Duration.ofSeconds(1),
      Duration.ofDays(7));

  /** The configured node id, or one unique to this process. */
  public String node() {
    if (nodeId != null && !nodeId.isBlank()) return nodeId;
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis());
    // several nodes in one JVM (tests) are still told apart
    return host + ":" + self.pid() + ":" + Long.toString(started, 36) + ":" + NODES.incrementAndGet();
  }

  private static final java.util.concurrent.atomic.AtomicInteger NODES = new java.util.concurrent.atomic.AtomicInteger();
}
