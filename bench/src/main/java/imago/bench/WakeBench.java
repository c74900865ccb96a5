package imago.bench;

import imago.storage.cluster.ClusterConfig;
import imago.storage.cluster.Coordinator;
import imago.storage.index.Outbox;
import imago.storage.index.Jdbc;
import imago.storage.jobs.SqlJobQueue;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * How long a commit on one node takes to wake another (bench/cluster): two coordinators on their
 * own connection pools to the same PostgreSQL stand for two nodes. Node A commits an outbox event
 * (and, separately, a bare NOTIFY on the job channel, as queueing a job does); node B's consumer
 * (resp. its job wake-up) records when it ran. Prints p50/p99/max per kind, in milliseconds.
 *
 * <p>usage: WAKE_DB_PASSWORD=... WakeBench JDBC_URL USER [SAMPLES] (the password not in argv, where ps shows it)
 */
public final class WakeBench {
  private WakeBench() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String user = args[1];
    String password = System.getenv("WAKE_DB_PASSWORD");
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    try (com.zaxxer.hikari.HikariDataSource a = pool(url, user, password);
         com.zaxxer.hikari.HikariDataSource b = pool(url, user, password)) {
      ClusterConfig config = new ClusterConfig("", Duration.ofSeconds(6), Duration.ofSeconds(1), Duration.ofDays(7));
      BlockingQueue<Long> events = new ArrayBlockingQueue<>(samples * 2);
      BlockingQueue<Long> jobs = new ArrayBlockingQueue<>(samples * 2);
      String topic = "bench.wake." + ProcessHandle.current().pid();
      Coordinator nodeA = new Coordinator(a, true, config).start();
      Coordinator nodeB = new Coordinator(b, true, config);
      nodeB.consumer("bench-wake-" + ProcessHandle.current().pid(), Set.of(topic), e -> events.offer(System.nanoTime()),
          null);
      nodeB.on(SqlJobQueue.JOBS_CHANNEL, () -> jobs.offer(System.nanoTime()));
      nodeB.start();
      try {
        while (!nodeB.holds("bench-wake-" + ProcessHandle.current().pid())) Thread.sleep(10);
        // B's listener is connected once a NOTIFY reaches it
        do {
          notifyJobs(a);
        } while (jobs.poll(100, TimeUnit.MILLISECONDS) == null);
        events.clear();
        jobs.clear();
        print("outbox event -> consumer on another node", measure(samples, events, () -> append(a, topic)));
        print("job NOTIFY -> worker wake-up on another node", measure(samples, jobs, () -> notifyJobs(a)));
      } finally {
        nodeB.close();
        nodeA.close();
        String consumer = "bench-wake-" + ProcessHandle.current().pid();
        Jdbc.autoCommit(a, "clean up", c -> { // no trace: a cursor left behind would hold back outbox pruning
          Jdbc.update(c, "DELETE FROM outbox_cursors WHERE consumer = ?", consumer);
          Jdbc.update(c, "DELETE FROM duties WHERE name = ?", consumer);
          return Jdbc.update(c, "DELETE FROM outbox WHERE topic = ?", topic);
        });
      }
    }
  }

  @FunctionalInterface
  private interface Commit {
    void run() throws Exception;
  }

  /** Each sample: time the commit returned to the time the other node ran; at most one in flight. */
  private static double[] measure(int samples, BlockingQueue<Long> woken, Commit commit) throws Exception {
    double[] ms = new double[samples];
    for (int i = 0; i < samples; i++) {
      commit.run();
      long committed = System.nanoTime();
      Long at = woken.poll(10, TimeUnit.SECONDS);
      if (at == null) throw new IllegalStateException("no wake-up within 10 s at sample " + i);
      ms[i] = Math.max(0, at - committed) / 1e6;
      woken.clear(); // a NOTIFY may wake more than one handler run
      Thread.sleep(5);
    }
    return ms;
  }

  private static void append(DataSource ds, String topic) throws Exception {
    Jdbc.transaction(ds, "bench append", c -> {
      Outbox.append(c, topic, "bench", "bench", null);
      return null;
    });
  }

  private static void notifyJobs(DataSource ds) throws Exception {
    Jdbc.transaction(ds, "bench notify", c -> {
      Outbox.notifyAtCommit(c, SqlJobQueue.JOBS_CHANNEL);
      return null;
    });
  }

  private static void print(String what, double[] ms) {
    Arrays.sort(ms);
    System.out.printf("%-46s n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n", what, ms.length, ms[ms.length / 2],
        ms[(int) Math.ceil(ms.length * 0.99) - 1], ms[ms.length - 1]);
  }

  private static com.zaxxer.hikari.HikariDataSource pool(String url, String user, String password) {
    com.zaxxer.hikari.HikariConfig h = new com.zaxxer.hikari.HikariConfig();
    h.setJdbcUrl(url);
    h.setUsername(user);
    h.setPassword(password);
    h.setMaximumPoolSize(4);
    return new com.zaxxer.hikari.HikariDataSource(h);
  }
}
