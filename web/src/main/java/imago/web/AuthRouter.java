package imago.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;

/**
 * {@code POST /auth/refresh}: a fresh short-lived token for the caller's session, so the viewer can
 * stay open without a long-lived token in the browser. The session itself ends {@code auth.maxSession}
 * after its first token, and revoking that token revokes every one refreshed from it.
 */
public final class AuthRouter {
  private final Vertx vertx;
  private final Access access;
  private final BearerAuth auth;
  private final Clock clock;

  public AuthRouter(Vertx vertx, Access access, BearerAuth auth, Clock clock) {
    this.vertx = vertx;
    this.access = access;
    this.auth = auth;
    this.clock = clock;
  }

  public Routes routes() {
    Routes r = new Routes(vertx);
    r.filter(access.authenticate());
    r.post("/refresh").handler(ctx -> {
      ctx.request().resume(); // no body is read
      String token = auth.refresh(Access.token(ctx), clock.instant());
      ctx.response().putHeader("Cache-Control", "no-store");
      ctx.json(new JsonObject().put("token", token));
    });
    return r;
  }
}
