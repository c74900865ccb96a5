package imago.storage.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.testkit.MutableClock;
import imago.storage.index.Database;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The inference job queue's SQL, on embedded H2 and on PostgreSQL. */
class JobQueueTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  /** Leases and back-offs expire by moving this clock, not by sleeping. */
  private static final MutableClock CLOCK = new MutableClock();

  /** A queue on an empty database. */
  private static JobQueue queue(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    return new SqlJobQueue(db.dataSource(), db.isPostgres(), CLOCK);
  }

  private static NewJob job(String series, String input) {
    return new NewJob("asst-a", "1.2.3", series, "lesion-cls", "1.0.0", input, 3, null, false);
  }

  private static String key() {
    return UUID.randomUUID().toString().replace("-", "").repeat(2);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void theSameInputIsQueuedOnceAndNewInstancesMakeANewJob(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    String series = "1.2.3." + System.nanoTime();
    String input = key();
    assertEquals(1, q.enqueue(List.of(job(series, input))).size());
    assertEquals(0, q.enqueue(List.of(job(series, input))).size(), "a study stable again with the same instances");
    assertEquals(1, q.enqueue(List.of(job(series, key()))).size(), "more instances arrived: new input");
    // A version run in shadow and later promoted: its clinical job is a job of its own, not the shadow one.
    String seen = key();
    NewJob shadow = new NewJob("asst-a", "1.2.3", series, "lesion-cls", "1.0.0", seen, 3, null, true);
    assertEquals(1, q.enqueue(List.of(shadow)).size());
    assertEquals(1, q.enqueue(List.of(job(series, seen))).size(), "the promoted version's clinical job");
  }

  /**
   * Which earlier result a job's result replaces (its Predecessor Documents): the one before a late
   * arrival, and an earlier version's; none for the first result, another series' or across shadow
   * and clinical jobs.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aResultReplacesTheLatestEarlierResultOfItsModelOnTheSeries(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    String series = "1.2.9." + System.nanoTime();
    Job first = done(q, job(series, key()));
    assertTrue(q.replaced(first).isEmpty(), "the first result replaces nothing");
    String more = key();
    Job late = done(q, job(series, more));
    assertEquals(first.id(), q.replaced(late).orElseThrow().id(), "a late arrival's result replaces the one before");
    Job upgraded = done(q, new NewJob("asst-a", "1.2.3", series, "lesion-cls", "2.0.0", more, 3, null, false));
    assertEquals(late.id(), q.replaced(upgraded).orElseThrow().id(), "a new version's result replaces the older version's");
    assertTrue(q.replaced(done(q, job(series + ".9", key()))).isEmpty(), "another series' result replaces nothing here");
    Job shadow = done(q, new NewJob("asst-a", "1.2.3", series, "lesion-cls", "3.0.0", more, 3, null, true));
    assertTrue(q.replaced(shadow).isEmpty(), "a shadow result replaces no clinical one");
  }

  /** Queues {@code job}, claims and completes it; returns it as claimed. */
  private static Job done(JobQueue q, NewJob job) throws Exception {
    assertEquals(1, q.enqueue(List.of(job)).size());
    List<Job> claimed = q.claim("w", 1, Duration.ofMinutes(1), 3);
    assertEquals(1, claimed.size());
    assertTrue(q.complete(claimed.get(0).id(), "w", "{}"));
    return claimed.get(0);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void concurrentWorkersNeverHoldTheSameJob(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 40; i++) jobs.add(job("1.2.4." + System.nanoTime() + "." + i, key()));
    q.enqueue(jobs);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<List<Long>>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      String name = "w" + w;
      workers.add(pool.submit(() -> {
        List<Long> mine = new ArrayList<>();
        for (List<Job> got; !(got = q.claim(name, 3, Duration.ofMinutes(1), 3)).isEmpty(); ) {
          for (Job j : got) {
            mine.add(j.id());
            assertTrue(q.complete(j.id(), name, "{}"));
          }
        }
        return mine;
      }));
    }
    Set<Long> seen = new HashSet<>();
    int total = 0;
    for (Future<List<Long>> f : workers) {
      for (long id : f.get()) {
        total++;
        seen.add(id);
      }
    }
    pool.shutdown();
    assertEquals(seen.size(), total, "a job was claimed twice");
    assertEquals(40, total, "every job was claimed");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aWorkerThatDiesLosesOnlyItsLease(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    Job j = q.enqueue(List.of(job("1.2.5." + System.nanoTime(), key()))).get(0);
    assertEquals(j.id(), q.claim("dead-worker", 1, Duration.ofMillis(200), 3).get(0).id());
    assertTrue(q.claim("other", 1, Duration.ofMinutes(1), 3).isEmpty(), "the lease still holds");
    CLOCK.advance(Duration.ofMillis(300));
    Job again = q.claim("other", 1, Duration.ofMinutes(1), 3).get(0);
    assertEquals(j.id(), again.id());
    assertEquals(2, again.attempts());
    assertFalse(q.complete(j.id(), "dead-worker", "{\"late\":true}"), "the old holder's result is not written");
    assertTrue(q.complete(j.id(), "other", "{\"ok\":true}"));
    Job done = q.find(j.id()).orElseThrow();
    assertEquals(JobState.DONE, done.state());
    assertEquals("{\"ok\":true}", done.result());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void passingFailuresRetryWithBackoffThenGoToTheDeadLetters(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    Job j = q.enqueue(List.of(job("1.2.6." + System.nanoTime(), key()))).get(0);
    for (int attempt = 1; attempt <= 2; attempt++) {
      Job claimed = q.claim("w", 1, Duration.ofMinutes(1), 2).get(0);
      assertEquals(attempt, claimed.attempts());
      JobState left = q.retry(j.id(), "w", "object store unavailable", Duration.ofMillis(attempt == 1 ? 150 : 0), 2).orElseThrow();
      if (attempt == 1) {
        assertEquals(JobState.QUEUED, left);
        assertTrue(q.claim("w", 1, Duration.ofMinutes(1), 2).isEmpty(), "backing off");
        CLOCK.advance(Duration.ofMillis(200));
      } else {
        assertEquals(JobState.DEAD, left);
      }
    }
    Job dead = q.find(j.id()).orElseThrow();
    assertEquals(JobState.DEAD, dead.state());
    assertTrue(dead.reason().contains("attempt 2 of 2: object store unavailable"), dead.reason());
    assertEquals(1L, q.counts().get(JobState.DEAD));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aPermanentFailureEndsTheJobWithItsReason(Backend backend) throws Exception {
    JobQueue q = queue(backend);
    Job j = q.enqueue(List.of(job("1.2.7." + System.nanoTime(), key()))).get(0);
    q.claim("w", 1, Duration.ofMinutes(1), 3);
    assertTrue(q.fail(j.id(), "w", "output shape [1, 3], manifest declares [1, 2]"));
    Job failed = q.find(j.id()).orElseThrow();
    assertEquals(JobState.FAILED, failed.state());
    assertEquals("output shape [1, 3], manifest declares [1, 2]", failed.reason());
    assertTrue(q.claim("w", 1, Duration.ofMinutes(1), 3).isEmpty(), "a failed job is not run again");
  }
}
