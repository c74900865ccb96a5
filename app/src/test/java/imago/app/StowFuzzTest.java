package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Eventually;
import imago.storage.index.StoredInstance;
import imago.storage.object.FsObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, fuzzing: 5,000 mutated STOW-RS bodies and PS3.10 files (see {@link StowPlan}) against
 * a running Imago. No answer is a 5xx other than 503, none hangs, every error but 409 is
 * problem+json; every instance an answer names is indexed; objects and index rows match one for
 * one, with the sizes indexed, and no staging file is left; every valid file sent beside bad ones
 * was stored and WADO-RS returns it byte for byte. Deterministic: the seed is fixed and printed
 * ({@code -Dimago.fuzz.seed=N} runs another), request N is {@code StowPlan.of(seed, N, ...)}.
 */
class StowFuzzTest {
  static final long SEED = 20_130_002L;
  static final int MUTATED = 5_000;
  static final int CLIENTS = 4;
  static final Duration HANG = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static TestImago node;
  static String token;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    token = node.token("demo", Caller.Role.HOSPITAL);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** What came of one request; the request itself is not kept (it can be rebuilt from the seed). */
  record Answer(int number, int mutated, List<String> mutations, String validSop, int status, String contentType,
      String body, String failure) {
    static Answer of(StowPlan p, int status, String contentType, String body, String failure) {
      return new Answer(p.number(), p.mutated(), p.mutations(), p.validSop(), status, contentType, body, failure);
    }
  }

  @Test
  void fiveThousandMutatedBodiesAndFilesGetNo5xxLeaveNothingPartialAndTheValidFilesBesideThemAreStored() throws Exception {
    long seed = Long.getLong("imago.fuzz.seed", SEED);
    StowPlan.Bases bases = new StowPlan.Bases(seed);
    long start = System.nanoTime();
    List<Answer> answers = fuzz(seed, bases);
    long ms = (System.nanoTime() - start) / 1_000_000;
    List<String> violations = new ArrayList<>();
    Set<String> stored = new HashSet<>();
    for (Answer a : answers) violations.addAll(check(a, stored));
    int retrieved = retrieveValidFiles(answers, bases, violations);
    report(seed, bases, answers, ms, stored.size(), retrieved);
    assertEquals(List.of(), violations.stream().limit(20).toList(), violations.size() + " violations (seed " + seed + ")");
    assertObjectsMatchTheIndex(stored);
  }

