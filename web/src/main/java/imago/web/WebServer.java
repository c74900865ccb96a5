package imago.web;

import imago.storage.index.SqlUnavailableException;
import imago.web.tls.Bcp195;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imago's one HTTP server: {@code /health}, {@code /ready}, one router per resource family mounted
 * at its path, and problem+json for whatever no route answers and for every failure. A route's
 * {@link ProblemException} is sent as it is; an {@link SqlUnavailableException} or an unavailable
 * object store from any route's blocking work is a 503 (a dependency is down, not the request wrong).
 */
public final class WebServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);

  /**
   * A router of its own at a path (DICOMweb at /dicomweb, the viewer at /viewer...), and the REST
   * endpoints it serves (none for pages: the viewer, the API docs).
   */
  public record Mount(String path, Router router, List<Routes.Endpoint> endpoints) {
    public Mount {
      endpoints = List.copyOf(endpoints);
    }

    /** A REST family. */
    public static Mount api(String path, Routes routes) {
      return new Mount(path, routes.router(), routes.endpoints().stream().map(e -> e.under(path)).toList());
    }

    /** Web pages and their files: served, but not part of the REST API. */
    public static Mount pages(String path, Router router) {
      return new Mount(path, router, List.of());
    }
  }

  /** One dependency {@code /ready} asks about: up when {@code check} returns true without throwing. */
  public record Readiness(String name, Callable<Boolean> check) {}

  /**
   * One address and port the server listens on: plain HTTP, or HTTPS presenting {@code tls}'s
   * certificate (BCP 195: TLS 1.2 and 1.3, forward-secret AEAD suites only).
   */
  public record Listener(String host, int port, X509KeyManager tls) {
    public static Listener plain(String host, int port) {
      return new Listener(host, port, null);
    }

    public static Listener https(String host, int port, X509KeyManager tls) {
      return new Listener(host, port, java.util.Objects.requireNonNull(tls, "tls"));
    }

    boolean secure() {
      return tls != null;
    }
  }

  private final Vertx vertx;
  private final List<Listener> listeners;
  private final List<Mount> mounts;
  private final List<Readiness> readiness;
  private final List<HttpServer> servers = new java.util.ArrayList<>();

  /**
   * What one connection may hold: a connection that sends and receives nothing for
   * {@code idleTimeout} is closed (a slot held open by an idle or vanished client), a request line
   * longer than {@code maxRequestLine} is 414, headers larger than {@code maxHeaderBytes} 431.
   */
  public record Limits(Duration idleTimeout, int maxRequestLine, int maxHeaderBytes) {
    public static final Limits DEFAULT = new Limits(Duration.ofMinutes(2), 8192, 16 * 1024);
  }

  private final Limits limits;
  /** What GET / redirects to, relative; null: / is a 404. */
  private String home;

  public WebServer(Vertx vertx, String bindAddress, int port, List<Mount> mounts, List<Readiness> readiness) {
    this(vertx, bindAddress, port, mounts, readiness, Limits.DEFAULT);
  }

  public WebServer(Vertx vertx, String bindAddress, int port, List<Mount> mounts, List<Readiness> readiness, Limits limits) {
    this(vertx, List.of(Listener.plain(bindAddress, port)), mounts, readiness, limits);
  }

  /** The same routes on every listener (plain HTTP on loopback, HTTPS outward, by default). */
  public WebServer(Vertx vertx, List<Listener> listeners, List<Mount> mounts, List<Readiness> readiness, Limits limits) {
    if (listeners.isEmpty()) throw new IllegalArgumentException("an HTTP server needs a listener");
    this.limits = limits;
    this.vertx = vertx;
    this.listeners = List.copyOf(listeners);
    this.mounts = List.copyOf(mounts);
    this.readiness = List.copyOf(readiness);
  }

  /**
   * What {@code GET /} opens: a redirect to {@code path} (relative, e.g. {@code console/}, so that
   * it holds behind a reverse proxy's prefix too). Without it, {@code /} is a 404 like any unknown path.
   */
  public WebServer home(String path) {
    if (path.startsWith("/") || path.contains("//") || path.contains(":")) {
      throw new IllegalArgumentException("home must be a relative path inside this server, e.g. console/");
    }
    this.home = path;
    return this;
  }

  public Future<WebServer> start() {
    Router router = Router.router(vertx);
    if (home != null) {
      router.route("/").method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD)
          .handler(ctx -> ctx.response().setStatusCode(302).putHeader("Location", home).putHeader("Cache-Control", "no-cache")
              .end());
      if (home.endsWith("/") && home.length() > 1) {
        // the home page's address without its slash, whose relative links would resolve one level up
        router.route("/" + home.substring(0, home.length() - 1)).method(io.vertx.core.http.HttpMethod.GET)
            .method(io.vertx.core.http.HttpMethod.HEAD)
            .handler(ctx -> {
              if (ctx.request().path().endsWith("/")) {
                ctx.next(); // Vert.x matches a path with its trailing slash too: that one is the page's
              } else {
                ctx.response().setStatusCode(301).putHeader("Location", home).end();
              }
            });
      }
    }
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    for (Mount m : mounts) router.route(m.path() + "/*").subRouter(m.router());
    router.route().last().handler(ctx -> Problem.of(404, "not-found", "No such resource", ctx.request().path()).send(ctx));
    router.route().failureHandler(Failures::answer);
    Future<Void> all = Future.succeededFuture();
    for (Listener l : listeners) {
      all = all.compose(v -> vertx.createHttpServer(options(l)).requestHandler(router)
          .invalidRequestHandler(WebServer::invalid).listen().map(s -> {
            servers.add(s);
            LOG.info("event=http.listening scheme={} host={} port={}", l.secure() ? "https" : "http", l.host(), s.actualPort());
            return null;
          }));
    }
    return all.map(v -> this);
  }

  private HttpServerOptions options(Listener l) {
    HttpServerOptions options = new HttpServerOptions().setHost(l.host()).setPort(l.port()).setCompressionSupported(true)
        .setIdleTimeout((int) Math.max(1, limits.idleTimeout().toSeconds())).setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxInitialLineLength(limits.maxRequestLine()).setMaxHeaderSize(limits.maxHeaderBytes());
    options.getInitialSettings().setMaxHeaderListSize(limits.maxHeaderBytes()); // the same over HTTP/2
    if (l.secure()) {
      options.setSsl(true).setUseAlpn(true).setKeyCertOptions(KeyCertOptions.wrap(l.tls()))
          .setEnabledSecureTransportProtocols(Bcp195.PROTOCOLS);
      Bcp195.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    }
    return options;
  }

  /**
   * A request the HTTP codec could not take (request line or headers over the limits, bad syntax):
   * the statuses Vert.x would send, as problem+json like every other error, then the connection closed.
   */
  private static void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    Problem problem = cause instanceof TooLongHttpLineException
        ? Problem.of(414, "uri-too-long", "Request line too long", "the request line (method, path and query) is over the limit")
        : cause instanceof TooLongHttpHeaderException
            ? Problem.of(431, "headers-too-large", "Request headers too large", "the request's headers are over the limit")
            : Problem.of(400, "bad-request", "Malformed HTTP request", null);
    // said in the answer too, so that a client does not send its next request on this connection
    problem.send(request.response().putHeader("Connection", "close"));
    request.connection().close();
  }

  /** Every REST endpoint this server answers, with its full path ({@code GET /inference/jobs/{id}}). */
  public List<Routes.Endpoint> endpoints() {
    List<Routes.Endpoint> all = new java.util.ArrayList<>(List.of(new Routes.Endpoint(HttpMethod.GET, "/health"),
        new Routes.Endpoint(HttpMethod.GET, "/ready")));
    for (Mount m : mounts) all.addAll(m.endpoints());
    return all;
  }

  /** The port of the first plain HTTP listener, else of the first listener. */
  public int port() {
    return portOf(false).orElseGet(() -> servers.get(0).actualPort());
  }

  /** The port of the first HTTPS listener, if there is one. */
  public java.util.OptionalInt httpsPort() {
    return portOf(true);
  }

  private java.util.OptionalInt portOf(boolean secure) {
    for (int i = 0; i < servers.size(); i++) {
      if (listeners.get(i).secure() == secure) return java.util.OptionalInt.of(servers.get(i).actualPort());
    }
    return java.util.OptionalInt.empty();
  }

  /** 200 when every dependency answers, 503 otherwise; each one's state is in the body. */
  private void ready(RoutingContext ctx) {
    Blocking.run(vertx, () -> {
      JsonObject json = new JsonObject();
      boolean all = true;
      for (Readiness r : readiness) {
        boolean up;
        try {
          up = Boolean.TRUE.equals(r.check().call());
        } catch (Exception e) {
          up = false;
        }
        json.put(r.name(), up ? "up" : "down");
        all &= up;
      }
      return json.put("status", all ? "ready" : "not ready");
    }).onSuccess(json -> ctx.response().setStatusCode("ready".equals(json.getString("status")) ? 200 : 503)
        .putHeader("Content-Type", "application/json").end(json.encode()))
        .onFailure(ctx::fail);
  }

  @Override
  public void close() {
    for (HttpServer s : servers) s.close().await();
  }
}
