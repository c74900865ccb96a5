package imago.links;

import imago.core.tenant.Caller;
import imago.storage.links.Link;
import imago.storage.links.LinkStore;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Params;
import imago.web.Problem;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code /fse/links}: a hospital (or an admin) turns the UIDs an FSE report carries into a link
 * that opens the study ({@link FseLinks}): {@code POST} creates one (the token is in that answer
 * and nowhere else), {@code GET ?studyUID=} lists a study's links, {@code DELETE /{id}} revokes one at once.
 */
public final class FseLinksRouter {
  private static final String USAGE = "POST /fse/links {\"studyUID\": ...} or {\"accessionNumber\": ..., \"patientID\": ...}, "
      + "\"rights\": [\"view\", \"download\"], \"ttl\": \"P365D\"";

  /** Links listed without a study. */
  private static final int RECENT = 200;

  private final Vertx vertx;
  private final LinkStore links;
  private final FseLinks issuer;
  private final Access access;
  private final PublicUrl address;

  /** @param address what links are built on (node.publicUrl, e.g. {@code https://imago.example.org}) */
  public FseLinksRouter(Vertx vertx, LinkStore links, FseLinks issuer, Access access, PublicUrl address) {
    this.vertx = vertx;
    this.links = links;
    this.issuer = issuer;
    this.access = access;
    this.address = address;
  }

  /** Mounted at {@code /fse/links}. */
  public Routes routes() {
    Routes r = new Routes(vertx)
        .filter(access.authenticate())
        .filter(Access.requireRole("Role may not manage links", "FSE links are managed by hospital and admin roles",
            Caller.Role.HOSPITAL, Caller.Role.ADMIN))
        .problem(FseLinks.NoSuchStudyException.class, e -> Problem.of(404, "not-found", "No such study", e.getMessage()))
        .problem(FseLinks.AmbiguousStudyException.class, e -> Problem.of(409, "ambiguous", "Several studies match",
            e.getMessage()))
        .problem(FseLinks.InvalidRequestException.class, e -> Problem.of(400, "bad-request", "Invalid link request", e.getMessage()));
    r.post("").handler(BodyHandler.create(false).setBodyLimit(16 * 1024)).handler(this::create);
    r.get("").handler(this::list);
    r.delete("/:id").handler(this::revoke);
    return r;
  }

  private void create(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    FseLinks.Request request = request(Params.jsonBody(ctx, USAGE));
    String base = address.of(ctx.request());
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      FseLinks.Issued issued = issuer.issue(caller, request);
      access.record(caller, "link.create", Access.Via.FSE_LINK, remote, List.of(new Access.Item(issued.link().studyUid(), null,
          null)));
      return issued;
    }, issued -> {
      JsonObject json = json(issued.link()).put("token", issued.token()).put("url", base + "/l/" + issued.token())
          .put("links", subLinks(base, issued.token(), issued.link()));
      ctx.response().setStatusCode(201).putHeader("Location", "/fse/links/" + issued.link().id())
          .putHeader("Cache-Control", "no-store").putHeader("Content-Type", "application/json").end(json.encode());
    });
  }

  private static FseLinks.Request request(JsonObject body) {
    try {
      Set<Link.Right> rights = EnumSet.noneOf(Link.Right.class);
      JsonArray given = body.getJsonArray("rights"); // null when absent or null: both are the default
      for (Object r : given == null ? new JsonArray().add("view") : given) rights.add(Link.Right.parse(String.valueOf(r)));
      return new FseLinks.Request(body.getString("studyUID"), body.getString("accessionNumber"), body.getString("patientID"),
          rights, body.getString("expiresAt") == null ? null : Instant.parse(body.getString("expiresAt")),
          body.getString("ttl") == null ? null : Duration.parse(body.getString("ttl")));
    } catch (IllegalArgumentException | DateTimeParseException | ClassCastException e) {
      throw new FseLinks.InvalidRequestException(e.getMessage(), e);
    }
  }

  private static JsonObject subLinks(String base, String token, Link link) {
    String root = base + "/l/" + token;
    JsonObject out = new JsonObject().put("viewer", root + "/").put("dicomweb", root + "/dicomweb")
        .put("fhir", root + "/fhir").put("kos", root + "/kos");
    if (link.rights().contains(Link.Right.DOWNLOAD)) out.put("download", root + "/download");
    return out;
  }

  private void list(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.queryParams().get("studyUID");
    // without a study: the tenant's newest links (the console's list)
    Blocking.respond(ctx, () -> study == null ? links.recent(caller.tenantId(), RECENT) : links.ofStudy(caller.tenantId(), study),
        found -> {
      JsonArray out = new JsonArray();
      for (Link l : found) out.add(json(l));
      ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
    });
  }

  private void revoke(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "link");
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      String study = links.revoke(caller.tenantId(), id, caller.subject())
          .orElseThrow(() -> Params.notFound("link", "no live link " + id + " of tenant " + caller.tenantId()));
      access.record(caller, "link.revoke", Access.Via.FSE_LINK, remote, List.of(new Access.Item(study, null, null)));
      return study;
    }, study -> ctx.response().setStatusCode(204).end());
  }

  static JsonObject json(Link l) {
    JsonArray rights = new JsonArray();
    l.rights().forEach(r -> rights.add(r.id()));
    return new JsonObject().put("id", l.id()).put("studyUID", l.studyUid()).put("tenant", l.tenantId()).put("rights", rights)
        .put("createdBy", l.createdBy()).put("createdAt", l.createdAt().toString()).put("expiresAt", l.expiresAt().toString())
        .put("revokedAt", l.revokedAt() == null ? null : l.revokedAt().toString()).put("revokedBy", l.revokedBy());
  }
}
