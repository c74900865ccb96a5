package imago.node.dicomweb.wado;

import imago.storage.index.StoredInstance;
import imago.web.Access;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * WADO-RS rendered and thumbnail resources (PS3.18 §10.4.1.1.6-7): one frame as a consumer image,
 * JPEG by default or PNG/GIF when asked (Accept, or the {@code accept} query parameter), windowed
 * and fitted to {@code viewport}. A thumbnail of a series or study is its middle image's.
 */
final class WadoRendered {
  private final WadoRetrieve retrieve;
  private final Access access;

  WadoRendered(WadoRetrieve retrieve, Access access) {
    this.retrieve = retrieve;
    this.access = access;
  }

  void rendered(RoutingContext ctx) {
    render(ctx, false);
  }

  void thumbnail(RoutingContext ctx) {
    render(ctx, true);
  }

  private void render(RoutingContext ctx, boolean thumbnail) {
    WadoRequest rq = WadoRequest.of(ctx);
    String framesParam = ctx.pathParam("frames");
    int[] frames = framesParam == null ? new int[] {1} : WadoFrames.frameList(framesParam);
    if (frames.length != 1) {
      throw WadoRequest.problem(400, "bad-request", "One frame at a time", "rendered frames are served one per request");
    }
    Rendering rendering;
    try {
      rendering = rendering(ctx, thumbnail);
    } catch (Rendering.BadParameterException e) {
      throw WadoRequest.problem(400, "bad-request", "Bad rendering parameter", e.getMessage());
    }
    if (rendering.mediaType() == null) {
      throw WadoRequest.notAcceptable("rendered images are image/jpeg, image/png or image/gif");
    }
    String action = thumbnail ? "thumbnail" : "rendered";
    retrieve.respond(ctx, () -> {
      StoredInstance i = pick(retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop()), rq);
      String variant = frames[0] + "\n" + rendering.mediaType() + "\n" + ctx.request().query();
      String etag = Validators.etag(action, variant, List.of(i));
      // a client holding this image gets 304, and nothing is decoded or rendered for it
      byte[] image = Validators.notModified(ctx.request(), etag) ? null
          : retrieve.rendered().get(etag, () -> image(i, frames[0], rendering));
      access.record(rq.caller(), action, Access.Via.WADO_RS, rq.remote(), WadoRequest.items(List.of(i)));
      return new Image(etag, image);
    }, image -> {
      if (image.bytes() == null) {
        Validators.notModifiedAnswer(ctx.response(), image.etag());
        return;
      }
      Validators.headers(ctx.response(), image.etag()).putHeader("Content-Type", rendering.mediaType())
          .end(Buffer.buffer(image.bytes()));
    });
  }

  /** A rendered answer: its ETag, and its bytes (null: 304). */
  private record Image(String etag, byte[] bytes) {}

  /** Renders one frame of one instance (blocking); 404 without such a frame, 406 when it cannot be decoded. */
  byte[] image(StoredInstance i, int frame, Rendering rendering) throws Exception {
    PixelLayout layout = retrieve.layout(i);
    if (!layout.hasPixelData()) {
      throw WadoRequest.notAcceptable("the instance has no pixel data to render");
    }
    if (frame > layout.numberOfFrames()) {
      throw WadoRequest.problem(404, "not-found", "No such frame", "the instance has " + layout.numberOfFrames() + " frame(s)");
    }
    try {
      return Renderer.render(retrieve.pixels(i, layout, frame), layout, rendering);
    } catch (FrameDecoder.UndecodableException e) {
      throw WadoRequest.notAcceptable(e.getMessage());
    }
  }

  private static Rendering rendering(RoutingContext ctx, boolean thumbnail) throws Rendering.BadParameterException {
    String acceptParam = ctx.request().getParam("accept");
    List<MediaRange> accept = MediaRange.parse(acceptParam != null ? acceptParam : ctx.request().getHeader("Accept"));
    int[] viewport = Rendering.viewport(ctx.request().getParam("viewport"));
    if (thumbnail && viewport[0] == 0 && viewport[1] == 0) {
      viewport = new int[] {Rendering.THUMBNAIL_SIZE, Rendering.THUMBNAIL_SIZE};
    }
    return new Rendering(Rendering.mediaType(accept), Rendering.window(ctx.request().getParam("window")),
        viewport[0], viewport[1], Rendering.quality(ctx.request().getParam("quality")));
  }

  /** The instance itself, or a series' (a study's first series') middle instance. */
  private static StoredInstance pick(List<StoredInstance> found, WadoRequest rq) {
    if (found.isEmpty()) throw rq.notFound();
    if (found.size() == 1) return found.get(0);
    String series = found.get(0).seriesUid();
    List<StoredInstance> first = new ArrayList<>();
    for (StoredInstance i : found) if (i.seriesUid().equals(series)) first.add(i);
    return first.get(first.size() / 2);
  }
}
