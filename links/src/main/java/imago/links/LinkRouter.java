package imago.links;

import imago.core.tenant.Caller;
import imago.node.dicomweb.DicomWebService;
import imago.storage.index.Index;
import imago.storage.links.Link;
import imago.storage.links.LinkStore;
import imago.storage.object.ObjectStore;
import imago.storage.results.AiResults;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Problem;
import imago.web.ProblemException;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What an FSE link opens, at {@code /l/{token}/...}: the viewer on its one study ({@code /}), and
 * a DICOMweb endpoint limited to that study ({@code dicomweb/}), so any DICOMweb viewer can be
 * pointed at it, the XDS-I.b manifest ({@code kos}) and, with the download right, the study as a
 * zip with a DICOMDIR ({@code download}). Every request looks the token up again, so expiry and revocation take effect at
 * once, also for a viewer already open; every answer is audited under the link's id.
 */
public final class LinkRouter {
  private final Clock clock;
  private final Duration maxTtl;
  static final String LINK = "imago.link";
  private static final List<String> STUDY_KEYS = List.of("studyinstanceuid", "0020000d");

  private final Vertx vertx;
  private final LinkStore links;
  private final Access access;
  private final List<DicomWebService> dicomWeb;
  private final String viewerBase;
  private final LinkDocuments documents;

  /**
   * @param dicomWeb the read-only DICOMweb services (QIDO-RS, WADO-RS) to mount under the link
   * @param viewerBase the viewer's path, e.g. {@code /viewer}
   * @param address Imago's public address, what the documents' URLs are built on
   * @param maxTtl links.maxTtl: no link lives longer, whatever expiry it was made with
   * @param clock decides whether a link has expired
   */
  public LinkRouter(Vertx vertx, LinkStore links, Access access, List<DicomWebService> dicomWeb, String viewerBase,
      Index index, ObjectStore store, AiResults aiResults, PublicUrl address, Duration maxTtl, Clock clock) {
    this.maxTtl = maxTtl;
    this.clock = clock;
    this.vertx = vertx;
    this.links = links;
    this.access = access;
    this.dicomWeb = dicomWeb;
    this.viewerBase = viewerBase;
    this.documents = new LinkDocuments(vertx, index, store, aiResults, address);
  }

  /** Mounted at {@code /l/:token}. */
  public Routes routes() {
    Routes r = new Routes(vertx).filter(this::authenticate);
    r.get("").handler(ctx -> audited(ctx, "link.viewer", () -> viewer(ctx)));
    r.get("/fhir").handler(ctx -> audited(ctx, "link.fhir", () -> documents.fhir(ctx)));
    r.get("/kos").handler(ctx -> audited(ctx, "link.kos", () -> documents.kos(ctx)));
    r.get("/download").handler(ctx -> audited(ctx, "link.download", () -> documents.download(ctx)));
    Routes dicomweb = new Routes(vertx).filter(this::withinStudy);
    dicomWeb.forEach(s -> s.mount(dicomweb));
    r.mount("/dicomweb", dicomweb);
    return r;
  }

  public static Link link(RoutingContext ctx) {
    Link link = ctx.get(LINK);
    if (link == null) throw new IllegalStateException("route not behind LinkRouter.authenticate");
    return link;
  }

  /**
   * Unknown or malformed tokens are 404 (a guess learns nothing), expired or revoked ones 401 with
   * the reason: the holder learns why the link no longer opens.
   */
  private void authenticate(RoutingContext ctx) {
    String token = ctx.pathParam("token");
    ctx.request().pause();
    if (!CapabilityToken.wellFormed(token)) throw noSuchLink();
    Blocking.respond(ctx, () -> links.byTokenSha256(CapabilityToken.sha256(token)).orElseThrow(LinkRouter::noSuchLink), link -> {
      if (link.revoked()) throw Problem.of(401, "link-revoked", "Link revoked", "this link was revoked on " + link.revokedAt()).exception();
      if (link.expired(clock.instant())) {
        throw Problem.of(401, "link-expired", "Link expired", "this link expired on " + link.expiresAt()).exception();
      }
      // links.maxTtl holds for links made before it was lowered too: none outlives it.
      if (link.createdAt().plus(maxTtl).isBefore(clock.instant())) {
        throw Problem.of(401, "link-expired", "Link expired", "this link is older than links.maxTtl ("
            + maxTtl.toDays() + " days)").exception();
      }
      if (!link.rights().contains(Link.Right.VIEW)) {
        throw Problem.of(403, "forbidden", "Link does not allow viewing", "rights: " + link.rights()).exception();
      }
      ctx.put(LINK, link);
      access.identified(ctx, new Caller("link:" + link.id(), link.tenantId(), Caller.Role.LINK));
      ctx.request().resume(); // a link only reads: no route under it takes a body
      ctx.next();
    });
  }

  private static ProblemException noSuchLink() {
    return Problem.of(404, "not-found", "No such link", "the link is not one this Imago issued").exception();
  }

  /**
   * The viewer on the link's study. The token travels in the URL fragment, which browsers never
   * send to a server nor put in a Referer; the viewer's configuration reads it from there.
   */
  private void viewer(RoutingContext ctx) {
    Link link = link(ctx);
    String token = ctx.pathParam("token");
    ctx.response().setStatusCode(302).putHeader("Cache-Control", "no-store").putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Location", viewerBase + "/viewer?StudyInstanceUIDs=" + link.studyUid() + "#link=" + token).end();
  }

  /**
   * Limits DICOMweb to the link's study: a path naming another study is 403; a search (QIDO-RS at
   * /studies, /series, /instances) has its Study Instance UID key replaced by the link's.
   */
  private void withinStudy(RoutingContext ctx) {
    Link link = link(ctx);
    String mount = ctx.mountPoint() == null ? "" : ctx.mountPoint();
    String rest = ctx.normalizedPath().substring(Math.min(mount.length(), ctx.normalizedPath().length()));
    String[] parts = rest.replaceFirst("^/", "").split("/");
    if (parts.length >= 2 && parts[0].equals("studies")) {
      if (!parts[1].equals(link.studyUid())) {
        throw Problem.of(403, "link-scope", "Outside the link", "this link opens one study only").exception();
      }
    } else {
      MultiMap params = ctx.queryParams();
      for (String name : List.copyOf(params.names())) {
        if (STUDY_KEYS.contains(name.toLowerCase(Locale.ROOT))) params.remove(name);
      }
      params.set("StudyInstanceUID", link.studyUid());
    }
    ctx.next();
  }

  /** Records the access, then answers: no answer leaves unaudited (an index that cannot record it is a 503). */
  private void audited(RoutingContext ctx, String action, Runnable answer) {
    Caller caller = Access.caller(ctx);
    Link link = link(ctx);
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      access.record(caller, action, Access.Via.FSE_LINK, remote, List.of(new Access.Item(link.studyUid(), null, null, link.tenantId())));
      return link;
    }, recorded -> answer.run());
  }
}
