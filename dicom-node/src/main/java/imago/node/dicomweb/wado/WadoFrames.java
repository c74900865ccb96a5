package imago.node.dicomweb.wado;

import imago.core.dicom.Uids;
import imago.storage.index.StoredInstance;
import imago.web.Access;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * WADO-RS frames and Pixel Data bulk data (PS3.18 §10.4.1.1.4-5). Native frames are byte ranges
 * of the stored object (one ranged S3 read each); compressed frames go out as stored, as their
 * fragments, when the client accepts that syntax; otherwise they are decoded to
 * application/octet-stream where PixelMed can, and 406 where it cannot.
 */
final class WadoFrames {
  private static final int MAX_FRAMES_PER_REQUEST = 10_000;
  private static final String OCTET = TransferSyntaxes.OCTET_STREAM;
  private static final String PIXEL_DATA = "7FE00010";

  private final WadoRetrieve retrieve;
  private final Access access;

  WadoFrames(WadoRetrieve retrieve, Access access) {
    this.retrieve = retrieve;
    this.access = access;
  }

  /** How the frames go out. */
  enum Mode { STORED, DECODED }

  private record Part(String contentType, List<Body.Segment> content) {}

  /** What a frames or bulk data request answers; {@code etag} null: untagged (no parts: 304). */
  private record Answer(boolean multipart, String partType, List<Part> parts, String etag) {
    Answer(boolean multipart, String partType, List<Part> parts) {
      this(multipart, partType, parts, null);
    }

    Answer tagged(String tag) {
      return new Answer(multipart, partType, parts, tag);
    }
  }

  void frames(RoutingContext ctx) {
    WadoRequest rq = WadoRequest.of(ctx);
    frames(ctx, () -> instance(rq),
        i -> access.record(rq.caller(), "frames", Access.Via.WADO_RS, rq.remote(), WadoRequest.items(List.of(i))), "");
  }

  /**
   * The frames of the instance {@code located} finds (blocking, may throw a problem), recorded by
   * {@code audit} before they go out.
   */
  void frames(RoutingContext ctx, WadoRs.Located located, WadoRs.Audit audit, String tagKey) {
    int[] numbers = frameList(ctx.pathParam("frames"));
    List<MediaRange> accept = MediaRange.parse(ctx.request().getHeader("Accept"));
    retrieve.respond(ctx, () -> {
      StoredInstance i = located.instance();
      String variant = tagKey + "\n" + ctx.pathParam("frames") + "\n" + ctx.request().getHeader("Accept");
      String etag = Validators.etag("frames", variant, List.of(i));
      if (Validators.notModified(ctx.request(), etag)) {
        audit.record(i);
        return new Answer(false, null, List.of(), etag); // nothing read or decoded: the client has these frames
      }
      PixelLayout layout = retrieve.layout(i);
      Answer answer = answer(i, layout, numbers, accept).tagged(etag);
      audit.record(i);
      return answer;
    }, a -> send(ctx, a));
  }

