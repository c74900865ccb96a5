package imago.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.tenant.Caller;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The one way a route is written: declared routes are listed with their OpenAPI paths, a family's
 * domain exception becomes its problem wherever it is raised (on the event loop or in blocking
 * work), a role guard refuses before the body is read and still answers, and a bad id is 404.
 */
class RoutesTest {
  /** A domain failure of the family under test. */
  static final class NoSuchWidget extends Exception {
    NoSuchWidget(String which) {
      super(which);
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private Vertx vertx;
  private WebServer server;
  private BearerAuth auth;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    auth = new BearerAuth(vertx, new AuthConfig("test-secret-of-at-least-32-bytes!!", null, "imago", null, "imago"));
    Access access = new Access(auth, null);
    Routes links = new Routes(vertx);
    links.get("/:link").handler(ctx -> ctx.json(new JsonObject().put("id", Params.id(ctx, "link", "link"))));
    Routes widgets = new Routes(vertx)
        .filter(access.authenticate())
        .problem(NoSuchWidget.class, e -> Problem.of(404, "not-found", "No such widget", e.getMessage()));
    widgets.get("").handler(ctx -> ctx.json(new JsonObject().put("widgets", 0)));
    widgets.get("/:id").handler(ctx -> Blocking.respond(ctx, () -> {
      throw new NoSuchWidget("widget " + Params.id(ctx, "id", "widget"));
    }, found -> ctx.end()));
    widgets.post("/:id/paint", Access.requireRole("Role may not paint", "needs role admin", Caller.Role.ADMIN))
        .handler(BodyHandler.create())
        .handler(ctx -> ctx.json(Params.jsonBody(ctx, "POST {\"colour\": ...}")));
    widgets.mount("/parts", links);
    server = new WebServer(vertx, "127.0.0.1", 0, List.of(WebServer.Mount.api("/widgets", widgets)), List.of())
        .start().await();
  }

  @AfterEach
  void stop() {
    server.close();
    vertx.close().await();
  }

  private HttpResponse<String> send(String method, String path, Caller.Role role, String body) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + auth.mint("someone", "demo", role, Duration.ofMinutes(5)))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(rq.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theServerListsEveryDeclaredRouteAsOpenApiWritesIt() {
    assertEquals(List.of("GET /health", "GET /ready", "GET /widgets", "GET /widgets/{id}", "POST /widgets/{id}/paint",
        "GET /widgets/parts/{link}"), server.endpoints().stream().map(Routes.Endpoint::toString).toList());
    assertEquals(new Routes.Endpoint(HttpMethod.GET, "/l/{token}/x"), new Routes.Endpoint(HttpMethod.GET, "/x").under("/l/:token"));
  }

  @Test
  void theMountPointItselfAnswersWithAndWithoutItsSlash() throws Exception {
    HttpResponse<String> r = send("GET", "/widgets", Caller.Role.ADMIN, null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(200, send("GET", "/widgets/", Caller.Role.ADMIN, null).statusCode());
  }

  @Test
  void aDomainExceptionFromBlockingWorkBecomesTheFamilysProblem() throws Exception {
    HttpResponse<String> r = send("GET", "/widgets/7", Caller.Role.ADMIN, null);
    assertEquals(404, r.statusCode());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    JsonObject problem = new JsonObject(r.body());
    assertEquals("No such widget", problem.getString("title"));
    assertEquals("widget 7", problem.getString("detail"));
  }

  @Test
  void aBadIdIs404InEveryFamily() throws Exception {
    HttpResponse<String> widget = send("GET", "/widgets/seven", Caller.Role.ADMIN, null);
    assertEquals(404, widget.statusCode());
    assertEquals("No such widget", new JsonObject(widget.body()).getString("title"));
    assertEquals(200, send("GET", "/widgets/parts/3", Caller.Role.ADMIN, null).statusCode());
    HttpResponse<String> link = send("GET", "/widgets/parts/x", Caller.Role.ADMIN, null);
    assertEquals(404, link.statusCode());
    assertEquals("No such link", new JsonObject(link.body()).getString("title"));
    assertEquals(200, send("GET", "/widgets/parts/3", Caller.Role.ADMIN, null).statusCode());
  }

  @Test
  void aRoleGuardRefusesAPausedBodyAndTheConnectionGoesOn() throws Exception {
    String big = "{\"colour\": \"" + "x".repeat(1 << 20) + "\"}";
    HttpResponse<String> refused = send("POST", "/widgets/7/paint", Caller.Role.RADIOLOGIST, big);
    assertEquals(403, refused.statusCode());
    assertEquals("Role may not paint", new JsonObject(refused.body()).getString("title"));
    // the same client (the same keep-alive connection) is answered next
    HttpResponse<String> painted = send("POST", "/widgets/7/paint", Caller.Role.ADMIN, "{\"colour\": \"red\"}");
    assertEquals(200, painted.statusCode());
    assertEquals("red", new JsonObject(painted.body()).getString("colour"));
    HttpResponse<String> notJson = send("POST", "/widgets/7/paint", Caller.Role.ADMIN, "[1]");
    assertEquals(400, notJson.statusCode());
  }

  @Test
  void aMissingTokenIs401() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/widgets/1/paint"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, r.statusCode());
    assertTrue(r.headers().firstValue("WWW-Authenticate").isPresent());
  }
}
