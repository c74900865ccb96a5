package imago.node.dicomweb.wado;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.MalformedDicomException;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import imago.web.Blocking;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The retrieve side of the archive as WADO-RS and WADO-URI use it, in plain blocking Java (run it
 * through {@link #blocking}): scoped instance lookups, where each object keeps its pixels (found
 * from a small ranged read and cached: stored objects never change), frames and decoded pixels.
 */
public final class WadoRetrieve implements AutoCloseable {
  /** A CT or MR header is a few KB: one ranged read of this much usually finds Pixel Data. */
  private static final int HEADER_PROBE = 64 * 1024;
  private static final int LAYOUT_CACHE = 20_000;

  private final Index index;
  private final ObjectStore store;
  private final HotCache rendered = new HotCache(128L << 20);
  private final HotCache metadata = new HotCache(128L << 20);
  private final WorkerExecutor workers;
  private final BodySender sender;
  private final Map<String, PixelLayout> layouts = Collections.synchronizedMap(
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PixelLayout> eldest) {
          return size() > LAYOUT_CACHE;
        }
      });

  public WadoRetrieve(Vertx vertx, Index index, ObjectStore store, int threads) {
    this.index = index;
    this.store = store;
    this.workers = vertx.createSharedWorkerExecutor("imago-wado", threads);
    this.sender = new BodySender(vertx, store, workers);
  }

  BodySender sender() {
    return sender;
  }

  /**
   * Runs blocking work (index, S3, decoding) on the WADO pool, then answers with its result on the
   * request's event loop; a failure fails the request (problem+json).
   */
  <T> void respond(RoutingContext ctx, Callable<T> work, Consumer<? super T> then) {
    Blocking.respond(ctx, workers, work, then);
  }

  List<StoredInstance> instances(Scope scope, String study, String series, String sop) throws SqlUnavailableException {
    return index.instances(scope, study, series, sop);
  }

  List<byte[]> metadata(Scope scope, String study, String series, String sop) throws SqlUnavailableException {
    return index.metadata(scope, study, series, sop);
  }

  /** Where the instance keeps its pixels, and its Image Pixel attributes. */
  PixelLayout layout(StoredInstance i) throws IOException {
    PixelLayout cached = layouts.get(i.objectKey());
    if (cached != null) return cached;
    PixelLayout found = scan(i);
    layouts.put(i.objectKey(), found);
    return found;
  }

  private PixelLayout scan(StoredInstance i) throws IOException {
    long rest = i.objectSize() - i.datasetOffset();
    long probe = Math.min(rest, HEADER_PROBE);
    try {
      try (InputStream in = open(i, i.datasetOffset(), probe)) {
        PixelLayout l = PixelDataLocator.scan(in, i.datasetOffset(), rest, i.transferSyntaxUid());
        if (l != null && (probe == rest || !l.encapsulated() || !l.hasPixelData())) return l;
        if (l == null) return fromPixelMed(i);
      } catch (EOFException needMore) {
        if (probe == rest) throw needMore;
      }
      // encapsulated: every fragment must be seen, so the whole data set is read once
      try (InputStream in = open(i, i.datasetOffset(), rest)) {
        return PixelDataLocator.scan(in, i.datasetOffset(), rest, i.transferSyntaxUid());
      }
    } catch (MalformedDicomException e) {
      throw new IOException("stored object " + i.objectKey() + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** A data set the header scan cannot read (deflated): PixelMed reads all of it. */
  private PixelLayout fromPixelMed(StoredInstance i) throws IOException {
    AttributeList l = read(i);
    boolean pixels = l.get(TagFromName.PixelData) != null;
    return new PixelLayout(i.transferSyntaxUid(), us(l, TagFromName.Rows, 0), us(l, TagFromName.Columns, 0),
        us(l, TagFromName.BitsAllocated, 16), us(l, TagFromName.BitsStored, 16), us(l, TagFromName.PixelRepresentation, 0),
        us(l, TagFromName.SamplesPerPixel, 1), us(l, TagFromName.PlanarConfiguration, 0),
        Attribute.getSingleStringValueOrNull(l, TagFromName.PhotometricInterpretation),
        Math.max(1, us(l, TagFromName.NumberOfFrames, 1)),
        Attribute.getDoubleValues(l, TagFromName.WindowCenter) == null ? new double[0] : Attribute.getDoubleValues(l, TagFromName.WindowCenter),
        Attribute.getDoubleValues(l, TagFromName.WindowWidth) == null ? new double[0] : Attribute.getDoubleValues(l, TagFromName.WindowWidth),
        Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleSlope, 1),
        Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleIntercept, 0),
        Attribute.getSingleStringValueOrNull(l, TagFromName.VOILUTFunction),
        pixels ? 0 : -1, -1, List.of(), new long[0]);
  }

  private static int us(AttributeList l, com.pixelmed.dicom.AttributeTag tag, int absent) {
    return Attribute.getSingleIntegerValueOrDefault(l, tag, absent);
  }

  private AttributeList read(StoredInstance i) throws IOException {
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(object(i)))) {
      AttributeList l = new AttributeList();
      l.read(in);
      return l;
    } catch (DicomException e) {
      throw new IOException("stored object " + i.objectKey() + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** The whole stored PS3.10 object (one instance: the decode path only). */
  byte[] object(StoredInstance i) throws IOException {
    try (InputStream in = open(i, 0, i.objectSize())) {
      return in.readAllBytes();
    }
  }

  /** Rendered images and thumbnails viewers ask for again, by strong ETag: 128 MiB of them at most. */
  HotCache rendered() {
    return rendered;
  }

  /** Metadata answers (a series' JSON, built from its instances' kept JSON) viewers ask for again: 128 MiB at most. */
  HotCache metadataCache() {
    return metadata;
  }

  /** Bytes [offset, offset + length) of the object. */
  byte[] range(StoredInstance i, long offset, long length) throws IOException {
    try (InputStream in = open(i, offset, length)) {
      return in.readNBytes((int) length);
    }
  }

  /** Bytes [offset, offset + length) of the object, streamed. */
  InputStream stream(StoredInstance i, long offset, long length) throws IOException {
    return open(i, offset, length);
  }

  private InputStream open(StoredInstance i, long offset, long length) throws IOException {
    return store.get(i.objectKey(), offset, length)
        .orElseThrow(() -> new FileNotFoundException("stored object " + i.objectKey() + " is missing"));
  }

  /**
   * Frame {@code n} (1-based) ready to render: native little endian frames from one ranged read,
   * everything else decoded by PixelMed.
   */
  Pixels pixels(StoredInstance i, PixelLayout layout, int n) throws IOException, FrameDecoder.UndecodableException {
    return frames(i, layout).frame(n);
  }

  /** The frames of one instance for one request. */
  interface FrameSource {
    Pixels frame(int n) throws IOException, FrameDecoder.UndecodableException;
  }

  /**
   * Frames of {@code i} for one request: native little endian frames each from a ranged read,
   * anything else from one read and one decode of the object, however many frames are taken.
   */
  FrameSource frames(StoredInstance i, PixelLayout layout) {
    boolean ranged = !layout.encapsulated() && TransferSyntaxes.isNativeLittleEndian(i.transferSyntaxUid())
        && Pixels.nativeSupported(layout);
    FrameDecoder.Decoded[] decoded = new FrameDecoder.Decoded[1];
    return n -> {
      PixelLayout.FrameRanges ranges = layout.frame(n);
      if (ranged && ranges != null) {
        long[] r = ranges.ranges().get(0);
        return Pixels.fromNative(layout, range(i, r[0], r[1]));
      }
      if (decoded[0] == null) decoded[0] = FrameDecoder.open(object(i), layout);
      return decoded[0].frame(n);
    };
  }

  @Override
  public void close() {
    workers.close();
  }
}