  /**
   * Pixel Data, or a top-level binary value too large to be inline in the metadata (its
   * BulkDataURI leads here): the stored bytes of its value, as they are in the object.
   */
  void bulkdata(RoutingContext ctx) {
    WadoRequest rq = WadoRequest.of(ctx);
    String tag = ctx.pathParam("tag").toUpperCase(Locale.ROOT);
    if (!tag.matches("[0-9A-F]{8}")) throw WadoRequest.problem(404, "not-found", "No such bulk data", "a tag is 8 hex digits");
    if (!PIXEL_DATA.equals(tag)) {
      retrieve.respond(ctx, () -> {
        StoredInstance i = instance(rq);
        long[] range = BulkValue.locate(retrieve, i, Integer.parseUnsignedInt(tag, 16))
            .orElseThrow(() -> WadoRequest.problem(404, "not-found", "No such bulk data",
                "the instance has no top-level binary value " + tag + " stored as bulk data"));
        access.record(rq.caller(), "bulkdata", Access.Via.WADO_RS, rq.remote(), WadoRequest.items(List.of(i)));
        return new Answer(true, OCTET, List.of(new Part(OCTET, List.of(new Body.Stored(i.objectKey(), range[0], range[1])))));
      }, a -> send(ctx, a));
      return;
    }
    List<MediaRange> accept = MediaRange.parse(ctx.request().getHeader("Accept"));
    retrieve.respond(ctx, () -> {
      StoredInstance i = instance(rq);
      PixelLayout layout = retrieve.layout(i);
      Answer answer;
      if (!layout.encapsulated() && TransferSyntaxes.isNativeLittleEndian(i.transferSyntaxUid())
          && layout.pixelDataLength() >= 0 && storedNativeAcceptable(accept)) {
        // PS3.18 §8.7.3.3: native Pixel Data as one application/octet-stream part
        answer = new Answer(true, OCTET, List.of(new Part(OCTET + "; transfer-syntax=" + Uids.EXPLICIT_VR_LITTLE_ENDIAN,
            List.of(new Body.Stored(i.objectKey(), layout.pixelDataOffset(), layout.pixelDataLength())))));
      } else {
        int[] all = new int[layout.numberOfFrames()];
        for (int n = 0; n < all.length; n++) all[n] = n + 1;
        answer = answer(i, layout, all, accept);
      }
      access.record(rq.caller(), "bulkdata", Access.Via.WADO_RS, rq.remote(), WadoRequest.items(List.of(i)));
      return answer;
    }, a -> send(ctx, a));
  }

  private StoredInstance instance(WadoRequest rq) throws Exception {
    List<StoredInstance> found = retrieve.instances(rq.scope(), rq.study(), rq.series(), rq.sop());
    if (found.isEmpty()) throw rq.notFound();
    return found.get(0);
  }

  private static boolean storedNativeAcceptable(List<MediaRange> accept) {
    for (MediaRange r : accept) {
      if (r.isWildcard()) return true;
      String ts = r.transferSyntax();
      boolean tsOk = ts == null || ts.equals("*") || ts.equals(Uids.EXPLICIT_VR_LITTLE_ENDIAN);
      if (r.type().equals("multipart/related") && (r.partType() == null || r.partType().equals(OCTET)) && tsOk) return true;
    }
    return false;
  }

  private Answer answer(StoredInstance i, PixelLayout layout, int[] numbers, List<MediaRange> accept) throws Exception {
    if (!layout.hasPixelData()) throw WadoRequest.problem(404, "not-found", "No pixel data", "the instance has no frames");
    for (int n : numbers) {
      if (n > layout.numberOfFrames()) {
        throw WadoRequest.problem(404, "not-found", "No such frame", "the instance has " + layout.numberOfFrames() + " frame(s)");
      }
    }
    String stored = i.transferSyntaxUid();
    boolean nativeLe = !layout.encapsulated() && TransferSyntaxes.isNativeLittleEndian(stored);
    boolean addressable = (nativeLe || layout.encapsulated() && TransferSyntaxes.isEncapsulated(stored))
        && java.util.Arrays.stream(numbers).allMatch(n -> layout.frame(n) != null);
    String media = nativeLe ? OCTET : TransferSyntaxes.frameMediaType(stored);
    String ts = nativeLe ? Uids.EXPLICIT_VR_LITTLE_ENDIAN : stored;
    for (MediaRange r : accept) {
      Mode mode = mode(r, addressable, media, ts, numbers.length == 1);
      if (mode == null) continue;
      boolean multipart = !r.type().equals(media) && !r.type().equals(OCTET);
      return mode == Mode.STORED ? stored(i, layout, numbers, multipart, media, ts) : decoded(i, layout, numbers, multipart);
    }
    throw WadoRequest.notAcceptable("frames of this instance are available as " + media + "; transfer-syntax=" + ts
        + (nativeLe ? "" : " (stored), or as application/octet-stream where Imago can decode them"));
  }

