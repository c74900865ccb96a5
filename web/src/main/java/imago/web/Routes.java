package imago.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One resource family's routes, written one way: filters that run before every route
 * (authentication, role guards), routes declared by method and path (each one recorded, so the
 * server can list what it serves and a test can hold it against openapi.json), and the problem each
 * of the family's domain exceptions becomes. Handlers throw {@link ProblemException} (or let a
 * domain exception through) instead of answering errors themselves; {@link WebServer} sends them.
 */
public final class Routes {
  private static final Pattern PARAMETER = Pattern.compile(":(\\w+)");

  /** A route as OpenAPI writes it: {@code GET /jobs/{id}}, relative to where the family is mounted. */
  public record Endpoint(HttpMethod method, String path) {
    public Endpoint under(String prefix) {
      return new Endpoint(method, template(prefix) + path);
    }

    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private final Router router;
  private final List<Endpoint> endpoints = new ArrayList<>();

  public Routes(Vertx vertx) {
    this.router = Router.router(vertx);
  }

  /**
   * Runs before every route of the family declared after it (a route declared before a filter,
   * like the public {@code /models/schema}, skips it: declare filters first otherwise).
   */
  public Routes filter(Handler<RoutingContext> handler) {
    router.route().handler(handler);
    return this;
  }

  /**
   * {@code path} is relative to the mount point, {@code :name} for a path parameter, "" for the mount
   * point itself. {@code guards} (role checks) run first, before any body is read: a handler that
   * reads the body cannot share a route with one that runs before it.
   */
  @SafeVarargs
  public final Route get(String path, Handler<RoutingContext>... guards) {
    return declare(HttpMethod.GET, path, guards);
  }

  @SafeVarargs
  public final Route post(String path, Handler<RoutingContext>... guards) {
    return declare(HttpMethod.POST, path, guards);
  }

  @SafeVarargs
  public final Route put(String path, Handler<RoutingContext>... guards) {
    return declare(HttpMethod.PUT, path, guards);
  }

  @SafeVarargs
  public final Route delete(String path, Handler<RoutingContext>... guards) {
    return declare(HttpMethod.DELETE, path, guards);
  }

  /** Another family's routes under {@code path} (the DICOMweb services under an FSE link). */
  public Routes mount(String path, Routes family) {
    router.route(path + "/*").subRouter(family.router);
    for (Endpoint e : family.endpoints) endpoints.add(e.under(path));
    return this;
  }

  /**
   * The problem a domain exception of this family becomes, wherever in its routes it is thrown or
   * a blocking task failed with it.
   */
  public <E extends Throwable> Routes problem(Class<E> type, Function<? super E, Problem> toProblem) {
    router.route().failureHandler(ctx -> {
      if (type.isInstance(ctx.failure())) {
        toProblem.apply(type.cast(ctx.failure())).send(ctx);
      } else {
        ctx.next();
      }
    });
    return this;
  }

  public Router router() {
    return router;
  }

  public List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  private Route declare(HttpMethod method, String path, Handler<RoutingContext>[] guards) {
    if (!path.isEmpty() && !path.startsWith("/")) throw new IllegalArgumentException("route path must start with /: " + path);
    endpoints.add(new Endpoint(method, template(path)));
    for (Handler<RoutingContext> guard : guards) route(method, path).handler(guard);
    return route(method, path);
  }

  private Route route(HttpMethod method, String path) {
    // "" is the mount point itself, with or without its trailing slash (/models and /models/)
    return path.isEmpty() ? router.routeWithRegex(method, "/?") : router.route(method, path);
  }

  /** {@code /jobs/:id} as {@code /jobs/{id}}. */
  static String template(String path) {
    Matcher m = PARAMETER.matcher(path);
    return m.replaceAll("{$1}");
  }
}
