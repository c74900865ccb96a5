package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.events.Events;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.storage.index.Outbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * instance.stored after every durable instance; study.stable once per quiet study, re-armed by
 * new instances, and decided in SQL so that a restart neither loses nor repeats it.
 */
class EventsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path tmp;

  @Test
  void threeInstancesGiveThreeInstanceStoredThenOneStudyStableAndAFourthReArmsIt() throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 4, 32, 32, 41, "EVT");
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("study"));
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    try (TestImago node = TestImago.start(tmp.resolve("data")); Recorder events = new Recorder(node, study)) {
      store(node, files.subList(0, 3));

      Set<String> sops = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        JsonObject stored = events.next(events.stored);
        assertEquals("demo", stored.getString("tenant"));
        assertEquals(SyntheticCt.seriesInstanceUid(spec, 1, 1), stored.getString("seriesUid"));
        assertEquals(SyntheticCt.CT_IMAGE_STORAGE, stored.getString("sopClassUid"));
        assertTrue(stored.getString("objectKey").startsWith("demo/" + study + "/"), stored.encode());
        sops.add(stored.getString("sopInstanceUid"));
      }
      long lastStored = System.nanoTime();
      assertEquals(Set.of(SyntheticCt.sopInstanceUid(spec, 1, 1, 1), SyntheticCt.sopInstanceUid(spec, 1, 1, 2),
          SyntheticCt.sopInstanceUid(spec, 1, 1, 3)), sops);

      JsonObject stable = events.next(events.stable);
      long quietFor = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastStored);
      assertTrue(quietFor >= 800, "study.stable only after the 1 s quiet period, came after " + quietFor + " ms");
      assertEquals("demo", stable.getString("tenant"));
      assertEquals(3, stable.getInteger("instances"));
      events.assertNothingMore();

      store(node, files.subList(3, 4));
      assertEquals(SyntheticCt.sopInstanceUid(spec, 1, 1, 4), events.next(events.stored).getString("sopInstanceUid"));
      JsonObject again = events.next(events.stable);
      assertEquals(4, again.getInteger("instances"));
      assertTrue(again.getLong("revision") > stable.getLong("revision"), again.encode() + " after " + stable.encode());
      events.assertNothingMore();

      // The outbox, which other nodes read, holds the same: 4 instance.stored and 2 study.stable, in commit order.
      List<Outbox.Event> outbox = node.imago.coordinator().outbox().after(Outbox.Cursor.START,
          Set.of(Events.INSTANCE_STORED, Events.STUDY_STABLE), 100).stream().filter(e -> study.equals(e.studyUid())).toList();
      assertEquals(List.of(Events.INSTANCE_STORED, Events.INSTANCE_STORED, Events.INSTANCE_STORED, Events.STUDY_STABLE,
          Events.INSTANCE_STORED, Events.STUDY_STABLE), outbox.stream().map(Outbox.Event::topic).toList());
      assertTrue(outbox.get(4).payload().contains(SyntheticCt.sopInstanceUid(spec, 1, 1, 4)), outbox.get(4).payload());
    }
  }

  @Test
  void aStudyLeftUnannouncedByAStoppedProcessIsAnnouncedOnceAfterRestart() throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 2, 32, 32, 42, "EVT");
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("study"));
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    Path data = tmp.resolve("data");

    try (TestImago first = TestImago.start(data, Map.of("node.stableQuietPeriod", "PT1H"));
         Recorder events = new Recorder(first, study)) {
      store(first, files);
      events.next(events.stored);
      events.next(events.stored);
      events.assertNoStudyStable("an hour has not passed");
    }

    // The outbox is the record of what was announced (the event bus only tells this process, maybe before a
    // test listens): after the restart, one study.stable; after another restart, still one.
    try (TestImago restarted = TestImago.start(data)) {
      List<Outbox.Event> announced = eventually(WAIT, "study.stable in the outbox", () -> stableEvents(restarted, study),
          list -> !list.isEmpty());
      assertEquals(1, announced.size(), announced.toString());
      assertEquals("demo", announced.get(0).tenantId());
      assertEquals(2, new JsonObject(announced.get(0).payload()).getInteger("instances"));
    }

    try (TestImago again = TestImago.start(data); Recorder events = new Recorder(again, study)) {
      events.assertNoStudyStable("already announced: not again");
      assertEquals(1, stableEvents(again, study).size());
    }
  }

  private static List<Outbox.Event> stableEvents(TestImago node, String study) throws Exception {
    return node.imago.coordinator().outbox().after(Outbox.Cursor.START, Set.of(Events.STUDY_STABLE), 1000)
        .stream().filter(e -> study.equals(e.studyUid())).toList();
  }

  private static void store(TestImago node, List<Path> files) {
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "STORESCU", "IMAGO", files);
    assertTrue(r.ok(), r.toString());
    assertEquals(files.size(), Dcmtk.storescuAcknowledged(r.output()).size(), r.output());
  }

  /**
   * The node's instance.stored and study.stable messages about one study, as they arrive. Its
   * consumers run on one context of their own, so that {@link #flush} can wait for every message
   * already on its way to them.
   */
  private static final class Recorder implements AutoCloseable {
    final BlockingQueue<JsonObject> stored = new LinkedBlockingQueue<>();
    final BlockingQueue<JsonObject> stable = new LinkedBlockingQueue<>();
    private final TestImago node;
    private final Context context;
    private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();

    Recorder(TestImago node, String studyUid) throws Exception {
      this.node = node;
      this.context = node.imago.vertx().getOrCreateContext();
      CompletableFuture<Void> registered = new CompletableFuture<>();
      context.runOnContext(v -> {
        consumers.add(node.imago.vertx().eventBus().<JsonObject>consumer(Events.INSTANCE_STORED, m -> {
          if (studyUid.equals(m.body().getString("studyUid"))) stored.add(m.body());
        }));
        consumers.add(node.imago.vertx().eventBus().<JsonObject>consumer(Events.STUDY_STABLE, m -> {
          if (studyUid.equals(m.body().getString("studyUid"))) stable.add(m.body());
        }));
        Future.all(consumers.get(0).completion(), consumers.get(1).completion())
            .onComplete(ar -> registered.complete(null));
      });
      registered.get(30, TimeUnit.SECONDS);
    }

    JsonObject next(BlockingQueue<JsonObject> queue) throws InterruptedException {
      return eventually(WAIT, "the next event", queue::poll, java.util.Objects::nonNull);
    }

    /**
     * The stabilizer has looked twice more (a whole scan began after this call), and every message
     * those scans published has reached the consumers.
     */
    private void twoMoreScans() throws Exception {
      long seen = node.imago.stabilizer().scans();
      eventually(WAIT, "two more stabilizer scans", () -> node.imago.stabilizer().scans() >= seen + 2);
      CompletableFuture<Void> flushed = new CompletableFuture<>();
      context.runOnContext(v -> flushed.complete(null)); // runs after deliveries queued before it
      flushed.get(30, TimeUnit.SECONDS);
    }

    void assertNoStudyStable(String why) throws Exception {
      twoMoreScans();
      assertTrue(stable.isEmpty(), why + ": " + stable);
    }

    void assertNothingMore() throws Exception {
      twoMoreScans();
      assertTrue(stable.isEmpty(), "study.stable once only, but also got " + stable);
      assertTrue(stored.isEmpty(), "unexpected instance.stored " + stored);
    }

    @Override
    public void close() {
      consumers.forEach(MessageConsumer::unregister);
    }
  }
}
