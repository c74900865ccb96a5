package imago.node.dicomweb.wado;

import imago.storage.index.StoredInstance;
import imago.web.Access;
import imago.web.ProblemException;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * WADO-URI (PS3.18 §9; IHE XDS-I.b RAD-55): {@code GET /wado?requestType=WADO&studyUID=&seriesUID=
 * &objectUID=[&contentType=][&transferSyntax=][&frameNumber=][&rows=&columns=][&windowCenter=
 * &windowWidth=][&imageQuality=]}. {@code application/dicom} is the stored object as it is (in its
 * stored syntax, or transcoded when transferSyntax names Explicit VR Little Endian; another named
 * syntax is 406); images are rendered like WADO-RS rendered. Callers
 * authenticate with a bearer header or {@code access_token} (viewers that cannot set headers).
 */
public final class WadoUri {
  private static final String DICOM = "application/dicom";

  private final Vertx vertx;
  private final WadoRetrieve retrieve;
  private final Access access;
  private final WadoRendered rendered;

  public WadoUri(Vertx vertx, WadoRetrieve retrieve, Access access) {
    this.vertx = vertx;
    this.retrieve = retrieve;
    this.access = access;
    this.rendered = new WadoRendered(retrieve, access);
  }

  /** Mounted at {@code /wado}. */
  public Routes routes() {
    Routes r = new Routes(vertx).filter(access.authenticateAllowingQueryToken());
    r.get("").handler(this::wado);
    return r;
  }

  private void wado(RoutingContext ctx) {
    HttpServerRequest q = ctx.request();
    if (!"WADO".equals(q.getParam("requestType"))) {
      throw bad("requestType=WADO is required (PS3.18 §9.2.1)");
    }
    String study = q.getParam("studyUID");
    String series = q.getParam("seriesUID");
    String object = q.getParam("objectUID");
    if (study == null || series == null || object == null) {
      throw bad("studyUID, seriesUID and objectUID are required");
    }
    if ("yes".equalsIgnoreCase(q.getParam("anonymize"))) {
      throw bad("anonymize=yes is not supported");
    }
    WadoRequest rq = WadoRequest.of(ctx, study, series, object);
    String contentType = contentType(q.getParam("contentType"));
    if (contentType == null) {
      throw WadoRequest.notAcceptable("contentType may be application/dicom, image/jpeg, image/png or image/gif");
    }
    if (contentType.equals(DICOM)) {
      dicom(ctx, rq, q.getParam("transferSyntax"));
    } else {
      image(ctx, rq, contentType, q.getParam("contentType") == null);
    }
  }

  /** The first content type of the list (PS3.18 §9.2.2.1: comma separated, preference order) Imago can give. */
  static String contentType(String value) {
    if (value == null || value.isBlank()) return Rendering.JPEG;
    for (String t : value.split(",")) {
      String type = t.split(";")[0].trim().toLowerCase(Locale.ROOT);
      switch (type) {
        case DICOM, Rendering.JPEG, Rendering.PNG, Rendering.GIF -> {
          return type;
        }
        case "*/*", "image/*" -> {
          return Rendering.JPEG;
        }
        default -> { }
      }
    }
    return null;
  }

  private void dicom(RoutingContext ctx, WadoRequest rq, String transferSyntax) {
    String asked = transferSyntax == null || transferSyntax.isBlank() ? null : transferSyntax.trim();
    retrieve.respond(ctx, () -> {
      StoredInstance i = instance(rq);
      byte[] transcoded = null;
      if (asked != null && !asked.equals(i.transferSyntaxUid())) {
        if (!asked.equals(Transcoder.TARGET)) {
          throw WadoRequest.notAcceptable("the object is stored in " + i.transferSyntaxUid() + " and served so, or in "
              + Transcoder.TARGET + " (Explicit VR Little Endian)");
        }
        try {
          transcoded = Transcoder.toExplicitLittleEndian(retrieve.object(i), i.transferSyntaxUid(), retrieve.layout(i));
        } catch (FrameDecoder.UndecodableException e) {
          throw WadoRequest.notAcceptable("the object cannot be sent in " + Transcoder.TARGET + ": " + e.getMessage());
        }
      }
      access.record(rq.caller(), "retrieve", Access.Via.WADO_URI, rq.remote(), WadoRequest.items(List.of(i)));
      return new DicomAnswer(i, transcoded);
    }, a -> {
      Body body = a.transcoded() == null ? Body.of(List.of(new Body.Stored(a.i().objectKey(), 0, a.i().objectSize())))
          : Body.of(List.of(Body.Literal.of(a.transcoded())));
      retrieve.sender().send(ctx.request(), DICOM, body,
          Validators.etag("wado-uri", a.transcoded() == null ? DICOM : DICOM + "/" + Transcoder.TARGET, List.of(a.i())));
    });
  }

  /** An application/dicom answer: the instance, and its transcoded bytes (null: sent as stored). */
  private record DicomAnswer(StoredInstance i, byte[] transcoded) {}

  /** What an image request answers: the rendered image, or (no contentType asked, no pixels) the object. */
  private record Answer(byte[] image, StoredInstance object) {}

  /**
   * PS3.18 §9.2.2.1: without contentType, an image is image/jpeg and anything else (a report, a
   * KOS) application/dicom.
   */
  private void image(RoutingContext ctx, WadoRequest rq, String contentType, boolean defaulted) {
    HttpServerRequest q = ctx.request();
    Rendering rendering;
    int frame;
    try {
      frame = q.getParam("frameNumber") == null ? 1 : Rendering.size(q.getParam("frameNumber"), "frameNumber");
      Rendering.Window window = null;
      String center = q.getParam("windowCenter");
      String width = q.getParam("windowWidth");
      if (center != null || width != null) {
        if (center == null || width == null) throw new Rendering.BadParameterException("windowCenter and windowWidth go together");
        window = Rendering.window(center + "," + width);
      }
      rendering = new Rendering(contentType, window, Rendering.size(q.getParam("columns"), "columns"),
          Rendering.size(q.getParam("rows"), "rows"), Rendering.quality(q.getParam("imageQuality")));
    } catch (Rendering.BadParameterException e) {
      throw bad(e.getMessage());
    }
    int n = Math.max(1, frame);
    retrieve.respond(ctx, () -> {
      StoredInstance i = instance(rq);
      if (defaulted && !retrieve.layout(i).hasPixelData()) {
        access.record(rq.caller(), "retrieve", Access.Via.WADO_URI, rq.remote(), WadoRequest.items(List.of(i)));
        return new Answer(null, i);
      }
      byte[] image = rendered.image(i, n, rendering);
      access.record(rq.caller(), "rendered", Access.Via.WADO_URI, rq.remote(), WadoRequest.items(List.of(i)));
      return new Answer(image, null);
    }, a -> {
      if (a.object() != null) {
        retrieve.sender().send(ctx.request(), DICOM, Body.of(List.of(new Body.Stored(a.object().objectKey(), 0,
            a.object().objectSize()))));
      } else {
        ctx.response().putHeader("Content-Type", contentType).end(Buffer.buffer(a.image()));
      }
    });
  }

  private StoredInstance instance(WadoRequest rq) throws Exception {
    List<StoredInstance> found = retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop());
    if (found.isEmpty()) throw rq.notFound();
    return found.get(0);
  }

  private static ProblemException bad(String detail) {
    return WadoRequest.problem(400, "bad-request", "Bad WADO-URI request", detail);
  }
}