  /** Sends requests until {@link #MUTATED} mutated bodies and files are out, {@link #CLIENTS} at a time. */
  private static List<Answer> fuzz(long seed, StowPlan.Bases bases) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    Semaphore inFlight = new Semaphore(4 * CLIENTS); // plans hold their bodies: only a few at once
    try {
      List<Future<Answer>> running = new ArrayList<>();
      int planned = 0;
      for (int n = 0; planned < MUTATED; n++) {
        StowPlan plan = StowPlan.of(seed, n, bases, MUTATED - planned);
        planned += plan.mutated();
        inFlight.acquire();
        running.add(clients.submit(() -> {
          try {
            return send(plan);
          } finally {
            inFlight.release();
          }
        }));
      }
      List<Answer> answers = new ArrayList<>();
      for (Future<Answer> f : running) answers.add(f.get());
      return answers;
    } finally {
      clients.shutdownNow();
    }
  }

  private static Answer send(StowPlan p) throws InterruptedException {
    byte[] body = p.request().body();
    HttpRequest rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies" + (p.study() == null ? "" : "/" + p.study())))
        .timeout(HANG)
        .header("Content-Type", p.request().contentType())
        .header("Accept", "application/dicom+json")
        .header("Authorization", "Bearer " + token)
        .POST(p.chunked() ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
            : HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    try {
      HttpResponse<String> r = http.send(rq, HttpResponse.BodyHandlers.ofString());
      return Answer.of(p, r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), null);
    } catch (HttpTimeoutException e) {
      return Answer.of(p, -1, "", "", "no answer within " + HANG);
    } catch (IOException e) {
      return Answer.of(p, -1, "", "", "connection ended without an answer: " + e);
    }
  }

  /** What is wrong with one answer; the instances it says were stored go into {@code stored}. */
  private static List<String> check(Answer a, Set<String> stored) throws Exception {
    List<String> wrong = new ArrayList<>();
    String which = "request " + a.number() + " " + a.mutations() + ": ";
    if (a.failure() != null) return List.of(which + a.failure());
    if (a.status() >= 500 && a.status() != 503) wrong.add(which + a.status() + " " + a.body());
    boolean dicomJson = a.status() == 200 || a.status() == 202 || a.status() == 409;
    if (a.status() >= 400 && !dicomJson && !a.contentType().startsWith("application/problem+json")) {
      wrong.add(which + a.status() + " as " + a.contentType() + ", not problem+json");
    }
    Set<String> referenced = new HashSet<>();
    if (dicomJson) {
      for (JsonNode item : JSON.readTree(a.body()).path("00081199").path("Value")) {
        referenced.add(item.path("00081155").path("Value").path(0).asText());
      }
    }
    for (String sop : referenced) {
      if (node.imago.index().instance("demo", sop).isEmpty()) wrong.add(which + "answered stored, not indexed: " + sop);
    }
    stored.addAll(referenced);
    if (a.validSop() != null && !referenced.contains(a.validSop())) {
      wrong.add(which + "the valid file beside the bad ones was not stored: " + a.status() + " " + a.body());
    }
    return wrong;
  }

  /** WADO-RS answers every valid file sent beside bad ones, as it was sent. */
  private static int retrieveValidFiles(List<Answer> answers, StowPlan.Bases bases, List<String> violations) throws Exception {
    int retrieved = 0;
    for (Answer a : answers) {
      if (a.validSop() == null) continue;
      String path = "/dicomweb/studies/" + bases.validStudy() + "/series/" + SyntheticCt.seriesInstanceUid(bases.valid, 1, 1)
          + "/instances/" + a.validSop();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(HANG)
          .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200 || !contains(r.body(), bases.valid(2 * a.number() + 1))) {
        violations.add("request " + a.number() + ": WADO-RS " + r.statusCode() + " for the valid file " + a.validSop());
      } else {
        retrieved++;
      }
    }
    return retrieved;
  }

  /** Every object is an indexed instance's, whole (its size is the indexed one), and no staging file is left. */
  private static void assertObjectsMatchTheIndex(Set<String> stored) throws Exception {
    Map<String, Long> sizes = new HashMap<>();
    node.imago.store().list("", info -> sizes.put(info.key(), info.size()));
    List<String> unindexed = new ArrayList<>();
    for (String key : sizes.keySet()) if (!node.imago.index().referencesObject(key)) unindexed.add(key);
    assertEquals(List.of(), unindexed, "objects no index row points at");
    assertEquals(sizes.size(), node.imago.index().instanceCount(), "objects and index rows, one for one");
    List<String> partial = new ArrayList<>();
    for (String sop : stored) {
      StoredInstance i = node.imago.index().instance("demo", sop).orElseThrow();
      if (!Long.valueOf(i.objectSize()).equals(sizes.get(i.objectKey()))) partial.add(sop + " " + i.objectKey());
    }
    assertEquals(List.of(), partial, "objects whose size is not the indexed one");
    Path staging = ((FsObjectStore) node.imago.store()).root().resolve(FsObjectStore.STAGING);
    Eventually.eventually(Duration.ofSeconds(30), "no staging file left", () -> files(staging), List::isEmpty);
  }

  private static void report(long seed, StowPlan.Bases bases, List<Answer> answers, long ms, int stored, int retrieved) {
    Map<String, Integer> statuses = new TreeMap<>();
    Map<String, Integer> mutations = new TreeMap<>();
    int bodies = 0;
    int files = 0;
    for (Answer a : answers) {
      statuses.merge(a.failure() != null ? "none" : Integer.toString(a.status()), 1, Integer::sum);
      for (String m : a.mutations()) mutations.merge(m, 1, Integer::sum);
      if (a.mutations().stream().anyMatch(m -> m.startsWith("body:"))) bodies++;
      else files += a.mutated();
    }
    System.out.printf("stow-fuzz seed=%d requests=%d mutatedBodies=%d mutatedFiles=%d corpusBases=%d ms=%d%n", seed,
        answers.size(), bodies, files, bases.corpus.size(), ms);
    System.out.printf("stow-fuzz statuses=%s stored=%d validBesideBad=%d retrievedByWado=%d%n", statuses, stored,
        answers.stream().filter(a -> a.validSop() != null).count(), retrieved);
    System.out.println("stow-fuzz mutations " + mutations);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }

  private static List<Path> files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }
}
