package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.web.Routes;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.BodyHandler;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, fuzzing: every REST route Imago serves ({@code Imago#endpoints()}, the list that
 * openapi.json is held to) gets malformed JSON, huge values, wrong types, bad ids and bad query
 * parameters ({@link RestMutator}) with an admin's, a hospital's and a researcher's token. Every
 * answer is a 2xx or a 4xx problem+json; none is a 5xx, none hangs, no form upload is left on
 * disk, and the server answers afterwards. A stored study and a live
 * FSE link give the real ids some requests use. Deterministic: the seed is fixed and printed
 * ({@code -Dimago.fuzz.seed=N} runs another); request (route R, role O, variant V) follows from
 * the seed and those three alone.
 */
class RestFuzzTest {
  static final long SEED = 20_130_003L;
  /** Requests per route and role: more where a body is read. */
  static final int GET_VARIANTS = 12;
  static final int BODY_VARIANTS = 48;
  static final List<Caller.Role> ROLES = List.of(Caller.Role.ADMIN, Caller.Role.HOSPITAL, Caller.Role.RESEARCHER);
  static final int CLIENTS = 4;
  static final Duration HANG = Duration.ofSeconds(30);

  @TempDir static Path tmp;
  static TestImago node;
  static HttpClient http;
  static RestMutator.Known known;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    String hospital = node.token("demo", Caller.Role.HOSPITAL);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(16, 16).withSeed(1303);
    HttpResponse<String> stored = node.stow(hospital, null, List.of(SyntheticCt.instance(spec, 1, 1, 1),
        SyntheticCt.instance(spec, 1, 1, 2)));
    assertEquals(200, stored.statusCode(), stored.body());
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    HttpResponse<String> link = node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", study).put("ttl", "P7D").encode())).build());
    assertEquals(201, link.statusCode(), link.body());
    JsonObject issued = new JsonObject(link.body());
    known = new RestMutator.Known(study, SyntheticCt.seriesInstanceUid(spec, 1, 1), SyntheticCt.sopInstanceUid(spec, 1, 1, 1),
        issued.getString("token"), issued.getLong("id"));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** What came of one request. */
  record Answer(String route, Caller.Role role, int variant, RestMutator.Body body, String target, int status,
      String contentType, String excerpt, String failure, String location) {}

  @Test
  void everyRouteAnswersMalformedHugeAndWronglyTypedInputWithA2xxOrA4xxProblemNeverA5xx() throws Exception {
    long seed = Long.getLong("imago.fuzz.seed", SEED);
    List<Routes.Endpoint> routes = node.imago.endpoints();
    Path uploads = Path.of(BodyHandler.DEFAULT_UPLOADS_DIRECTORY); // where a body handler would leave form uploads
    long uploadsBefore = count(uploads);
    long start = System.nanoTime();
    List<Answer> answers = fuzz(seed, routes);
    long ms = (System.nanoTime() - start) / 1_000_000;
    report(seed, routes, answers, ms);
    List<String> violations = new ArrayList<>();
    for (Answer a : answers) {
      String which = a.route() + " as " + a.role() + " variant " + a.variant() + " (" + a.body() + ", " + a.target() + "): ";
      if (a.failure() != null) violations.add(which + a.failure());
      else if (a.status() >= 500) violations.add(which + a.status() + " " + a.excerpt());
      else if (a.status() >= 400 && !a.contentType().startsWith("application/problem+json")) {
        violations.add(which + a.status() + " as '" + a.contentType() + "', not problem+json");
      } else if (a.status() == 302 && "console/".equals(a.location())) {
        continue; // a path that normalises to / (e.g. /models/..): the home page's redirect to the console
      } else if (a.status() < 200 || a.status() >= 300 && a.status() < 400) {
        violations.add(which + "neither 2xx nor 4xx: " + a.status());
      }
    }
    assertEquals(List.of(), violations.stream().limit(20).toList(), violations.size() + " violations (seed " + seed + ")");
    assertEquals(uploadsBefore, count(uploads), "files left under " + uploads.toAbsolutePath());
    HttpResponse<String> health = node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/health")).build());
    assertEquals(200, health.statusCode(), "the server still answers after the fuzz");
  }

  private static List<Answer> fuzz(long seed, List<Routes.Endpoint> routes) throws Exception {
    Map<Caller.Role, String> tokens = new TreeMap<>();
    for (Caller.Role role : ROLES) tokens.put(role, node.token("demo", role));
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<Answer>> running = new ArrayList<>();
      for (int e = 0; e < routes.size(); e++) {
        for (int o = 0; o < ROLES.size(); o++) {
          Routes.Endpoint route = routes.get(e);
          for (int v = 0; v < variants(route); v++) {
            Caller.Role role = ROLES.get(o);
            Random r = new Random(((seed * 1_000_003L + e) * 31 + o) * 1_000_003L + v);
            int variant = v;
            running.add(clients.submit(() -> send(route, role, variant, tokens.get(role),
                RestMutator.request(route.method().name(), route.path(), known, r))));
          }
        }
      }
      List<Answer> answers = new ArrayList<>();
      for (Future<Answer> f : running) answers.add(f.get());
      return answers;
    } finally {
      clients.shutdownNow();
    }
  }

  private static int variants(Routes.Endpoint route) {
    return route.method().name().equals("GET") ? GET_VARIANTS : BODY_VARIANTS;
  }

  private static Answer send(Routes.Endpoint route, Caller.Role role, int variant, String token, RestMutator.Request rq)
      throws InterruptedException {
    String target = rq.method() + " " + (rq.pathAndQuery().length() > 160 ? rq.pathAndQuery().substring(0, 160) + "..."
        : rq.pathAndQuery());
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + rq.pathAndQuery())).timeout(HANG)
        .header("Authorization", "Bearer " + token)
        .method(rq.method(), rq.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(rq.body()));
    if (rq.contentType() != null) b.header("Content-Type", rq.contentType());
    if (rq.accept() != null) b.header("Accept", rq.accept());
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      String body = new String(r.body(), 0, Math.min(300, r.body().length), java.nio.charset.StandardCharsets.UTF_8);
      return new Answer(route.toString(), role, variant, rq.kind(), target, r.statusCode(),
          r.headers().firstValue("Content-Type").orElse(""), body, null, r.headers().firstValue("Location").orElse(""));
    } catch (HttpTimeoutException e) {
      return new Answer(route.toString(), role, variant, rq.kind(), target, -1, "", "", "no answer within " + HANG, "");
    } catch (IOException e) {
      return new Answer(route.toString(), role, variant, rq.kind(), target, -1, "", "", "no answer: " + e, "");
    }
  }

  private static long count(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  private static void report(long seed, List<Routes.Endpoint> routes, List<Answer> answers, long ms) {
    Map<String, Integer> statuses = new TreeMap<>();
    Map<RestMutator.Body, Integer> bodies = new TreeMap<>();
    for (Answer a : answers) {
      statuses.merge(a.failure() != null ? "none" : Integer.toString(a.status()), 1, Integer::sum);
      bodies.merge(a.body(), 1, Integer::sum);
    }
    System.out.printf("rest-fuzz seed=%d routes=%d roles=%s variants=%d/%d requests=%d ms=%d%n", seed, routes.size(), ROLES,
        GET_VARIANTS, BODY_VARIANTS, answers.size(), ms);
    System.out.println("rest-fuzz statuses=" + statuses);
    System.out.println("rest-fuzz bodies=" + bodies);
  }
}
