package imago.node.admin;

import imago.core.dicom.Uids;
import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.Share;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Params;
import imago.web.Problem;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.stream.Stream;

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
  private final Clock clock;

  public AdminRouter(Vertx vertx, Index index, Access access, Clock clock) {
    this.vertx = vertx;
    this.index = index;
    this.access = access;
    this.clock = clock;
  }

  /** Mounted at {@code /admin}. */
  public Routes routes() {
    Routes r = new Routes(vertx)
        .filter(access.authenticate())
        .filter(Access.requireRole("Role may not administer", "needs role hospital or admin", Caller.Role.ADMIN,
            Caller.Role.HOSPITAL));
    r.get("/audit").handler(this::audit);
    r.get("/shares").handler(this::shares);
    r.post("/shares").handler(BodyHandler.create(false).setBodyLimit(16 * 1024)).handler(this::share);
    r.delete("/shares/:id").handler(this::revoke);
    return r;
  }

  /**
   * {@code GET /admin/audit?since=&until=&subject=&action=&studyUID=&limit=}: who saw what of the
   * hospital's studies, newest first (limit 1..1000, default 100), itself recorded as an audit read.
   */
  private void search(RoutingContext ctx, Caller caller, String study) {
    Instant since = instant(ctx, "since");
    // a date-only "until" is the last day included: up to the start of the next one
    Instant untilGiven = instant(ctx, "until");
    Instant until = untilGiven != null && ctx.queryParams().get("until").trim().length() == 10
        ? untilGiven.plus(Duration.ofDays(1)) : untilGiven;
    String subject = blankToNull(ctx.queryParams().get("subject"));
    String action = blankToNull(ctx.queryParams().get("action"));
    int limit;
    try {
      limit = ctx.queryParams().get("limit") == null ? 100 : Integer.parseInt(ctx.queryParams().get("limit"));
    } catch (NumberFormatException e) {
      throw Problem.of(400, "bad-request", "limit is not a number", ctx.queryParams().get("limit")).exception();
    }
    if (limit < 1 || limit > 1000) throw Problem.of(400, "bad-request", "limit out of range", "limit is 1..1000").exception();
    int max = limit;
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      List<AuditEvent> events = index.auditSearch(caller.tenantId(), since, until, subject, action, blankToNull(study), max);
      access.record(caller, "audit.read", Access.Via.ADMIN, remote, List.of(new Access.Item(blankToNull(study), null, null)));
      return events;
    }, events -> ctx.response().putHeader("Content-Type", "application/json").end(json(events).encode()));
  }

  private static Instant instant(RoutingContext ctx, String name) {
    String v = blankToNull(ctx.queryParams().get(name));
    if (v == null) return null;
    try {
      return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant()
          : Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw Problem.of(400, "bad-request", name + " is not a date", name + " is YYYY-MM-DD or an ISO instant, not " + v)
          .exception();
    }
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  /** GET /admin/audit?studyUID=: every recorded access to one of the caller tenant's studies, oldest first. */
  private void audit(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.queryParams().get("studyUID");
    boolean filtered = Stream.of("since", "until", "subject", "action", "limit")
        .anyMatch(p -> ctx.queryParams().contains(p));
    if (study == null || filtered) {
      search(ctx, caller, study);
      return;
    }
    if (!Uids.isValid(study)) throw Problem.of(400, "bad-request", "studyUID is not a UID", study).exception();
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      if (index.instances(Scope.tenant(caller.tenantId()), study, null, null).isEmpty()) throw noSuchStudy(caller, study);
      List<AuditEvent> events = index.auditOfStudy(caller.tenantId(), study);
      // Reading who saw a study is itself an access to record (after the listing: it is not in its own answer).
      access.record(caller, "audit.read", Access.Via.ADMIN, remote, List.of(new Access.Item(study, null, null)));
      return events;
    }, events -> ctx.response().putHeader("Content-Type", "application/json").end(json(events).encode()));
  }

  /** POST /admin/shares {studyUID, grantee, issuer?, expiresAt | ttl}: share a study with a person. */
  private void share(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = Params.jsonBody(ctx, "POST /admin/shares {\"studyUID\": ..., \"grantee\": ..., \"ttl\": \"P30D\"}");
    Instant now = clock.instant();
    Instant expires;
    String grantee;
    try {
      // The same subject from another issuer is another person: a share names both (issuer: default Imago's own).
      grantee = access.principal(body.getString("issuer"), body.getString("grantee"));
      expires = body.containsKey("expiresAt") ? Instant.parse(body.getString("expiresAt"))
          : now.plus(Duration.parse(body.getString("ttl", "P30D")));
      if (!Uids.isValid(body.getString("studyUID"))) throw new IllegalArgumentException("studyUID is not a UID");
      if (body.getString("grantee", "").isBlank()) throw new IllegalArgumentException("grantee is required");
      if (!expires.isAfter(now)) throw new IllegalArgumentException("expiry is in the past");
      if (expires.isAfter(now.plus(MAX_SHARE))) throw new IllegalArgumentException("shares last at most 365 days");
    } catch (RuntimeException e) {
      String why = e instanceof DateTimeParseException ? "expiresAt/ttl: " + e.getMessage() : e.getMessage();
      throw Problem.of(400, "bad-request", "Invalid share", why).exception();
    }
    String study = body.getString("studyUID");
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      Share share = index.share(caller.tenantId(), study, grantee, caller.subject(), expires).orElseThrow(() -> noSuchStudy(caller, study));
      access.record(caller, "share.grant", Access.Via.ADMIN, remote, List.of(new Access.Item(study, null, null)));
      return share;
    }, share -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(json(share).encode()));
  }

  /** {@code GET /admin/shares[?studyUID=]}: the hospital's newest 200 shares (ended ones too), or one study's. */
  private void shares(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = blankToNull(ctx.queryParams().get("studyUID"));
    Blocking.respond(ctx, () -> index.shares(caller.tenantId(), study, 200), found -> {
      JsonArray out = new JsonArray();
      for (Share s : found) out.add(json(s));
      ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
    });
  }

  private void revoke(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "share");
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      String study = index.revokeShare(caller.tenantId(), id).orElseThrow(() -> Params.notFound("share", "share " + id));
      access.record(caller, "share.revoke", Access.Via.ADMIN, remote, List.of(new Access.Item(study, null, null)));
      return study;
    }, study -> ctx.response().setStatusCode(204).end());
  }


  private static RuntimeException noSuchStudy(Caller caller, String study) {
    return Params.notFound("study", "no study " + study + " in tenant " + caller.tenantId());
  }

  private static JsonArray json(List<AuditEvent> events) {
    JsonArray out = new JsonArray();
    for (AuditEvent e : events) {
      out.add(new JsonObject().put("at", e.at().toString()).put("subject", e.subject()).put("tenant", e.tenantId())
          .put("role", e.role()).put("action", e.action()).put("via", e.via()).put("studyUID", e.studyUid())
          .put("seriesUID", e.seriesUid()).put("sopInstanceUID", e.sopUid()).put("remote", e.remote()));
    }
    return out;
  }

  private static JsonObject json(Share s) {
    return new JsonObject().put("id", s.id()).put("studyUID", s.studyUid()).put("grantee", s.grantee())
        .put("grantedBy", s.grantedBy()).put("createdAt", s.createdAt().toString()).put("expiresAt", s.expiresAt().toString());
  }
}
