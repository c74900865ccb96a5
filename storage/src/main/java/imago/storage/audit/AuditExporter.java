package imago.storage.audit;

import imago.storage.index.AuditTrail;
import imago.storage.index.SqlUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every audit row, in order, to a syslog receiver as a DICOM Audit Message, from a thread of
 * its own: requests write their rows (invariant 7) and never wait for the receiver. The place
 * reached is kept in SQL ({@link AuditTrail}) and moves only after a batch was handed to the
 * transport, so rows recorded while the receiver is down go out when it is back (TLS; over UDP a
 * datagram the receiver misses is lost). A row may go twice (a crash between sending and
 * recording the place); syslog has no acknowledgement, so a batch written as the receiver drops
 * the connection can be lost. Of several processes on one database, only the one holding the
 * export's lease sends.
 */
public final class AuditExporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditExporter.class);
  private static final int BATCH = 100;
  private static final Duration LEASE = Duration.ofSeconds(60);
  private static final long FIRST_BACKOFF_MS = 1_000;
  private static final long MAX_BACKOFF_MS = 60_000;
  /** How long a missing row id is waited for before it is taken for an insert that was rolled back. */
  static final Duration GAP_WAIT = Duration.ofSeconds(60);

  private final AuditTrail trail;
  private final SyslogSender sender;
  private final String sourceId;
  private final String appName;
  private final Duration poll;
  private final Duration gapWait;
  private final String destination;
  private final String holder;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Thread thread;
  private AuditMessage messages;
  private SyslogMessage syslog;
  private boolean holding;
  private long claimedAt;
  private long gapId = -1;
  private long gapSince;

  AuditExporter(AuditTrail trail, SyslogSender sender, String sourceId, String appName, Duration poll, Duration gapWait,
      String destination) {
    this.trail = trail;
    this.sender = sender;
    this.sourceId = sourceId;
    this.appName = appName;
    this.poll = poll;
    this.gapWait = gapWait;
    this.destination = destination;
    this.holder = ProcessHandle.current().pid() + "/" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    this.thread = new Thread(this::run, "audit-export");
    thread.setDaemon(true);
  }

  /**
   * Starts exporting to the receiver {@code config} names, as the Imago called {@code sourceId} (its
   * AE title). Every row written after this returns is exported; when export is turned on for the
   * first time, the rows written before are not.
   *
   * @param clientKey the key and certificate presented to a TLS receiver that asks for one (mutual TLS); null: none
   */
  public static AuditExporter start(AuditConfig.Syslog config, AuditTrail trail, String sourceId,
      javax.net.ssl.X509KeyManager clientKey) throws IOException, SqlUnavailableException {
    String to = config.transport().name().toLowerCase(Locale.ROOT) + "://" + config.host() + ":" + config.port();
    return new AuditExporter(trail, SyslogSender.of(config, clientKey), sourceId, config.appName(), config.pollInterval(), GAP_WAIT, to)
        .start();
  }

  /** Claims the export at once (the first claim ever fixes where the export starts), then sends from a thread. */
  AuditExporter start() throws SqlUnavailableException {
    holdsExport();
    thread.start();
    LOG.info("event=audit.export.started to={}", destination);
    return this;
  }

  private void run() {
    String host = hostName(); // here, not at start-up: it may ask DNS
    messages = new AuditMessage(sourceId, host);
    syslog = new SyslogMessage(host, appName, ProcessHandle.current().pid());
    long backoff = 0;
    while (closing.getCount() > 0) {
      long pause;
      try {
        int sent = holdsExport() ? exportBatch() : 0;
        if (backoff > 0) LOG.info("event=audit.export.resumed to={}", destination);
        backoff = 0;
        pause = sent > 0 ? 0 : poll.toMillis();
      } catch (IOException | SqlUnavailableException | RuntimeException e) {
        backoff = backoff == 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff * 2);
        if (closing.getCount() == 0) break;
        LOG.warn("event=audit.export.failed to={} reason=\"{}\" retryInMs={}", destination, e.getMessage(), backoff);
        pause = backoff;
      }
      if (pause > 0 && closed(pause)) break;
    }
    sender.close(); // a send that raced with close() may have connected again
  }

  /** Whether this process holds the export, renewing its lease every third of it. */
  private boolean holdsExport() throws SqlUnavailableException {
    long now = System.nanoTime();
    if (holding && now - claimedAt < LEASE.toNanos() / 3) return true;
    holding = trail.claim(holder, LEASE);
    if (holding) claimedAt = now;
    return holding;
  }

  /** Sends the next rows that may go; the number sent. */
  private int exportBatch() throws IOException, SqlUnavailableException {
    long from = trail.exported();
    List<AuditTrail.Entry> ready = inOrder(from, trail.after(from, BATCH));
    if (ready.isEmpty()) return 0;
    List<byte[]> batch = new ArrayList<>(ready.size());
    for (AuditTrail.Entry e : ready) batch.add(syslog.of(e.event().at(), messages.of(e.event())));
    sender.send(batch);
    if (!trail.exported(holder, ready.get(ready.size() - 1).id())) {
      holding = false; // another process took the export over (this one stalled past its lease)
      LOG.info("event=audit.export.handed_over to={}", destination);
    }
    return ready.size();
  }

  /**
   * The rows that may go now, in id order. An id is handed out at insert but its row is seen only
   * at commit: a missing id belongs to a transaction still open (its row will appear) or one rolled
   * back (it never will). Rows after a missing id wait for it, for at most {@link #gapWait}.
   */
  private List<AuditTrail.Entry> inOrder(long from, List<AuditTrail.Entry> rows) {
    long expected = from + 1;
    for (int i = 0; i < rows.size(); i++) {
      long id = rows.get(i).id();
      if (id != expected) {
        if (gapId != expected) {
          gapId = expected;
          gapSince = System.nanoTime();
        }
        if (System.nanoTime() - gapSince < gapWait.toNanos()) return rows.subList(0, i);
        LOG.warn("event=audit.export.gap ids={}-{} waitedMs={} note=\"no such rows: rolled back, or committed too late "
            + "to export\"", expected, id - 1, gapWait.toMillis());
        gapId = -1;
      }
      expected = id + 1;
    }
    return rows;
  }

  /** Waits {@code millis}; true when the exporter was closed meanwhile. */
  private boolean closed(long millis) {
    try {
      return closing.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** Stops sending (a blocked send is cut off by closing its connection); the place reached stays in SQL. */
  @Override
  public void close() {
    closing.countDown();
    sender.close();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
