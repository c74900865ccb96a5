package imago.node.admin;

import imago.core.dicom.Uids;
import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.Share;
import imago.web.Access;
import imago.web.Problem;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * {@code /admin}: the audit of a study (who saw it, when, how, from where) and study shares, for
 * the hospital that owns the study (roles hospital and admin of its tenant).
 */
public final class AdminRouter {
  /** The longest a share may last without renewal. */
  private static final Duration MAX_SHARE = Duration.ofDays(365);

  private final Vertx vertx;
  private final Index index;
  private final Access access;

  public AdminRouter(Vertx vertx, Index index, Access access) {
    this.vertx = vertx;
    this.index = index;
    this.access = access;
  }

  public Router router() {
    Router r = Router.router(vertx);
    r.route().handler(access.authenticate());
    r.route().handler(this::ownerRolesOnly);
    r.get("/audit").handler(this::audit);
    r.post("/shares").handler(BodyHandler.create().setBodyLimit(16 * 1024)).handler(this::share);
    r.delete("/shares/:id").handler(this::revoke);
    return r;
  }

  private void ownerRolesOnly(RoutingContext ctx) {
    Caller.Role role = Access.caller(ctx).role();
    if (role == Caller.Role.ADMIN || role == Caller.Role.HOSPITAL) {
      ctx.next();
    } else {
      Problem.of(403, "forbidden", "Role may not administer", "needs role hospital or admin").send(ctx.response());
    }
  }

  /** GET /admin/audit?studyUID=: every recorded access to one of the caller tenant's studies. */
  private void audit(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.request().getParam("studyUID");
    if (study == null || !Uids.isValid(study)) {
      Problem.of(400, "bad-request", "studyUID required", "GET /admin/audit?studyUID=<Study Instance UID>").send(ctx.response());
      return;
    }
    vertx.executeBlocking(() -> {
      if (index.instances(Scope.tenant(caller.tenantId()), study, null, null).isEmpty()) return null;
      return index.auditOfStudy(study);
    }, false).onSuccess(events -> {
      if (events == null) {
        Problem.of(404, "not-found", "No such study", "no study " + study + " in tenant " + caller.tenantId()).send(ctx.response());
        return;
      }
      JsonArray out = new JsonArray();
      for (AuditEvent e : events) {
        out.add(new JsonObject().put("at", e.at().toString()).put("subject", e.subject()).put("tenant", e.tenantId())
            .put("role", e.role()).put("action", e.action()).put("via", e.via()).put("studyUID", e.studyUid())
            .put("seriesUID", e.seriesUid()).put("sopInstanceUID", e.sopUid()).put("remote", e.remote()));
      }
      ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
    }).onFailure(ctx::fail);
  }

  /** POST /admin/shares {studyUID, grantee, expiresAt | ttl}: share a study with a person. */
  private void share(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body;
    Instant expires;
    try {
      body = ctx.body().asJsonObject();
      if (body == null) throw new IllegalArgumentException("a JSON body is required");
      expires = body.containsKey("expiresAt") ? Instant.parse(body.getString("expiresAt"))
          : Instant.now().plus(Duration.parse(body.getString("ttl", "P30D")));
      if (!Uids.isValid(body.getString("studyUID"))) throw new IllegalArgumentException("studyUID is not a UID");
      if (body.getString("grantee", "").isBlank()) throw new IllegalArgumentException("grantee is required");
      if (!expires.isAfter(Instant.now())) throw new IllegalArgumentException("expiry is in the past");
      if (expires.isAfter(Instant.now().plus(MAX_SHARE))) throw new IllegalArgumentException("shares last at most 365 days");
    } catch (RuntimeException e) {
      String why = e instanceof DateTimeParseException ? "expiresAt/ttl: " + e.getMessage() : e.getMessage();
      Problem.of(400, "bad-request", "Invalid share", why).send(ctx.response());
      return;
    }
    String study = body.getString("studyUID");
    String grantee = body.getString("grantee");
    vertx.executeBlocking(() -> index.share(caller.tenantId(), study, grantee, caller.subject(), expires), false)
        .onSuccess(share -> {
          if (share.isEmpty()) {
            Problem.of(404, "not-found", "No such study", "no study " + study + " in tenant " + caller.tenantId()).send(ctx.response());
            return;
          }
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(json(share.get()).encode());
        }).onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      Problem.of(400, "bad-request", "Invalid share id", ctx.pathParam("id")).send(ctx.response());
      return;
    }
    vertx.executeBlocking(() -> index.revokeShare(caller.tenantId(), id), false).onSuccess(done -> {
      if (done) {
        ctx.response().setStatusCode(204).end();
      } else {
        Problem.of(404, "not-found", "No such share", "share " + id).send(ctx.response());
      }
    }).onFailure(ctx::fail);
  }

  private static JsonObject json(Share s) {
    return new JsonObject().put("id", s.id()).put("studyUID", s.studyUid()).put("grantee", s.grantee())
        .put("grantedBy", s.grantedBy()).put("createdAt", s.createdAt().toString()).put("expiresAt", s.expiresAt().toString());
  }

}