  /** PS3.18 §8.7.3.5: what one media range allows; null if nothing. */
  static Mode mode(MediaRange r, boolean addressable, String media, String ts, boolean single) {
    String asked = r.transferSyntax();
    if (r.isWildcard() || r.type().equals("multipart/*")) return addressable ? Mode.STORED : Mode.DECODED;
    if (r.type().equals("multipart/related")) {
      String part = r.partType() == null ? OCTET : r.partType();
      if (addressable && (part.equals(media) || part.equals(OCTET) && "*".equals(asked))
          && (asked == null || asked.equals("*") || asked.equals(ts))) {
        return Mode.STORED;
      }
      if (part.equals(OCTET) && (asked == null || asked.equals(Uids.EXPLICIT_VR_LITTLE_ENDIAN))) return Mode.DECODED;
      return null;
    }
    // a single-part answer is possible for one frame only
    if (!single) return null;
    if (addressable && r.type().equals(media) && (asked == null || asked.equals("*") || asked.equals(ts))) {
      return Mode.STORED;
    }
    if (r.type().equals(OCTET) && (asked == null || asked.equals(Uids.EXPLICIT_VR_LITTLE_ENDIAN))) return Mode.DECODED;
    return null;
  }

  private static Answer stored(StoredInstance i, PixelLayout layout, int[] numbers, boolean multipart, String media, String ts) {
    List<Part> parts = new ArrayList<>(numbers.length);
    for (int n : numbers) {
      List<Body.Segment> content = new ArrayList<>();
      for (long[] range : layout.frame(n).ranges()) content.add(new Body.Stored(i.objectKey(), range[0], range[1]));
      parts.add(new Part(media + "; transfer-syntax=" + ts, content));
    }
    return new Answer(multipart, media, parts);
  }

  private Answer decoded(StoredInstance i, PixelLayout layout, int[] numbers, boolean multipart) throws Exception {
    List<Part> parts = new ArrayList<>(numbers.length);
    WadoRetrieve.FrameSource frames = retrieve.frames(i, layout); // a compressed object is decoded once for all of them
    for (int n : numbers) {
      Pixels pixels;
      try {
        pixels = frames.frame(n);
      } catch (FrameDecoder.UndecodableException e) {
        throw WadoRequest.notAcceptable(e.getMessage() + "; ask for the stored syntax (transfer-syntax=*)");
      }
      int bits = pixels.gray() == null ? 8 : layout.bitsAllocated() <= 8 ? 8 : layout.bitsAllocated() <= 16 ? 16 : 32;
      parts.add(new Part(OCTET + "; transfer-syntax=" + Uids.EXPLICIT_VR_LITTLE_ENDIAN,
          List.of(Body.Literal.of(pixels.toLittleEndian(bits)))));
    }
    return new Answer(multipart, OCTET, parts);
  }

  private void send(RoutingContext ctx, Answer a) {
    if (a.parts().isEmpty()) {
      Validators.notModifiedAnswer(ctx.response(), a.etag());
      return;
    }
    if (!a.multipart()) {
      Part p = a.parts().get(0);
      retrieve.sender().send(ctx.request(), p.contentType(), Body.of(p.content()), a.etag());
      return;
    }
    Body.Multipart multipart = a.etag() == null ? new Body.Multipart() : new Body.Multipart(Validators.boundary(a.etag()));
    for (Part p : a.parts()) multipart.part(List.of("Content-Type: " + p.contentType()), p.content());
    retrieve.sender().send(ctx.request(), multipart.contentType(a.partType()), multipart.finish(), a.etag());
  }

  /** {@code 1,3,5}: 1-based frame numbers (PS3.18 §8.3.3); 400 otherwise. */
  static int[] frameList(String value) {
    String[] parts = value == null ? new String[0] : value.split(",");
    if (parts.length == 0 || parts.length > MAX_FRAMES_PER_REQUEST) {
      throw WadoRequest.problem(400, "bad-request", "Bad frame list", "frames are 1-based numbers separated by commas");
    }
    int[] out = new int[parts.length];
    for (int k = 0; k < parts.length; k++) {
      try {
        out[k] = Integer.parseInt(parts[k].trim());
      } catch (NumberFormatException e) {
        out[k] = 0;
      }
      if (out[k] < 1) {
        throw WadoRequest.problem(400, "bad-request", "Bad frame list", "not a frame number: '" + parts[k] + "' (frames are 1-based)");
      }
    }
    // A frame named twice would be cut (or decoded) twice: "1,1,1,..." is an amplifier, not a request.
    if (java.util.Arrays.stream(out).distinct().count() != out.length) {
      throw WadoRequest.problem(400, "bad-request", "Bad frame list", "a frame is named more than once");
    }
    return out;
  }
}
