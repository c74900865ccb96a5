package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DicomStatus;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.Eventually;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, fuzzing: 10,000 mutated PDUs (A-ASSOCIATE-RQs, and P-DATA-TFs carrying C-ECHO and
 * C-STORE; see {@link PduMutator} for the mutations) against a DIMSE server on the real ingest
 * path. Afterwards the server still answers dcmtk's echoscu, every connection has been served to
 * its end, no thread died, heap, resident memory and threads stayed bounded, and nothing was
 * stored. Deterministic: the seed is fixed and printed ({@code -Dimago.fuzz.seed=N} runs another),
 * and connection N's PDUs are {@code PduCorpus.plan(seed, N, budget)}, whatever ran before it.
 */
class PduFuzzTest {
  static final long SEED = 20_130_001L;
  static final int PDUS = 10_000;
  /** Client threads: fewer than the server's 8 association slots, so a valid request is never turned away busy. */
  static final int CLIENTS = 4;
  /** What the fuzz may leave on the heap (after GC): caches warming up, not a leak per PDU. */
  static final long RETAINED_HEAP_BOUND = 64L << 20;
  /**
   * What resident memory may grow by, client and server together (one JVM, -Xmx2g): the heap the
   * JVM commits under the fuzz's garbage (seeds 1-12 took it up 60-700 MiB) and the pool's
   * thread stacks. A loose bound: the retained heap and the threads are the tight checks.
   */
  static final long RSS_GROWTH_BOUND_KB = 3L << 19; // 1.5 GiB

  @TempDir static Path tmp;
  static DimseNode node;

