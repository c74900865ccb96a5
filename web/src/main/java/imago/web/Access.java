package imago.web;

import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.ingest.WriteAudit;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who the caller is, what they may see, and the record that they saw it. Every DICOMweb route
 * runs behind {@link #authenticate()}; every study/series/instance answered is written to the
 * audit with {@link #record} before the answer leaves (Garante 2015: patients may learn who
 * accessed their data).
 */
public final class Access {
  private static final String CALLER = "imago.caller";
  private static final String TOKEN = "imago.token";

  /** How data left Imago, as the audit names it. */
  public enum Via { QIDO_RS, WADO_RS, WADO_URI, C_FIND, C_MOVE, C_GET, FSE_LINK, ADMIN, INFERENCE, STOW_RS, C_STORE, RESEARCH }

  /**
   * One study/series/instance that was answered. Null UIDs stand for "the whole level above".
   * {@code ownerTenantId}: whose copy it was (null: the caller's own tenant's).
   */
  public record Item(String studyUid, String seriesUid, String sopInstanceUid, String ownerTenantId) {
    public Item(String studyUid, String seriesUid, String sopInstanceUid) {
      this(studyUid, seriesUid, sopInstanceUid, null);
    }
  }

  private static final String REMOTE = "imago.remote";

  private final BearerAuth auth;
  private final Index index;
  private final ClientAddress clients;

  /** No trusted proxies: the audit records each connection's peer. */
  public Access(BearerAuth auth, Index index) {
    this(auth, index, new ClientAddress(List.of()));
  }

  public Access(BearerAuth auth, Index index, ClientAddress clients) {
    this.auth = auth;
    this.index = index;
    this.clients = clients;
  }

  /**
   * Puts the caller into the routing context, from {@code Authorization: Bearer}. A token in the
   * URL ({@code access_token=}) is refused here: URLs end up in logs, proxies and browser history.
   *
   * <p>A POST or PUT body stays paused from here on: its route resumes it when it is ready to read
   * (a {@code BodyHandler} does; the streaming readers, STOW-RS and model upload, once their parser
   * is in place). A refusal before that, this one or any later, answered through
   * {@link Problem#send(RoutingContext)} (as {@link WebServer} answers every failure) resumes and
   * discards the body; the streaming readers that refuse mid-body close the connection instead.
   */
  public Handler<RoutingContext> authenticate() {
    return authenticate(false);
  }

  /**
   * The same, also taking the {@code access_token} query parameter (RFC 6750 §2.3) when there is no
   * header: only for WADO-URI, whose clients (viewers' image tags) cannot set headers.
   */
  public Handler<RoutingContext> authenticateAllowingQueryToken() {
    return authenticate(true);
  }

  private Handler<RoutingContext> authenticate(boolean queryToken) {
    return ctx -> {
      String header = ctx.request().getHeader("Authorization");
      String token = ctx.request().getParam("access_token");
      if (token != null && !queryToken) {
        throw Problem.of(401, "unauthorized", "Token in the URL refused",
            "send Authorization: Bearer <token>; access_token= is accepted on /wado only").exception();
      }
      if (header == null && token != null) header = "Bearer " + token;
      // A body (STOW-RS, an upload, a JSON request) waits until its route is ready to read it.
      boolean body = ctx.request().method() == HttpMethod.POST || ctx.request().method() == HttpMethod.PUT;
      ctx.request().pause();
      auth.authenticate(header).compose(verified -> notRevoked(ctx, verified)).onSuccess(verified -> {
        ctx.put(TOKEN, verified);
        identified(ctx, verified.caller());
        if (!body) ctx.request().resume();
        ctx.next();
      }).onFailure(ctx::fail);
    };
  }

  /**
   * The principal a share names: {@code subject} as vouched for by {@code issuer} (null or
   * auth.issuer: Imago's own tokens; else an identity provider's).
   */
  public String principal(String issuer, String subject) {
    return Caller.principal(auth.ownIssuer(issuer) ? null : issuer, subject);
  }

  /**
   * The token, unless it was revoked ({@code imago token revoke}): itself, or its session (a token
   * refreshed from a revoked one is revoked with it).
   */
  private Future<BearerAuth.Token> notRevoked(RoutingContext ctx, BearerAuth.Token token) {
    if (token.jti() == null || index == null) return Future.succeededFuture(token); // no index: web's own tests
    return Blocking.run(ctx.vertx(), () -> index.tokenRevoked(token.jti())
        || token.session() != null && !token.session().equals(token.jti()) && index.tokenRevoked(token.session()))
        .compose(revoked -> revoked
            ? Future.failedFuture(Problem.of(401, "unauthorized", "Token revoked", "this token was revoked; ask for a new one")
                .exception())
            : Future.succeededFuture(token));
  }

  /** The verified bearer token of an authenticated request. */
  public static BearerAuth.Token token(RoutingContext ctx) {
    BearerAuth.Token token = ctx.get(TOKEN);
    if (token == null) throw new IllegalStateException("route has no bearer token: authenticate() missing");
    return token;
  }

  /**
   * A guard for routes (or a whole family) only some roles may use: anyone else gets 403 with
   * {@code title} and {@code detail}. Goes after {@link #authenticate()}.
   */
  public static Handler<RoutingContext> requireRole(String title, String detail, Caller.Role... allowed) {
    Set<Caller.Role> roles = Set.of(allowed);
    return ctx -> {
      if (!roles.contains(caller(ctx).role())) throw new ProblemException(Problem.of(403, "forbidden", title, detail));
      ctx.next();
    };
  }

  /** For routes that know their caller by other means than a bearer token (an FSE link). */
  public void identified(RoutingContext ctx, Caller caller) {
    ctx.put(CALLER, caller);
    ctx.put(REMOTE, clients.of(ctx.request()));
  }

  /**
   * The client's address as the audit records it: the connection's peer, or behind a trusted
   * reverse proxy the client it names ({@link ClientAddress}).
   */
  public static String remote(RoutingContext ctx) {
    String remote = ctx.get(REMOTE);
    if (remote != null) return remote;
    return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
  }

  public static Caller caller(RoutingContext ctx) {
    Caller caller = ctx.get(CALLER);
    if (caller == null) throw new IllegalStateException("route not behind Access.authenticate()");
    return caller;
  }

  /** Invariant 3: the caller's own tenant, plus studies shared with the caller. */
  public static Scope scope(Caller caller) {
    return new Scope(caller.tenantId(), caller.principal());
  }

  /** Writes one audit row per item (blocking: call off the event loop). */
  public void record(Caller caller, String action, Via via, String remote, List<Item> items)
      throws SqlUnavailableException {
    Instant now = Instant.now();
    List<AuditEvent> events = new ArrayList<>(items.size());
    for (Item i : items) {
      events.add(new AuditEvent(now, caller.principal(), caller.tenantId(), caller.role().name().toLowerCase(), action,
          i.studyUid(), i.seriesUid(), i.sopInstanceUid(), via.name(), remote,
          i.ownerTenantId() == null ? caller.tenantId() : i.ownerTenantId()));
    }
    index.audit(events);
  }

  /** The same for a DIMSE peer, known by its calling AE title within its tenant. */
  public void recordDimse(String tenantId, String callingAe, String action, Via via, String remote, List<Item> items)
      throws SqlUnavailableException {
    record(dimseCaller(tenantId, callingAe), action, via, remote, items);
  }

  /**
   * The audit of what one request writes (STOW-RS): a row per study, committed by the ingest path
   * with the study's first instance stored, so none is stored without its row.
   */
  public static WriteAudit writes(Caller caller, Via via, String remote) {
    return new WriteAudit(caller.principal(), caller.tenantId(), caller.role().name().toLowerCase(), via.name(), remote);
  }

  /** The same for what one DIMSE association stores (C-STORE). */
  public static WriteAudit dimseWrites(String tenantId, String callingAe, String remote) {
    return writes(dimseCaller(tenantId, callingAe), Via.C_STORE, remote);
  }

  private static Caller dimseCaller(String tenantId, String callingAe) {
    return new Caller("ae:" + callingAe, tenantId, Caller.Role.HOSPITAL);
  }
}
