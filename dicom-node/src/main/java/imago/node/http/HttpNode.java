package imago.node.http;

import imago.node.NodeConfig;
import imago.node.access.Access;
import imago.node.dicomweb.DicomWebService;
import java.util.List;
import imago.storage.index.Index;
import imago.storage.object.ObjectStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP face of the node: one router per resource family, mounted here. */
public final class HttpNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpNode.class);

  private final Vertx vertx;
  private final NodeConfig config;
  private final ObjectStore store;
  private final Index index;
  private final Access access;
  private final List<DicomWebService> dicomWeb;
  private final List<Mount> mounts;
  private HttpServer server;

  /** A router of its own at a path (the viewer at /viewer, the admin API at /admin...). */
  public record Mount(String path, Router router) {}

  public HttpNode(Vertx vertx, NodeConfig config, ObjectStore store, Index index, Access access,
      List<DicomWebService> dicomWeb, List<Mount> mounts) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.index = index;
    this.access = access;
    this.dicomWeb = dicomWeb;
    this.mounts = mounts;
  }

  public Future<HttpNode> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    Router dicomweb = Router.router(vertx);
    dicomweb.route().handler(access.authenticate());
    dicomWeb.forEach(service -> service.mount(dicomweb));
    router.route("/dicomweb/*").subRouter(dicomweb);
    for (Mount m : mounts) router.route(m.path() + "/*").subRouter(m.router());
    router.route().last().handler(ctx -> Problem.of(404, "not-found", "No such resource", ctx.request().path())
        .send(ctx.response()));
    router.route().failureHandler(this::failure);
    return vertx.createHttpServer(new HttpServerOptions().setHost(config.bindAddress()).setPort(config.httpPort())
            .setCompressionSupported(true))
        .requestHandler(router)
        .listen()
        .map(s -> {
          server = s;
          LOG.info("event=http.listening port={}", s.actualPort());
          return this;
        });
  }

  public int port() {
    return server.actualPort();
  }

  /** Ready when both the object store and the index answer. */
  private void ready(RoutingContext ctx) {
    vertx.executeBlocking(() -> {
      boolean s3 = store.reachable();
      boolean sql;
      try {
        index.instanceCount();
        sql = true;
      } catch (Exception e) {
        sql = false;
      }
      return new JsonObject().put("objectStore", s3 ? "up" : "down").put("index", sql ? "up" : "down")
          .put("status", s3 && sql ? "ready" : "not ready");
    }, false).onSuccess(json -> ctx.response().setStatusCode("ready".equals(json.getString("status")) ? 200 : 503)
        .putHeader("Content-Type", "application/json").end(json.encode()))
        .onFailure(ctx::fail);
  }

  private void failure(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof BearerAuth.ProblemException p) {
      p.problem().send(ctx.response());
      return;
    }
    if (e instanceof imago.storage.index.IndexUnavailableException) {
      // Any route's blocking index work: the index is down, not the request wrong (retry later).
      Problem.of(503, "index-unavailable", "Index unavailable", e.getMessage()).send(ctx.response());
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    if (status >= 500) LOG.error("event=http.error path={}", imago.node.links.CapabilityToken.redact(ctx.request().path()), e);
    Problem.of(status, status >= 500 ? "internal" : "bad-request", status >= 500 ? "Internal error" : "Bad request",
        e == null ? null : e.getMessage()).send(ctx.response());
  }

  @Override
  public void close() {
    if (server != null) server.close().await();
  }
}
