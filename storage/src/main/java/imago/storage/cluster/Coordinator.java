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
 *       some topics in order from a cursor kept in SQL, on one node at a time: each event is
 *       handled by one node per consumer (again only after a crash or a holder stalled past its
 *       lease, within the batch it was in; handlers are idempotent).
 * </ul>
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
  private static final int BATCH = 50;
  /** An event whose handler failed this many times in a row, for {@link #GIVE_UP_AFTER}, is logged and passed over. */
  private static final int MAX_FAILURES = 5;
  private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
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
  /** Per topic, the consumers that read it (retention keeps what they have not handled). */
  private final Map<String, Set<String>> consumedTopics = new ConcurrentHashMap<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final AtomicLong notifications = new AtomicLong();
  private volatile boolean closed;
  /** What waits between the keeper's renewals and the listener's retries wait on; close() wakes them. */
  private final Object stop = new Object();
  private volatile boolean started;

  public Coordinator(DataSource ds, boolean postgres, ClusterConfig config) {
    this.ds = ds;
    this.postgres = postgres;
    this.config = config;
    this.duties = new Duties(ds, config.node(), Clock.systemUTC(), config.lease());
    this.outbox = new Outbox(ds, postgres);
    // Retention, itself a singleton duty: events every consumer has handled go after outboxRetention.
    duty(RETENTION, Duration.ofMinutes(10), () -> {
      int pruned = outbox.prune(Instant.now().minus(config.outboxRetention()), consumedTopics);
      if (pruned > 0) LOG.info("event=outbox.pruned events={}", pruned);
    });
  }

  public String node() {
    return duties.node();
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
   * A singleton duty: {@code task} runs every {@code period} (and at once when this node takes
   * its lease) on whichever single node holds the lease named {@code name}.
   */
  public void duty(String name, Duration period, Task task) {
    Duty d = new Duty(name, period, task);
    if (started) throw new IllegalStateException("register duties before start()");
    if (byName.putIfAbsent(name, d) != null) throw new IllegalArgumentException("duty " + name + " registered twice");
  }

  /**
   * A durable consumer of the outbox's {@code topics}: {@code handler} sees each event in commit
   * order, on the one node holding the duty {@code name}; then {@code afterBatch} (may be null)
   * runs. After a crash or a lost lease the events of the unfinished batch are handled again
   * (handlers are idempotent). Woken by each commit of such an event, and every {@code cluster.pollInterval}.
   */
  public void consumer(String name, Set<String> topics, Handler handler, Task afterBatch) {
    if (started) throw new IllegalStateException("register consumers before start()");
    Duty[] self = new Duty[1];
    self[0] = new Duty(name, config.pollInterval(), () -> {
      drain(self[0], topics, handler);
      if (afterBatch != null) afterBatch.run();
    });
    if (byName.putIfAbsent(name, self[0]) != null) throw new IllegalArgumentException("duty " + name + " registered twice");
    for (String topic : topics) {
      on(Outbox.CHANNEL + ":" + topic, self[0]::wake);
      consumedTopics.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet()).add(name);
    }
  }

  /** Whether this node holds duty {@code name} now (as far as its last renewal knows). */
  public boolean holds(String name) {
    Duty d = byName.get(name);
    return d != null && d.held();
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

  /**
   * Takes and renews every duty's lease, three times per lease. A duty counts as held until one
   * lease after the renewal began, not until the next renewal says otherwise: a renewal that hangs
   * (the index away, a long pause) stops the duty in time for another node to take it.
   */
  private void keepLeases() {
    long every = Math.max(50, config.lease().toMillis() / 3);
    while (!closed) {
      for (Duty d : byName.values()) {
        if (closed) break;
        boolean was = d.held();
        long began = System.nanoTime();
        try {
          d.heldUntil = duties.hold(d.name) ? began + config.lease().toNanos() : 0;
        } catch (SqlUnavailableException | RuntimeException e) {
          d.heldUntil = 0; // cannot prove it is still ours: stop acting on it
          LOG.warn("event=duty.renew.failed duty={} error=\"{}\"", d.name, e.toString());
        }
        if (d.held() && !was) {
          LOG.info("event=duty.taken duty={} node={}", d.name, node());
          d.wake();
        } else if (!d.held() && was) {
          LOG.info("event=duty.lost duty={} node={}", d.name, node());
        }
      }
      pause(every);
    }
    // the last word on leases is the keeper's: released here, none is taken again after
    Thread.interrupted(); // a keeper close() had to interrupt still releases through the index
    for (Duty d : byName.values()) {
      if (d.heldUntil == 0) continue;
      try {
        duties.release(d.name);
      } catch (SqlUnavailableException e) {
        LOG.warn("event=duty.release.failed duty={} error=\"{}\" (another node takes it when its lease ends)", d.name,
            e.getMessage());
      }
      d.heldUntil = 0;
    }
  }

  /**
   * Handles the events after the consumer's cursor and moves the cursor past them, once per batch
   * (a commit per event cost more than most handlers: 2,000 studies stabilising at once were 2,000
   * commits). After a crash, the events of the batch it died in are handled again: handlers are
   * idempotent (jobs and deliveries are unique in SQL). A handler that fails is tried again after a
   * back-off (1 s, doubling up to a minute); an event is passed over only after its handler has
   * failed for {@link #GIVE_UP_AFTER} and at least {@link #MAX_FAILURES} times, and never because
   * the index was away.
   */
  private void drain(Duty duty, Set<String> topics, Handler handler) throws SqlUnavailableException {
    if (System.nanoTime() < duty.retryAt) return;
    Outbox.Cursor cursor = cursor(duty.name);
    while (duty.held() && !closed) {
      List<Outbox.Event> events = outbox.after(cursor, topics, BATCH);
      if (events.isEmpty()) return;
      Outbox.Cursor handled = cursor;
      boolean stop = false;
      for (Outbox.Event e : events) {
        if (!duty.held() || closed) {
          stop = true;
          break;
        }
        try {
          handler.handle(e);
          duty.failures = 0;
        } catch (Exception ex) {
          long now = System.nanoTime();
          if (duty.failures++ == 0) duty.failingSince = now;
          boolean indexAway = ex instanceof SqlUnavailableException;
          if (indexAway || duty.failures < MAX_FAILURES || now - duty.failingSince < GIVE_UP_AFTER.toNanos()) {
            long backoff = Math.min(60_000, 1000L << Math.min(6, duty.failures - 1));
            duty.retryAt = now + backoff * 1_000_000;
            LOG.warn("event=consumer.failed consumer={} seq={} topic={} attempt={} retry_ms={} error=\"{}\"", duty.name,
                e.seq(), e.topic(), duty.failures, backoff, ex.toString());
            stop = true;
            break;
          }
          LOG.error("event=consumer.skipped consumer={} seq={} topic={} tenant={} study={} attempts={} error=\"{}\"",
              duty.name, e.seq(), e.topic(), e.tenantId(), e.studyUid(), duty.failures, ex.toString());
          duty.failures = 0;
        }
        handled = e.cursor();
      }
      if (handled != cursor && !advance(duty.name, handled)) {
        duty.heldUntil = 0;
        LOG.info("event=duty.lost duty={} node={} (lease ran out while handling)", duty.name, node());
        return;
      }
      if (stop) return;
      cursor = handled;
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
      // forward only: a cursor never moves back over events another holder handled
      if (Jdbc.update(c, "UPDATE outbox_cursors SET txid = ?, seq = ?, updated_at = ? WHERE consumer = ? "
          + "AND (txid < ? OR (txid = ? AND seq < ?))", to.txid(), to.seq(), now, consumer, to.txid(), to.txid(), to.seq()) == 0) {
        Jdbc.update(c, "INSERT INTO outbox_cursors (consumer, txid, seq, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            consumer, to.txid(), to.seq(), now);
      }
      return true;
    });
  }

  /** PostgreSQL: LISTEN on every registered channel on a connection of its own, reconnecting after a failure. */
  private void listen() {
    long backoff = 100;
    while (!closed) {
      try (Connection c = ds.getConnection()) {
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
        try {
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
        } finally {
          // never back into the pool still LISTENing
          if (ds instanceof com.zaxxer.hikari.HikariDataSource pool) pool.evictConnection(c);
        }
      } catch (SQLException e) {
        if (closed) return;
        LOG.warn("event=cluster.listen.failed retry_ms={} error=\"{}\"", backoff, e.getMessage());
        pause(backoff);
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  /** Waits {@code millis}, or less when the coordinator closes. */
  private void pause(long millis) {
    synchronized (stop) {
      if (closed) return;
      try {
        stop.wait(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Stops every duty and gives up the leases this node holds, so other nodes take them at once
   * (the listener ends within a second, at its next look).
   */
  @Override
  public void close() {
    closed = true;
    synchronized (stop) {
      stop.notifyAll();
    }
    for (Duty d : byName.values()) d.wake();
    // the duties and the listener first, the keeper (started first) last: its leases are released
    // only once no task of this node can still be running them. Woken, not interrupted: an
    // interrupt that lands while a thread reads or writes an embedded H2 file makes H2 close the
    // whole database (seen in CoordinationTest); a thread still running after 10 s is interrupted.
    for (int k = threads.size() - 1; k >= 0; k--) {
      Thread t = threads.get(k);
      try {
        t.join(10_000);
        if (t.isAlive()) {
          t.interrupt();
          t.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One singleton duty on this node: its task runs while the lease is held. */
  private final class Duty {
    final String name;
    final Duration period;
    final Task task;
    /** System.nanoTime() until which the lease is ours (0: not held). */
    volatile long heldUntil;
    int failures;
    long failingSince;
    long retryAt;
    private boolean woken;

    Duty(String name, Duration period, Task task) {
      this.name = name;
      this.period = period;
      this.task = task;
    }

    boolean held() {
      long until = heldUntil;
      return until != 0 && System.nanoTime() - until < 0;
    }

    synchronized void wake() {
      woken = true;
      notifyAll();
    }

    void loop() {
      while (!closed) {
        if (held()) {
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
