package imago.web;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** What a route reads from its request, with the problem each kind of bad input is. */
public final class Params {
  private Params() {}

  /**
   * A numeric id from the path. Anything else names no resource: 404, as an id that does not
   * exist (one answer for both, whichever family).
   */
  public static long id(RoutingContext ctx, String name, String what) {
    String raw = ctx.pathParam(name);
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw notFound(what, raw);
    }
  }

  /** A required query parameter; missing or blank is 400 with how the request is written. */
  public static String required(RoutingContext ctx, String name, String usage) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isBlank()) {
      throw Problem.of(400, "bad-request", name + " is required", usage).exception();
    }
    return value;
  }

  /** The request's body as a JSON object (behind a BodyHandler); anything else is 400. */
  public static JsonObject jsonBody(RoutingContext ctx, String usage) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw Problem.of(400, "bad-request", "JSON object body expected", usage + " (" + e.getMessage() + ")").exception();
    }
    if (body == null) throw Problem.of(400, "bad-request", "JSON object body expected", usage).exception();
    return body;
  }

  /** The same where a body is optional: no body is an empty object. */
  public static JsonObject optionalJsonBody(RoutingContext ctx, String usage) {
    JsonObject body;
    try {
      body = ctx.body() == null ? null : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw Problem.of(400, "bad-request", "JSON object body expected", usage + " (" + e.getMessage() + ")").exception();
    }
    return body == null ? new JsonObject() : body;
  }

  /** A string member of a JSON body: null when absent or null, 400 when it is another type. */
  public static String string(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof String) return (String) v;
    throw Problem.of(400, "bad-request", key + " must be a string", key + " is " + typeName(v)).exception();
  }

  /** A JSON object member: empty when absent or null, 400 when it is another type. */
  public static JsonObject object(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) return new JsonObject();
    if (v instanceof JsonObject o) return o;
    throw Problem.of(400, "bad-request", key + " must be an object", key + " is " + typeName(v)).exception();
  }

  /** A JSON array member: null when absent or null, 400 when it is another type. */
  public static io.vertx.core.json.JsonArray array(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof io.vertx.core.json.JsonArray) return (io.vertx.core.json.JsonArray) v;
    throw Problem.of(400, "bad-request", key + " must be an array", key + " is " + typeName(v)).exception();
  }

  private static String typeName(Object v) {
    return v instanceof Number ? "a number" : v instanceof Boolean ? "a boolean" : v instanceof JsonObject ? "an object"
        : v instanceof io.vertx.core.json.JsonArray ? "an array" : "a string";
  }

  public static ProblemException notFound(String what, String which) {
    return Problem.of(404, "not-found", "No such " + what, which).exception();
  }
}
