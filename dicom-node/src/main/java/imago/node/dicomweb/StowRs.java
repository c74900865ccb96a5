package imago.node.dicomweb;

import imago.core.multipart.MultipartRelatedParser;
import imago.core.tenant.Caller;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.node.NodeConfig;
import imago.storage.ingest.Ingest;
import imago.web.Access;
import imago.web.Problem;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * STOW-RS (PS3.18 §10.5): {@code POST /dicomweb/studies[/{study}]} with a multipart/related body
 * of application/dicom parts. The body is parsed and ingested as it streams in, on a worker
 * thread (never the event loop), with back-pressure on the connection; each part is acknowledged
 * only once it is in S3 and indexed.
 */
public final class StowRs implements DicomWebService {
  private final Vertx vertx;
  private final NodeConfig config;
  private final PublicUrl address;
  private final Tenants tenants;
  private final Ingest ingest;
  private final ExecutorService workers;

  public StowRs(Vertx vertx, NodeConfig config, Tenants tenants, Ingest ingest, int threads) {
    this.vertx = vertx;
    this.config = config;
    this.address = config.address();
    this.tenants = tenants;
    this.ingest = ingest;
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "stow-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void mount(Routes dicomweb) {
    Handler<RoutingContext> storers = Access.requireRole("Role may not store", "storing needs role hospital or admin",
        Caller.Role.HOSPITAL, Caller.Role.ADMIN);
    dicomweb.post("/studies", storers).handler(ctx -> begin(ctx, Access.caller(ctx), null));
    dicomweb.post("/studies/:study", storers).handler(ctx -> begin(ctx, Access.caller(ctx), ctx.pathParam("study")));
  }

  private void begin(RoutingContext ctx, Caller caller, String studyUid) {
    HttpServerRequest request = ctx.request();
    Tenant tenant = tenants.byId(caller.tenantId()).orElse(null);
    Problem problem = null;
    String contentType = request.getHeader("Content-Type");
    if (tenant == null) {
      problem = Problem.of(403, "forbidden", "Unknown tenant", "the token's tenant '" + caller.tenantId() + "' is not configured");
    } else if (contentType == null || !"multipart/related".equals(MultipartRelatedParser.mediaType(contentType))) {
      problem = Problem.of(415, "unsupported-media-type", "Unsupported media type",
          "STOW-RS takes multipart/related; type=\"application/dicom\" (PS3.18 §10.5.1.2)");
    } else if (!partTypeSupported(contentType)) {
      problem = Problem.of(415, "unsupported-media-type", "Unsupported part type",
          "only application/dicom parts are accepted; metadata+bulkdata STOW is not supported");
    } else if (MultipartRelatedParser.boundary(contentType).isEmpty()) {
      problem = Problem.of(400, "bad-request", "Missing boundary", "the Content-Type has no boundary parameter");
    } else if (!MultipartRelatedParser.isValidBoundary(MultipartRelatedParser.boundary(contentType).get())) {
      // refused here, before the upload's worker would fail to build a parser for it and leave the request unanswered
      problem = Problem.of(400, "bad-request", "Invalid boundary",
          "the boundary parameter must be 1 to 200 printable ASCII characters (RFC 2046 §5.1.1 allows 70)");
    } else if (!acceptsDicomJson(request.getHeader("Accept"))) {
      problem = Problem.of(406, "not-acceptable", "Not acceptable", "the STOW-RS response is application/dicom+json");
    } else if (contentLength(request) > config.maxStowRequestSize()) {
      problem = Problem.of(413, "payload-too-large", "Request too large",
          "at most " + config.maxStowRequestSize() + " bytes per request (node.maxStowRequestSize)");
    } else if (studyUid != null && !imago.core.dicom.Uids.isValid(studyUid)) {
      problem = Problem.of(400, "bad-request", "Malformed Study Instance UID", studyUid);
    }
    if (problem != null) throw problem.exception();
    String origin = Access.remote(ctx);
    StowUpload upload = new StowUpload(vertx, ctx, tenant, studyUid, MultipartRelatedParser.boundary(contentType).get(),
        origin, Access.writes(caller, Access.Via.STOW_RS, origin), ingest, DicomWebService.root(ctx, address),
        config.maxStowRequestSize());
    workers.execute(upload);
    request.handler(upload::offer);
    request.endHandler(v -> upload.end());
    request.exceptionHandler(upload::broken);
    request.resume();
  }

  private static boolean partTypeSupported(String contentType) {
    String type = MultipartRelatedParser.parameters(contentType).get("type");
    return type == null || type.equalsIgnoreCase("application/dicom");
  }

  /** Whether an Accept header admits application/dicom+json (the XML alternative is not offered). */
  public static boolean acceptsDicomJson(String accept) {
    if (accept == null || accept.isBlank()) return true;
    for (String range : accept.split(",")) {
      String media = range.split(";")[0].trim().toLowerCase(Locale.ROOT);
      if (media.equals("application/dicom+json") || media.equals("application/json") || media.equals("*/*")
          || media.equals("application/*")) {
        return true;
      }
    }
    return false;
  }

  private static long contentLength(HttpServerRequest request) {
    try {
      String v = request.getHeader("Content-Length");
      return v == null ? -1 : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public void close() {
    workers.shutdownNow();
  }
}
