package imago.node.dicomweb.wado;

import imago.node.NodeConfig;
import imago.node.dicomweb.DicomWebService;
import imago.storage.index.StoredInstance;
import imago.web.Access;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * WADO-RS (PS3.18 §10.4): study, series and instance retrieve as multipart/related
 * application/dicom in the stored transfer syntax, streamed from S3; metadata from the DICOM JSON
 * kept at ingest; frames, bulk data, rendered and thumbnail ({@link WadoFrames}, {@link WadoRendered}).
 * Every answer is audited before it leaves; what the caller may not see is 404, like what does not exist.
 */
public final class WadoRs implements DicomWebService {
  private static final String INSTANCE = "/studies/:study/series/:series/instances/:instance";

  private final WadoRetrieve retrieve;
  private final Access access;
  private final NodeConfig config;
  private final PublicUrl address;
  private final WadoFrames frames;
  private final WadoRendered rendered;

  public WadoRs(WadoRetrieve retrieve, Access access, NodeConfig config) {
    this.retrieve = retrieve;
    this.access = access;
    this.config = config;
    this.address = config.address();
    this.frames = new WadoFrames(retrieve, access);
    this.rendered = new WadoRendered(retrieve, access);
  }

  @Override
  public void mount(Routes r) {
    for (String level : List.of("/studies/:study", "/studies/:study/series/:series", INSTANCE)) {
      r.get(level).handler(this::instances);
      r.get(level + "/metadata").handler(this::metadata);
      r.get(level + "/thumbnail").handler(rendered::thumbnail);
    }
    r.get(INSTANCE + "/frames/:frames").handler(frames::frames);
    r.get(INSTANCE + "/bulkdata/:tag").handler(frames::bulkdata);
    r.get(INSTANCE + "/rendered").handler(rendered::rendered);
    r.get(INSTANCE + "/frames/:frames/rendered").handler(rendered::rendered);
    r.get(INSTANCE + "/frames/:frames/thumbnail").handler(rendered::thumbnail);
  }

  /** How the instances go out: one multipart/related body, or (instance level) one application/dicom body. */
  enum Packaging { MULTIPART, SINGLE }

  private record Found(List<StoredInstance> instances, Packaging packaging) {}

  private void instances(RoutingContext ctx) {
    WadoRequest rq = WadoRequest.of(ctx);
    List<MediaRange> accept = MediaRange.parse(ctx.request().getHeader("Accept"));
    retrieve.respond(ctx, () -> {
      List<StoredInstance> found = retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop());
      if (found.isEmpty()) throw rq.notFound();
      Packaging packaging = negotiate(accept, found, rq.sop() != null);
      if (packaging == null) {
        throw WadoRequest.notAcceptable("Imago sends instances as stored (" + found.get(0).transferSyntaxUid()
            + "): ask for multipart/related; type=\"application/dicom\"; transfer-syntax=* (PS3.18 §8.7.3)");
      }
      access.record(rq.caller(), "retrieve", Access.Via.WADO_RS, rq.remote(), WadoRequest.items(found));
      return new Found(found, packaging);
    }, f -> send(ctx, f));
  }

  private void send(RoutingContext ctx, Found f) {
    String etag = Validators.etag("instances", f.packaging().name(), f.instances());
    if (f.packaging() == Packaging.SINGLE) {
      StoredInstance i = f.instances().get(0);
      retrieve.sender().send(ctx.request(), "application/dicom; transfer-syntax=" + i.transferSyntaxUid(),
          Body.of(List.of(new Body.Stored(i.objectKey(), 0, i.objectSize()))), etag);
      return;
    }
    Body.Multipart multipart = new Body.Multipart(Validators.boundary(etag));
    for (StoredInstance i : f.instances()) {
      multipart.part(List.of("Content-Type: application/dicom; transfer-syntax=" + i.transferSyntaxUid()),
          List.of(new Body.Stored(i.objectKey(), 0, i.objectSize())));
    }
    retrieve.sender().send(ctx.request(), multipart.contentType("application/dicom"), multipart.finish(), etag);
  }

  /**
   * PS3.18 §8.7.3: multipart/related of application/dicom, in the stored syntax when the range
   * names none or {@code *}, or names the one every instance is stored in. A bare application/dicom
   * is taken at instance level. Null: nothing acceptable.
   */
  static Packaging negotiate(List<MediaRange> accept, List<StoredInstance> instances, boolean instanceLevel) {
    for (MediaRange r : accept) {
      if (r.isWildcard() || r.type().equals("multipart/*")) return Packaging.MULTIPART;
      String ts = r.transferSyntax();
      boolean tsOk = ts == null || ts.equals("*") || instances.stream().allMatch(i -> ts.equals(i.transferSyntaxUid()));
      if (!tsOk) continue;
      if (r.type().equals("multipart/related") && (r.partType() == null || r.partType().equals("application/dicom"))) {
        return Packaging.MULTIPART;
      }
      if (instanceLevel && r.type().equals("application/dicom")) return Packaging.SINGLE;
    }
    return null;
  }

  private void metadata(RoutingContext ctx) {
    WadoRequest rq = WadoRequest.of(ctx);
    if (!acceptsJson(MediaRange.parse(ctx.request().getHeader("Accept")))) {
      throw WadoRequest.notAcceptable("metadata is served as application/dicom+json");
    }
    String base = DicomWebService.root(ctx, address);
    retrieve.respond(ctx, () -> {
      List<StoredInstance> instances = retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop());
      if (instances.isEmpty()) throw rq.notFound();
      String owner = instances.get(0).tenantId();
      // the JSON names this request's base in its BulkDataURIs: part of what the tag stands for
      // weak: the same JSON goes out gzipped or not, as the client accepts (RFC 9110 §8.8.3)
      String etag = "W/" + Validators.etag("metadata", base, instances);
      if (Validators.notModified(ctx.request(), etag)) {
        access.record(rq.caller(), "metadata", Access.Via.WADO_RS, rq.remote(), List.of(rq.levelItem(owner)));
        return new Metadata(etag, null);
      }
      // A series a viewer opens again is answered from memory: the tag stands for these very bytes.
      byte[] json = retrieve.metadataCache().get(etag, () -> {
        List<byte[]> blobs = retrieve.metadata(rq.scope(), rq.study(), rq.series(), rq.sop());
        if (blobs.isEmpty()) throw rq.notFound();
        Map<String, StoredInstance> bySop = new HashMap<>();
        for (StoredInstance i : instances) bySop.put(i.sopInstanceUid(), i);
        return MetadataJson.array(blobs, bySop, base).getBytes();
      });
      access.record(rq.caller(), "metadata", Access.Via.WADO_RS, rq.remote(), List.of(rq.levelItem(owner)));
      return new Metadata(etag, io.vertx.core.buffer.Buffer.buffer(json));
    }, m -> {
      if (m.json() == null) {
        Validators.notModifiedAnswer(ctx.response(), m.etag());
        return;
      }
      Validators.headers(ctx.response(), m.etag()).putHeader("Content-Type", "application/dicom+json").end(m.json());
    });
  }

  /** A metadata answer: its ETag, and its JSON (null: 304, the client has it). */
  private record Metadata(String etag, io.vertx.core.buffer.Buffer json) {}

  static boolean acceptsJson(List<MediaRange> accept) {
    for (MediaRange r : accept) {
      if (r.covers("application/dicom+json") || r.covers("application/json")) return true;
    }
    return false;
  }
}
