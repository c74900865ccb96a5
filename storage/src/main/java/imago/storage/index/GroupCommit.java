package imago.storage.index;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * Group commit: units of work submitted by concurrent threads (one per association) share one
 * transaction and one commit. A caller queues its work and takes the commit lock; whoever holds it
 * runs everything queued so far in one transaction, and every caller gets its own result only once
 * that transaction has committed. With one writer, a batch is that writer's own work.
 *
 * <p>Why: on embedded H2 every commit writes the changed B-tree pages to the file (WRITE_DELAY=0),
 * and with 4 C-STORE associations that commit was the largest cost of an instance (1.9 ms of CPU);
 * sharing it took the 4-association rate from about 170 to about 310 instances/s on the 2-core
 * development machine. PostgreSQL shares its WAL fsyncs the same way. If a batch fails, its units
 * are committed again without the unit that failed, so that one bad unit never fails the others
 * and each error reaches its caller.
 */
final class GroupCommit<I, O> {
  /** One unit of work inside the shared transaction. */
  @FunctionalInterface
  interface Unit<I, O> {
    O run(Connection c, I input) throws SQLException;
  }

  /** Work on the whole batch's outputs, last in the shared transaction (before its commit). */
  @FunctionalInterface
  interface BatchEnd<O> {
    void run(Connection c, List<O> outputs) throws SQLException;
  }

  private static final int MAX_BATCH = 64;

  private final DataSource ds;
  private final String what;
  private final Unit<I, O> unit;
  private final BatchEnd<O> end;
  private final ConcurrentLinkedQueue<Pending<I, O>> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock committing = new ReentrantLock();

  private static final class Pending<I, O> {
    final I input;
    O output;
    SqlUnavailableException failure;
    volatile boolean done;

    Pending(I input) {
      this.input = input;
    }
  }

  GroupCommit(DataSource ds, String what, Unit<I, O> unit) {
    this(ds, what, unit, (c, outputs) -> { });
  }

  GroupCommit(DataSource ds, String what, Unit<I, O> unit, BatchEnd<O> end) {
    this.ds = ds;
    this.what = what;
    this.unit = unit;
    this.end = end;
  }

  /** Runs {@code unit} on {@code input} in a transaction shared with concurrent callers; returns once committed. */
  O run(I input) throws SqlUnavailableException {
    Pending<I, O> mine = new Pending<>(input);
    queue.add(mine);
    committing.lock();
    try {
      while (!mine.done) { // FIFO: a batch cut at MAX_BATCH reaches mine in the next one
        List<Pending<I, O>> batch = drain();
        if (batch.isEmpty()) throw new IllegalStateException("a queued unit left the queue unfinished");
        commit(batch);
      }
    } finally {
      committing.unlock();
    }
    if (mine.failure != null) throw mine.failure;
    return mine.output;
  }

  /** Units waiting for a commit (for tests). */
  int queued() {
    return queue.size();
  }

  private List<Pending<I, O>> drain() {
    List<Pending<I, O>> batch = new ArrayList<>();
    for (Pending<I, O> p; batch.size() < MAX_BATCH && (p = queue.poll()) != null; ) batch.add(p);
    return batch;
  }

  /** A unit's own failure inside the shared transaction, with its place in the batch. */
  private static final class UnitFailed extends SQLException {
    final int index;

    UnitFailed(int index, Exception cause) {
      super(cause.getMessage(), cause);
      this.index = index;
    }
  }

  /**
   * Commits {@code batch} in one transaction. When one unit fails, that unit alone gets the failure
   * and the others are committed again without it; when the connection or the commit fails, every
   * unit of the batch gets that failure (retrying them one by one would only wait longer). Every
   * unit is finished, whatever is thrown.
   */
  private void commit(List<Pending<I, O>> batch) {
    try {
      List<O> outputs = Jdbc.transaction(ds, what, c -> {
        List<O> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          try {
            out.add(unit.run(c, batch.get(i).input));
          } catch (SQLException | RuntimeException e) {
            throw new UnitFailed(i, e);
          }
        }
        end.run(c, out);
        return out;
      });
      for (int i = 0; i < batch.size(); i++) finish(batch.get(i), outputs.get(i), null);
    } catch (SqlUnavailableException e) {
      if (e.getCause() instanceof UnitFailed failed) {
        Throwable cause = failed.getCause();
        finish(batch.get(failed.index), null, new SqlUnavailableException(what + " failed: " + cause.getMessage(), cause));
        List<Pending<I, O>> rest = new ArrayList<>(batch);
        rest.remove(failed.index);
        if (!rest.isEmpty()) commit(rest);
      } else {
        for (Pending<I, O> p : batch) finish(p, null, e);
      }
    } catch (Throwable e) { // an Error: no unit may be left waiting on a batch that will never commit
      SqlUnavailableException failure = new SqlUnavailableException(what + " failed: " + e, e);
      for (Pending<I, O> p : batch) if (!p.done) finish(p, null, failure);
      throw e;
    }
  }

  private static <I, O> void finish(Pending<I, O> p, O output, SqlUnavailableException failure) {
    p.output = output;
    p.failure = failure;
    p.done = true;
  }
}
