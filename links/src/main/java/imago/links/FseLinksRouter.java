package imago.links;

import imago.core.tenant.Caller;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import imago.storage.links.Link;
import imago.storage.links.LinkStore;
import imago.web.Access;
import imago.web.Problem;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /fse/links}: a hospital (or an admin) turns the UIDs an FSE report carries into a link
 * that opens the study: {@code POST} creates one (the token is in that answer and nowhere else),
 * {@code GET ?studyUID=} lists a study's links, {@code DELETE /{id}} revokes one at once.
 */
public final class FseLinksRouter {
  private final Clock clock;
  private final Vertx vertx;
  private final LinkStore links;
  private final Index index;
  private final Access access;
  private final LinksConfig config;
  private final String publicUrl;

  /**
   * @param publicUrl node.publicUrl, what links are built on (e.g. {@code https://imago.example.org});
   *     when blank, the address the request came to
   */
  public FseLinksRouter(Vertx vertx, LinkStore links, Index index, Access access, LinksConfig config, String publicUrl,
      Clock clock) {
    this.clock = clock;
    this.vertx = vertx;
    this.links = links;
    this.index = index;
    this.access = access;
    this.config = config;
    this.publicUrl = publicUrl == null ? "" : publicUrl.replaceAll("/+$", "");
  }

  /** Mounted at {@code /fse/links}. */
  public Router router() {
    Router r = Router.router(vertx);
    r.route().handler(access.authenticate());
    r.route().handler(ctx -> {
      Caller.Role role = Access.caller(ctx).role();
      if (role == Caller.Role.HOSPITAL || role == Caller.Role.ADMIN) {
        ctx.next();
      } else {
        ctx.request().resume();
        Problem.of(403, "forbidden", "Role may not manage links", "FSE links are managed by hospital and admin roles")
            .send(ctx.response());
      }
    });
    r.postWithRegex("/?").handler(BodyHandler.create().setBodyLimit(16 * 1024)).handler(this::create);
    r.getWithRegex("/?").handler(this::list);
    r.delete("/:id").handler(this::revoke);
    return r;
  }

