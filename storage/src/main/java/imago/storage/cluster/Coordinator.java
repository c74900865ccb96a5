package imago.storage.cluster;

import imago.storage.index.Jdbc;
import imago.storage.index.Outbox;
import imago.storage.index.SqlUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the nodes of one deployment work together through the index alone (DESIGN.md, issue 14):
 * <ul>
 *   <li><b>Wake-ups.</b> On PostgreSQL a listener connection {@code LISTEN}s on the channels
 *       handlers registered with {@link #on}; a NOTIFY sent in a transaction reaches every node at
 *       its commit. {@link #signal} wakes this node's own handlers (the only wake-up on H2, where
 *       one node runs). Polling every {@code pollInterval} covers a missed notification.
 *   <li><b>Singleton duties</b> ({@link #duty}): a task that runs on one node at a time, under a
 *       lease ({@link Duties}) a keeper thread renews; when the holder dies, another node takes the
 *       duty within one lease.
 *   <li><b>Durable consumers</b> ({@link #consumer}): a duty that handles {@link Outbox} events of
 *       some topics in commit order from a cursor kept in SQL, so each event is handled once per
 *       consumer across the cluster (again only if a holder stalls past its lease).
 * </ul>
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
  private static final int BATCH = 100;
  /** An event whose handler failed this many times in a row is logged and passed over. */
  private static final int MAX_FAILURES = 5;
  /** The singleton duty that prunes the outbox. */
  public static final String RETENTION = "retention";

  /** Work a duty does each time it runs. */
  @FunctionalInterface
  public interface Task {
    void run() throws Exception;
  }

  /** What a consumer does with one event. */
  @FunctionalInterface
  public interface Handler {
    void handle(Outbox.Event event) throws Exception;
  }

  private final DataSource ds;
  private final boolean postgres;
  private final Duties duties;
  private final Outbox outbox;
  private final ClusterConfig config;
  private final Map<String, List<Runnable>> wakeups = new ConcurrentHashMap<>();
  private final Map<String, Duty> byName = new ConcurrentHashMap<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final AtomicLong notifications = new AtomicLong();
  private volatile boolean closed;
  private volatile boolean started;
  private volatile Connection listening;

  public Coordinator(DataSource ds, boolean postgres, ClusterConfig config) {
    this.ds = ds;
    this.postgres = postgres;
    this.config = config;
    this.duties = new Duties(ds, config.node(), Clock.systemUTC(), config.lease());
    this.outbox = new Outbox(ds, postgres);
    // Retention, itself a singleton duty: events every consumer has handled go after outboxRetention.
    duty(RETENTION, Duration.ofMinutes(10), () -> {
      int pruned = outbox.prune(Instant.now().minus(config.outboxRetention()));
      if (pruned > 0) LOG.info("event=outbox.pruned events={}", pruned);
    });
  }

  public String node() {
    return duties.node();
  }

  public Duties duties() {
    return duties;
  }

  public Outbox outbox() {
    return outbox;
  }

  /** NOTIFYs received on this node since it started (a test's way to see the listener working). */
  public long notifications() {
    return notifications.get();
  }

  /** Runs {@code wakeup} whenever {@code channel} is notified, by any node (PostgreSQL) or by this one ({@link #signal}). */
  public void on(String channel, Runnable wakeup) {
    if (started) throw new IllegalStateException("register wake-ups before start(): the listener LISTENs once connected");
    wakeups.computeIfAbsent(channel, k -> new CopyOnWriteArrayList<>()).add(wakeup);
  }

  /** Wakes this node's handlers of {@code channel} (after a commit that other nodes learn of by NOTIFY). */
  public void signal(String channel) {
    for (Runnable r : wakeups.getOrDefault(channel, List.of())) r.run();
  }

  /** Wakes this node's consumers of {@code topic} after a commit that appended such an event. */
  public void signalEvent(String topic) {
    signal(Outbox.CHANNEL + ":" + topic);
  }

  /**
   * A singleton duty: {@code task} runs every {@code period} (and when {@link #wake woken}) on
   * whichever single node holds the lease named {@code name}.
   */
  public void duty(String name, Duration period, Task task) {
    Duty d = new Duty(name, period, task);
    if (started) throw new IllegalStateException("register duties before start()");
    if (byName.putIfAbsent(name, d) != null) throw new IllegalArgumentException("duty " + name + " registered twice");
  }

  /**
   * A durable consumer of the outbox's {@code topics}: {@code handler} sees each event once, in
   * commit order, on the one node holding the duty {@code name}; then {@code afterBatch} (may be
   * null) runs. Woken by each commit of such an event, and every {@code cluster.pollInterval}.
   */
  public void consumer(String name, Set<String> topics, Handler handler, Task afterBatch) {
    if (started) throw new IllegalStateException("register consumers before start()");
    Duty[] self = new Duty[1];
    self[0] = new Duty(name, config.pollInterval(), () -> {
      drain(self[0], topics, handler);
      if (afterBatch != null) afterBatch.run();
    });
    if (byName.putIfAbsent(name, self[0]) != null) throw new IllegalArgumentException("duty " + name + " registered twice");
    for (String topic : topics) on(Outbox.CHANNEL + ":" + topic, self[0]::wake);
  }

  /** Runs duty {@code name} now if this node holds it (otherwise its holder runs it at its next period). */
  public void wake(String name) {
    Duty d = byName.get(name);
    if (d != null) d.wake();
  }

  /** Whether this node holds duty {@code name} now (as far as its last renewal knows). */
  public boolean holds(String name) {
    Duty d = byName.get(name);
    return d != null && d.held;
  }

  public Coordinator start() {
    started = true;
    thread("imago-duties", this::keepLeases);
    for (Duty d : byName.values()) thread("imago-duty-" + d.name, d::loop);
    if (postgres) thread("imago-listen", this::listen);
    return this;
  }

  private void thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** Takes and renews every duty's lease, three times per lease. */
  private void keepLeases() {
    long every = Math.max(50, config.lease().toMillis() / 3);
    while (!closed) {
      for (Duty d : byName.values()) {
        boolean was = d.held;
        try {
          d.held = duties.hold(d.name);
        } catch (SqlUnavailableException e) {
          d.held = false; // cannot prove it is still ours: stop acting on it
          LOG.warn("event=duty.renew.failed duty={} error=\"{}\"", d.name, e.getMessage());
        }
        if (d.held && !was) {
          LOG.info("event=duty.taken duty={} node={}", d.name, node());
          d.wake();
        } else if (!d.held && was) {
          LOG.info("event=duty.lost duty={} node={}", d.name, node());
        }
      }
      sleep(every);
    }
  }

  /** Handles the events after the consumer's cursor, moving the cursor past each one as it is handled. */
  private void drain(Duty duty, Set<String> topics, Handler handler) throws SqlUnavailableException {
    Outbox.Cursor cursor = cursor(duty.name);
    while (duty.held && !closed) {
      List<Outbox.Event> events = outbox.after(cursor, topics, BATCH);
      if (events.isEmpty()) return;
      for (Outbox.Event e : events) {
        try {
          handler.handle(e);
          duty.failures = 0;
        } catch (Exception ex) {
          if (++duty.failures < MAX_FAILURES) {
            LOG.warn("event=consumer.failed consumer={} seq={} topic={} attempt={} error=\"{}\"", duty.name, e.seq(),
                e.topic(), duty.failures, ex.toString());
            return; // the next run tries it again
          }
          LOG.error("event=consumer.skipped consumer={} seq={} topic={} tenant={} study={} error=\"{}\"", duty.name, e.seq(),
              e.topic(), e.tenantId(), e.studyUid(), ex.toString());
          duty.failures = 0;
        }
        if (!advance(duty.name, e.cursor())) {
          duty.held = false;
          LOG.info("event=duty.lost duty={} node={} (lease ran out while handling)", duty.name, node());
          return;
        }
        cursor = e.cursor();
      }
    }
  }

  private Outbox.Cursor cursor(String consumer) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "outbox cursor", c -> Jdbc.first(c, "SELECT txid, seq FROM outbox_cursors WHERE consumer = ?",
        rs -> new Outbox.Cursor(rs.getLong(1), rs.getLong(2)), consumer).orElse(Outbox.Cursor.START));
  }

  /** Moves the consumer's cursor, only while this node still holds its duty (a fence against a stalled holder). */
  private boolean advance(String consumer, Outbox.Cursor to) throws SqlUnavailableException {
    return Jdbc.transaction(ds, "outbox cursor", c -> {
      if (!duties.holds(c, consumer)) return false;
      Instant now = Instant.now();
      if (Jdbc.update(c, "UPDATE outbox_cursors SET txid = ?, seq = ?, updated_at = ? WHERE consumer = ?", to.txid(),
          to.seq(), now, consumer) == 0) {
        Jdbc.update(c, "INSERT INTO outbox_cursors (consumer, txid, seq, updated_at) VALUES (?, ?, ?, ?)", consumer,
            to.txid(), to.seq(), now);
      }
      return true;
    });
  }

  /** PostgreSQL: LISTEN on every registered channel on a connection of its own, reconnecting after a failure. */
  private void listen() {
    long backoff = 100;
    while (!closed) {
      try (Connection c = ds.getConnection()) {
        listening = c;
        Set<String> channels = new java.util.TreeSet<>();
        for (String key : wakeups.keySet()) channels.add(key.contains(":") ? key.substring(0, key.indexOf(':')) : key);
        try (Statement s = c.createStatement()) {
          for (String channel : channels) s.execute("LISTEN " + channel);
        }
        LOG.info("event=cluster.listening channels={}", channels);
        backoff = 100;
        // What was notified while no one listened is found by looking once now.
        for (Duty d : byName.values()) d.wake();
        for (String key : wakeups.keySet()) if (!key.contains(":")) signal(key);
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] got = pg.getNotifications(1000);
          if (got == null) {
            // Nothing for a second: make sure the connection still works (a restarted server drops it silently).
            if (!c.isValid(2)) throw new SQLException("listener connection is no longer valid");
            continue;
          }
          for (PGNotification n : got) {
            notifications.incrementAndGet();
            signal(n.getName());
            if (!n.getParameter().isEmpty()) signal(n.getName() + ":" + n.getParameter());
          }
        }
      } catch (SQLException e) {
        if (closed) return;
        LOG.warn("event=cluster.listen.failed retry_ms={} error=\"{}\"", backoff, e.getMessage());
        sleep(backoff);
        backoff = Math.min(5000, backoff * 2);
      } finally {
        listening = null;
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops every duty and gives up the leases this node holds, so other nodes take them at once. */
  @Override
  public void close() {
    closed = true;
    for (Duty d : byName.values()) d.wake();
    Connection c = listening;
    if (c != null) {
      try {
        c.close(); // ends the listener's wait
      } catch (SQLException ignored) {
        // the thread ends anyway: closed is set
      }
    }
    for (Thread t : threads) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Duty d : byName.values()) {
      if (!d.held) continue;
      try {
        duties.release(d.name);
      } catch (SqlUnavailableException e) {
        LOG.warn("event=duty.release.failed duty={} error=\"{}\" (another node takes it when its lease ends)", d.name,
            e.getMessage());
      }
    }
  }

  /** One singleton duty on this node: its task runs while the lease is held. */
  private final class Duty {
    final String name;
    final Duration period;
    final Task task;
    volatile boolean held;
    int failures;
    private boolean woken;

    Duty(String name, Duration period, Task task) {
      this.name = name;
      this.period = period;
      this.task = task;
    }

    synchronized void wake() {
      woken = true;
      notifyAll();
    }

    void loop() {
      while (!closed) {
        if (held) {
          try {
            task.run();
          } catch (Exception e) {
            LOG.warn("event=duty.failed duty={} error=\"{}\"", name, e.toString());
          }
        }
        synchronized (this) {
          long until = System.nanoTime() + period.toNanos();
          while (!woken && !closed) {
            long left = until - System.nanoTime();
            if (left <= 0) break;
            try {
              java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
              if (closed) return;
            }
          }
          woken = false;
        }
      }
    }
  }
}
