package imago.storage.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Concurrent units share one commit; one failing unit fails only its own caller. */
class GroupCommitTest {

  @Test
  void unitsQueuedBehindACommitShareTheNextOneAndABadUnitFailsAlone() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:group-commit;DB_CLOSE_DELAY=-1");
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id INT PRIMARY KEY)");
    }
    AtomicReference<GroupCommit<Integer, Integer>> self = new AtomicReference<>();
    Map<Integer, Connection> lastRunOn = new ConcurrentHashMap<>();
    AtomicBoolean firstRunning = new AtomicBoolean();
    GroupCommit<Integer, Integer> inserts = new GroupCommit<>(ds, "test insert", (c, id) -> {
      if (id == 0) { // the first commit holds the lock until eight more units wait behind it
        firstRunning.set(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (self.get().queued() < 8 && System.nanoTime() < deadline) Thread.onSpinWait();
      }
      lastRunOn.put(id, c);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id) VALUES (?)")) {
        ps.setInt(1, id == 99 ? 3 : id); // 99 collides with 3, queued in the same batch
        return ps.executeUpdate();
      }
    });
    self.set(inserts);
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try {
      Future<Integer> first = pool.submit(() -> inserts.run(0));
      while (!firstRunning.get()) Thread.onSpinWait();
      int[] ids = {1, 2, 3, 4, 5, 6, 7, 99};
      List<Future<Integer>> rest = new ArrayList<>();
      for (int id : ids) rest.add(pool.submit(() -> inserts.run(id)));
      assertEquals(1, first.get(30, TimeUnit.SECONDS));
      List<Integer> failed = new ArrayList<>();
      for (int i = 0; i < ids.length; i++) {
        try {
          assertEquals(1, rest.get(i).get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          assertInstanceOf(SqlUnavailableException.class, e.getCause());
          failed.add(ids[i]);
        }
      }
      assertEquals(1, failed.size(), "only one of the colliding pair fails: " + failed);
      assertTrue(failed.get(0) == 3 || failed.get(0) == 99, "the failure is the collision's: " + failed);
      // The seven that succeeded were committed together, in one transaction on one connection.
      Set<Connection> committedOn = Collections.newSetFromMap(new IdentityHashMap<>());
      for (int id : ids) if (id != failed.get(0)) committedOn.add(lastRunOn.get(id));
      assertEquals(1, committedOn.size(), "one shared commit for the queued units");
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      assertEquals(8, rs.getInt(1), "ids 0..7 committed: the batch rolled back and committed again without the collision");
    }
  }
}