  private void create(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      Problem.of(400, "bad-request", "JSON body expected", "POST /fse/links {\"studyUID\": ...} or "
          + "{\"accessionNumber\": ..., \"patientID\": ...}, \"rights\": [\"view\", \"download\"], \"ttl\": \"P365D\"")
          .send(ctx.response());
      return;
    }
    Set<Link.Right> rights = EnumSet.noneOf(Link.Right.class);
    Instant expiresAt;
    try {
      for (Object r : body.getJsonArray("rights", new JsonArray().add("view"))) rights.add(Link.Right.parse(String.valueOf(r)));
      if (rights.isEmpty()) throw new IllegalArgumentException("rights must name at least one of view, download");
      expiresAt = expiry(body);
    } catch (IllegalArgumentException | DateTimeParseException | ClassCastException e) {
      Problem.of(400, "bad-request", "Invalid link request", e.getMessage()).send(ctx.response());
      return;
    }
    JsonObject request = body;
    String publicBase = PublicBase.of(ctx, publicUrl);
    blocking(ctx, () -> {
      String study = request.getString("studyUID");
      if (study == null) {
        String accession = request.getString("accessionNumber");
        String patient = request.getString("patientID");
        if (accession == null || patient == null) {
          return Problem.of(400, "bad-request", "Which study?", "give studyUID, or accessionNumber and patientID");
        }
        List<QueryMatch> found = index.query(Scope.tenant(caller.tenantId()), QueryRequest.of(QueryLevel.STUDY,
            Map.of(QueryAttributes.byKeyword("AccessionNumber").orElseThrow().tag(), accession,
                QueryAttributes.PATIENT_ID, patient), 2)).matches();
        if (found.size() != 1) {
          return Problem.of(found.isEmpty() ? 404 : 409, found.isEmpty() ? "not-found" : "ambiguous",
              found.isEmpty() ? "No such study" : "Several studies match",
              "accession number " + accession + " of patient ID " + patient + ": " + found.size() + " studies");
        }
        study = found.get(0).studyUid();
      } else if (index.instances(Scope.tenant(caller.tenantId()), study, null, null).isEmpty()) {
        return Problem.of(404, "not-found", "No such study", study);
      }
      String token = CapabilityToken.generate();
      Link link = links.create(CapabilityToken.sha256(token), caller.tenantId(), study, rights, caller.subject(), expiresAt);
      access.record(caller, "link.create", Access.Via.FSE_LINK, ctx.request().remoteAddress().hostAddress(),
          List.of(new Access.Item(study, null, null)));
      return json(link).put("token", token).put("url", publicBase + "/l/" + token)
          .put("links", subLinks(publicBase, token, link));
    }, out -> {
      if (out instanceof Problem p) {
        p.send(ctx.response());
        return;
      }
      JsonObject json = (JsonObject) out;
      ctx.response().setStatusCode(201).putHeader("Location", "/fse/links/" + json.getLong("id"))
          .putHeader("Cache-Control", "no-store").putHeader("Content-Type", "application/json").end(json.encode());
    });
  }

  /** {@code expiresAt} (an instant) or {@code ttl} (ISO-8601, e.g. P365D), default links.defaultTtl, at most links.maxTtl. */
  private Instant expiry(JsonObject body) {
    Instant now = clock.instant();
    Instant at = body.getString("expiresAt") != null ? Instant.parse(body.getString("expiresAt"))
        : now.plus(body.getString("ttl") != null ? Duration.parse(body.getString("ttl")) : config.defaultTtl());
    if (!at.isAfter(now)) throw new IllegalArgumentException("the expiry must be in the future: " + at);
    if (at.isAfter(now.plus(config.maxTtl()))) {
      throw new IllegalArgumentException("a link lives at most " + config.maxTtl().toDays() + " days (links.maxTtl)");
    }
    return at;
  }

  private static JsonObject subLinks(String publicBase, String token, Link link) {
    String base = publicBase + "/l/" + token;
    JsonObject out = new JsonObject().put("viewer", base + "/").put("dicomweb", base + "/dicomweb")
        .put("fhir", base + "/fhir").put("kos", base + "/kos");
    if (link.rights().contains(Link.Right.DOWNLOAD)) out.put("download", base + "/download");
    return out;
  }

  private void list(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.request().getParam("studyUID");
    if (study == null) {
      Problem.of(400, "bad-request", "studyUID is required", "GET /fse/links?studyUID=...").send(ctx.response());
      return;
    }
    blocking(ctx, () -> {
      JsonArray out = new JsonArray();
      for (Link l : links.ofStudy(caller.tenantId(), study)) out.add(json(l));
      return out;
    }, out -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonArray) out).encode()));
  }

  private void revoke(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      Problem.of(404, "not-found", "No such link", ctx.pathParam("id")).send(ctx.response());
      return;
    }
    blocking(ctx, () -> links.revoke(caller.tenantId(), id, caller.subject()), done -> {
      if ((Boolean) done) ctx.response().setStatusCode(204).end();
      else Problem.of(404, "not-found", "No such link", "no live link " + id + " of tenant " + caller.tenantId()).send(ctx.response());
    });
  }

  static JsonObject json(Link l) {
    JsonArray rights = new JsonArray();
    l.rights().forEach(r -> rights.add(r.id()));
    return new JsonObject().put("id", l.id()).put("studyUID", l.studyUid()).put("tenant", l.tenantId()).put("rights", rights)
        .put("createdBy", l.createdBy()).put("createdAt", l.createdAt().toString()).put("expiresAt", l.expiresAt().toString())
        .put("revokedAt", l.revokedAt() == null ? null : l.revokedAt().toString()).put("revokedBy", l.revokedBy());
  }

  @FunctionalInterface
  interface Work {
    Object run() throws SqlUnavailableException, InvalidQueryException;
  }

  private void blocking(RoutingContext ctx, Work work, java.util.function.Consumer<Object> then) {
    // an unavailable index becomes 503 in WebServer's failure handler
    vertx.executeBlocking(work::run, false).onSuccess(then::accept).onFailure(ctx::fail);
  }
}
