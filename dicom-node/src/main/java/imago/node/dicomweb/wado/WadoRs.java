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

  /** Finds the one instance a request names, or throws its problem (blocking). */
  @FunctionalInterface
  public interface Located {
    StoredInstance instance() throws Exception;
  }

  /** Records that an instance was answered (blocking). */
  @FunctionalInterface
  public interface Audit {
    void record(StoredInstance instance) throws Exception;
  }

  /**
   * WADO-RS frames ({@code :frames} in the route) of an instance another view resolves and audits
   * its own way: a research project's de-identified view serves the stored pixels through this, as
   * de-identification leaves Pixel Data as it is. {@code tagKey} goes into the ETag (and the
   * multipart boundary made from it): a view's secret, so that its tags cannot be matched with
   * another view's, or the clinical one's, for the same instance.
   */
  public void frames(RoutingContext ctx, Located instance, Audit audit, String tagKey) {
    frames.frames(ctx, instance, audit, tagKey);
  }

  /** A frame list from the path ({@code 1,3,5}): 1-based, at most 10,000, no repeats; 400 otherwise. */
  public static int[] frameNumbers(String list) {
    return WadoFrames.frameList(list);
  }

  /** How the instances go out: one multipart/related body, or (instance level) one application/dicom body. */
  enum Packaging { MULTIPART, SINGLE }

  /** How the client asked for them: packaged so, as stored or transcoded to Explicit VR Little Endian. */
  record Plan(Packaging packaging, boolean transcode) {}

  /** The most a transcoded answer may hold in memory: larger ones are asked series by series. */
  static final long MAX_TRANSCODED_BYTES = 512L << 20;

  private record Found(List<StoredInstance> instances, Plan plan, List<byte[]> transcoded) {}

  private void instances(RoutingContext ctx) {
    WadoRequest rq = WadoRequest.of(ctx);
    List<MediaRange> accept = MediaRange.parse(ctx.request().getHeader("Accept"));
    retrieve.respond(ctx, () -> {
      List<StoredInstance> found = retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop());
      if (found.isEmpty()) throw rq.notFound();
      Plan plan = negotiate(accept, found, rq.sop() != null);
      if (plan == null) {
        throw WadoRequest.notAcceptable("Imago sends instances as stored (" + found.get(0).transferSyntaxUid()
            + ") or in Explicit VR Little Endian (" + Transcoder.TARGET + "): ask for multipart/related; "
            + "type=\"application/dicom\"; transfer-syntax=* or transfer-syntax=" + Transcoder.TARGET + " (PS3.18 §8.7.3)");
      }
      List<byte[]> transcoded = plan.transcode() ? transcode(found) : null;
      access.record(rq.caller(), "retrieve", Access.Via.WADO_RS, rq.remote(), WadoRequest.items(found));
      return new Found(found, plan, transcoded);
    }, f -> send(ctx, f));
  }

  /**
   * Each instance in Explicit VR Little Endian: null for one stored so (it is sent from the store
   * as it is), rewritten in memory otherwise.
   */
  private List<byte[]> transcode(List<StoredInstance> instances) throws Exception {
    List<byte[]> out = new java.util.ArrayList<>(instances.size());
    long total = 0;
    for (StoredInstance i : instances) {
      if (Transcoder.TARGET.equals(i.transferSyntaxUid())) {
        out.add(null);
        continue;
      }
      byte[] answer;
      try {
        answer = Transcoder.toExplicitLittleEndian(retrieve.object(i), i.transferSyntaxUid(), retrieve.layout(i));
      } catch (FrameDecoder.UndecodableException e) {
        throw WadoRequest.notAcceptable("instance " + i.sopInstanceUid() + " cannot be sent in " + Transcoder.TARGET
            + ": " + e.getMessage() + "; it can be as stored (transfer-syntax=*)");
      }
      total += answer.length;
      if (total > MAX_TRANSCODED_BYTES) {
        throw WadoRequest.notAcceptable("transcoded, these " + instances.size() + " instances exceed "
            + (MAX_TRANSCODED_BYTES >> 20) + " MiB: ask series by series, or as stored (transfer-syntax=*)");
      }
      out.add(answer);
    }
    return out;
  }

  private void send(RoutingContext ctx, Found f) {
    Plan plan = f.plan();
    String etag = Validators.etag("instances", plan.packaging().name() + (plan.transcode() ? "/" + Transcoder.TARGET : ""),
        f.instances());
    List<List<Body.Segment>> contents = new java.util.ArrayList<>();
    List<String> syntaxes = new java.util.ArrayList<>();
    for (int k = 0; k < f.instances().size(); k++) {
      StoredInstance i = f.instances().get(k);
      byte[] transcoded = plan.transcode() ? f.transcoded().get(k) : null;
      contents.add(transcoded != null ? List.of(Body.Literal.of(transcoded))
          : List.of(new Body.Stored(i.objectKey(), 0, i.objectSize())));
      syntaxes.add(plan.transcode() ? Transcoder.TARGET : i.transferSyntaxUid());
    }
    if (plan.packaging() == Packaging.SINGLE) {
      retrieve.sender().send(ctx.request(), "application/dicom; transfer-syntax=" + syntaxes.get(0), Body.of(contents.get(0)),
          etag);
      return;
    }
    Body.Multipart multipart = new Body.Multipart(Validators.boundary(etag));
    for (int k = 0; k < contents.size(); k++) {
      multipart.part(List.of("Content-Type: application/dicom; transfer-syntax=" + syntaxes.get(k)), contents.get(k));
    }
    retrieve.sender().send(ctx.request(), multipart.contentType("application/dicom"), multipart.finish(), etag);
  }

  /**
   * PS3.18 §8.7.3: multipart/related of application/dicom, in the stored syntax when the range
   * names none or {@code *}, or names the one every instance is stored in; transcoded when it
   * names Explicit VR Little Endian and some instance is stored otherwise. (PS3.18 makes Explicit
   * VR Little Endian the default when no syntax is named; Imago sends what it stores then, as
   * viewers expect, and transcodes only when asked.) A bare application/dicom is taken at
   * instance level. Null: nothing acceptable.
   */
  static Plan negotiate(List<MediaRange> accept, List<StoredInstance> instances, boolean instanceLevel) {
    for (MediaRange r : accept) {
      if (r.isWildcard() || r.type().equals("multipart/*")) return new Plan(Packaging.MULTIPART, false);
      String ts = r.transferSyntax();
      boolean asStored = ts == null || ts.equals("*") || instances.stream().allMatch(i -> ts.equals(i.transferSyntaxUid()));
      boolean transcode = !asStored && Transcoder.TARGET.equals(ts);
      if (!asStored && !transcode) continue;
      if (r.type().equals("multipart/related") && (r.partType() == null || r.partType().equals("application/dicom"))) {
        return new Plan(Packaging.MULTIPART, transcode);
      }
      if (instanceLevel && r.type().equals("application/dicom")) return new Plan(Packaging.SINGLE, transcode);
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