  @BeforeAll
  static void start() throws Exception {
    node = DimseNode.start(tmp.resolve("node"), List.of());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** A process's footprint: heap in use after a collection, live threads, resident memory. */
  record Footprint(long heap, int threads, long rssKb) {
    static Footprint measure() throws IOException {
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
          .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
      return new Footprint(heap, ManagementFactory.getThreadMXBean().getThreadCount(), rss);
    }
  }

  @Test
  void theCStoreTheMutationsStartFromIsRefusedAsItIs() throws Exception {
    PduCorpus corpus = new PduCorpus("DEMO", DimseNode.AE);
    Random r = new Random(1);
    List<PduCorpus.Step> steps = List.of(
        new PduCorpus.Step(PduCorpus.Base.ASSOCIATE_RQ, corpus.tree(PduCorpus.Base.ASSOCIATE_RQ, r).encode(), List.of()),
        new PduCorpus.Step(PduCorpus.Base.STORE_WHOLE, corpus.tree(PduCorpus.Base.STORE_WHOLE, r).encode(), List.of()));
    PduExchange.Outcome o = PduExchange.run("127.0.0.1", node.port(), -1, steps);
    assertTrue(o.associated(), o.toString());
    assertEquals(1, o.responses().size(), o.toString());
    assertEquals(DimseCommand.C_STORE_RSP, o.responses().get(0).commandField());
    assertNotEquals(DicomStatus.SUCCESS, o.responses().get(0).status(), "the unmutated C-STORE is refused");
    assertEquals(0, node.index().instanceCount());
  }

  @Test
  void tenThousandMutatedPdusLeaveTheServerAnsweringEchoscuWithinBoundedMemoryAndStoringNothing() throws Exception {
    long seed = Long.getLong("imago.fuzz.seed", SEED);
    List<Throwable> died = new CopyOnWriteArrayList<>();
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> died.add(e));
    try {
      Footprint before = Footprint.measure();
      long start = System.nanoTime();
      Run run = fuzz(seed);
      List<PduExchange.Outcome> outcomes = run.outcomes();
      long ms = (System.nanoTime() - start) / 1_000_000;
      Eventually.eventually(Duration.ofSeconds(30), "every connection served to its end",
          () -> node.server().associationsStarted() - node.server().associationsEnded(), open -> open == 0);
      Footprint after = Footprint.measure();
      report(seed, run, ms, before, after);

      assertEquals(List.of(), outcomes.stream().filter(PduExchange.Outcome::hung).map(PduExchange.Outcome::number).toList(),
          "connections the server kept open " + PduExchange.HANG + " after the client had finished (seed " + seed + ")");
      assertEquals(List.of(), died.stream().map(PduFuzzTest::trace).toList(), "server threads that died of an uncaught throwable");
      assertTrue(outcomes.stream().filter(o -> o.number() % 3 != 0).allMatch(PduExchange.Outcome::associated),
          "every valid A-ASSOCIATE-RQ was accepted: the P-DATA-TF mutations reached the DIMSE layer");
      Dcmtk.Result echo = Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE);
      assertTrue(echo.ok(), "echoscu after the fuzz: " + echo.output());
      assertEquals(0, node.index().instanceCount(), "instances indexed");
      assertEquals(List.of(), files(tmp.resolve("node").resolve("objects")), "objects or staging files left");
      assertTrue(after.heap() - before.heap() < RETAINED_HEAP_BOUND, "heap retained: " + before + " -> " + after);
      assertTrue(after.rssKb() - before.rssKb() < RSS_GROWTH_BOUND_KB, "resident memory: " + before + " -> " + after);
      assertTrue(after.threads() <= before.threads() + DimseServer.CONNECTIONS + 8,
          "threads bounded by the server's pool, not by connections served: " + before + " -> " + after);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
    }
  }

  /** What the fuzz sent and what came of it. */
  record Run(List<PduExchange.Outcome> outcomes, Map<PduMutator.Mutation, Integer> mutations,
      Map<PduCorpus.Base, Integer> mutatedBases) {}

  /** Runs connections until {@link #PDUS} mutated PDUs are written, on {@link #CLIENTS} threads. */
  private static Run fuzz(long seed) throws Exception {
    PduCorpus corpus = new PduCorpus("DEMO", DimseNode.AE);
    Map<PduMutator.Mutation, Integer> mutations = new EnumMap<>(PduMutator.Mutation.class);
    Map<PduCorpus.Base, Integer> bases = new EnumMap<>(PduCorpus.Base.class);
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<PduExchange.Outcome>> running = new ArrayList<>();
      int planned = 0;
      for (int number = 0; planned < PDUS; number++) {
        int n = number;
        int budget = PDUS - planned;
        planned += Math.min(budget, PduCorpus.mutatedIn(n));
        running.add(clients.submit(() -> {
          List<PduCorpus.Step> steps = corpus.plan(seed, n, budget);
          tally(steps, mutations, bases);
          return PduExchange.run("127.0.0.1", node.port(), n, steps);
        }));
      }
      List<PduExchange.Outcome> outcomes = new ArrayList<>();
      for (Future<PduExchange.Outcome> f : running) outcomes.add(f.get());
      return new Run(outcomes, mutations, bases);
    } finally {
      clients.shutdownNow();
    }
  }

  private static void tally(List<PduCorpus.Step> steps, Map<PduMutator.Mutation, Integer> mutations,
      Map<PduCorpus.Base, Integer> bases) {
    synchronized (mutations) {
      for (PduCorpus.Step s : steps) {
        if (s.mutated()) bases.merge(s.base(), 1, Integer::sum);
        for (PduMutator.Mutation m : s.mutations()) mutations.merge(m, 1, Integer::sum);
      }
    }
  }

  private static void report(long seed, Run run, long ms, Footprint before, Footprint after) {
    List<PduExchange.Outcome> outcomes = run.outcomes();
    System.out.printf("pdu-fuzz seed=%d pdus=%d connections=%d ms=%d%n", seed,
        run.mutatedBases().values().stream().mapToInt(Integer::intValue).sum(), outcomes.size(), ms);
    System.out.printf("pdu-fuzz outcomes associated=%d rejected=%d aborted=%d cut=%d probeAnswered=%d responses=%d%n",
        count(outcomes, PduExchange.Outcome::associated), count(outcomes, PduExchange.Outcome::rejected),
        count(outcomes, PduExchange.Outcome::aborted), count(outcomes, PduExchange.Outcome::cut),
        count(outcomes, PduExchange.Outcome::probeAnswered), outcomes.stream().mapToInt(o -> o.responses().size()).sum());
    System.out.printf("pdu-fuzz footprint heapMiB=%d->%d threads=%d->%d rssMiB=%d->%d%n", before.heap() >> 20,
        after.heap() >> 20, before.threads(), after.threads(), before.rssKb() >> 10, after.rssKb() >> 10);
    Map<String, Long> answered = new java.util.TreeMap<>();
    for (PduExchange.Outcome o : outcomes) {
      for (DimseCommand rsp : o.responses()) {
        answered.merge(String.format("0x%04X/0x%04X", rsp.commandField(), rsp.status()), 1L, Long::sum);
      }
    }
    System.out.println("pdu-fuzz responses (command/status) " + answered);
    System.out.println("pdu-fuzz mutated " + run.mutatedBases());
    System.out.println("pdu-fuzz mutations " + run.mutations());
  }

  private static long count(List<PduExchange.Outcome> outcomes, Predicate<PduExchange.Outcome> p) {
    return outcomes.stream().filter(p).count();
  }

  private static String trace(Throwable e) {
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }
}
