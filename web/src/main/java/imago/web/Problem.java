package imago.web;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** RFC 9457 problem details: every HTTP error Imago returns is one of these. */
public record Problem(int status, String type, String title, String detail, JsonObject extensions) {
  public static final String TYPE_BASE = "urn:imago:problem:";

  public static Problem of(int status, String slug, String title, String detail) {
    return new Problem(status, TYPE_BASE + slug, title, detail, null);
  }

  public Problem with(String key, Object value) {
    JsonObject ext = extensions == null ? new JsonObject() : extensions.copy();
    ext.put(key, value);
    return new Problem(status, type, title, detail, ext);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) json.put("detail", detail);
    if (extensions != null) json.mergeIn(extensions);
    return json;
  }

  public ProblemException exception() {
    return new ProblemException(this);
  }

  /**
   * Answers the request with this problem. A request body still unread (paused by
   * {@link Access#authenticate()} until a handler reads it) is resumed first and discarded, so a
   * refusal never leaves the connection stalled.
   */
  public void send(RoutingContext ctx) {
    if (!ctx.request().isEnded()) ctx.request().resume();
    send(ctx.response());
  }

  public void send(HttpServerResponse response) {
    if (response.ended()) return;
    if (!response.headWritten()) {
      response.setStatusCode(status).putHeader("Content-Type", "application/problem+json");
      if (status == 401) response.putHeader("WWW-Authenticate", "Bearer realm=\"imago\"");
    }
    response.end(toJson().encode());
  }
}
