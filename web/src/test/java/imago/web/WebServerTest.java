package imago.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.index.SqlUnavailableException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP server on its own: health, readiness, mounts, and problem+json for everything that goes wrong. */
class WebServerTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicBoolean indexUp = new AtomicBoolean(true);
  private Vertx vertx;
  private WebServer server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Router things = Router.router(vertx);
    things.get("/ok").handler(ctx -> ctx.json(new JsonObject().put("thing", "ok")));
    things.get("/refused").handler(ctx -> ctx.fail(new ProblemException(Problem.of(403, "forbidden", "Not yours", "no"))));
    things.get("/index-down").handler(ctx -> ctx.fail(new SqlUnavailableException("index lookup failed: gone", null)));
    things.get("/broken").handler(ctx -> {
      throw new IllegalStateException("bug");
    });
    server = new WebServer(vertx, "127.0.0.1", 0, List.of(WebServer.Mount.pages("/things", things)),
        List.of(new WebServer.Readiness("objectStore", () -> true), new WebServer.Readiness("index", () -> {
          if (!indexUp.get()) throw new IllegalStateException("down");
          return true;
        }))).start().await();
  }

  @AfterEach
  void stop() {
    server.close();
    vertx.close().await();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAndReadinessReportEachDependency() throws Exception {
    assertEquals(200, get("/health").statusCode());
    HttpResponse<String> ready = get("/ready");
    assertEquals(200, ready.statusCode());
    assertEquals(new JsonObject().put("objectStore", "up").put("index", "up").put("status", "ready"),
        new JsonObject(ready.body()));
    indexUp.set(false);
    HttpResponse<String> notReady = get("/ready");
    assertEquals(503, notReady.statusCode());
    assertEquals("down", new JsonObject(notReady.body()).getString("index"));
  }

  @Test
  void mountedRoutersAnswerAndEverythingElseIsAProblem() throws Exception {
    assertEquals("ok", new JsonObject(get("/things/ok").body()).getString("thing"));
    HttpResponse<String> missing = get("/nothing/here");
    assertEquals(404, missing.statusCode());
    assertEquals("application/problem+json", missing.headers().firstValue("Content-Type").orElse(""));
    assertEquals(Problem.TYPE_BASE + "not-found", new JsonObject(missing.body()).getString("type"));
  }

  @Test
  void failuresBecomeTheirProblems() throws Exception {
    HttpResponse<String> refused = get("/things/refused");
    assertEquals(403, refused.statusCode());
    assertEquals("Not yours", new JsonObject(refused.body()).getString("title"));
    HttpResponse<String> indexDown = get("/things/index-down");
    assertEquals(503, indexDown.statusCode());
    assertEquals(Problem.TYPE_BASE + "index-unavailable", new JsonObject(indexDown.body()).getString("type"));
    HttpResponse<String> broken = get("/things/broken");
    assertEquals(500, broken.statusCode());
    assertTrue(broken.body().contains("\"status\":500"), broken.body());
    // Security: what failed inside stays in the log; the client learns the kind of failure only.
    assertFalse(indexDown.body().contains("gone"), indexDown.body());
    assertFalse(broken.body().contains("bug"), broken.body());
  }

  /**
   * A request the HTTP codec refuses before any route sees it (request line or headers too long)
   * is answered problem+json like every other error, and says that the connection closes. Found
   * by the REST fuzz (RestFuzzTest).
   */
  @Test
  void requestsTheCodecRefusesAreProblemsToo() throws Exception {
    WebServer small = new WebServer(vertx, "127.0.0.1", 0, List.of(), List.of(),
        new WebServer.Limits(java.time.Duration.ofMinutes(1), 512, 1024)).start().await();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try {
      HttpResponse<String> line = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port()
          + "/health?x=" + "a".repeat(1000))).build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> headers = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/health"))
          .header("X-Big", "b".repeat(2000)).build(), HttpResponse.BodyHandlers.ofString());
      for (HttpResponse<String> r : List.of(line, headers)) {
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), r.statusCode() + "");
        assertEquals(r.statusCode(), new JsonObject(r.body()).getInteger("status"), r.body());
        assertEquals("close", r.headers().firstValue("Connection").orElse(""), "the connection is not reused");
      }
      assertEquals(414, line.statusCode());
      assertEquals(431, headers.statusCode());
    } finally {
      small.close();
    }
  }

  /** Security: an idle connection does not hold a slot for ever, and an oversized request line or header is refused. */
  @Test
  void idleConnectionsAreClosedAndOversizedRequestsRefused() throws Exception {
    WebServer small = new WebServer(vertx, "127.0.0.1", 0, List.of(), List.of(),
        new WebServer.Limits(java.time.Duration.ofSeconds(1), 512, 1024)).start().await();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (java.net.Socket idle = new java.net.Socket("127.0.0.1", small.port())) {
      idle.setSoTimeout(30_000);
      assertEquals(-1, idle.getInputStream().read(), "the server closes a connection that says nothing");
      assertEquals(414, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/health?x="
          + "a".repeat(1000))).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(431, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/health"))
          .header("X-Big", "b".repeat(2000)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(200, get("/health").statusCode());
    } finally {
      small.close();
    }
  }
}
