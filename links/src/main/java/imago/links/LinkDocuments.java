package imago.links;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Uids;
import imago.storage.index.Index;
import imago.storage.index.StoredInstance;
import imago.storage.links.Link;
import imago.storage.object.ObjectStore;
import imago.storage.results.AiResults;
import imago.web.Blocking;
import imago.web.Params;
import imago.web.Problem;
import imago.web.PublicUrl;
import imago.web.ResponseStream;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The documents a link opens besides the viewer: the FHIR Bundle ({@code fhir}), the KOS manifest ({@code kos}) and, with the
 * {@code download} right, the study as a zip with a DICOMDIR ({@code download}), streamed.
 */
final class LinkDocuments {
  static final int KOS_SERIES_NUMBER = 9990;

  /**
   * Zip downloads write on threads of their own, one each and none queued: a slow client waits on
   * one of these, never on a shared worker; past them the next download is told to come back.
   */
  static final int MAX_DOWNLOADS = 16;

  private final Index index;
  private final ObjectStore store;
  private final PublicUrl address;
  private final LinkFhir fhir;
  private final WorkerExecutor downloads;
  private final AtomicInteger downloading = new AtomicInteger();

  LinkDocuments(Vertx vertx, Index index, ObjectStore store, AiResults aiResults, PublicUrl address) {
    this.downloads = vertx.createSharedWorkerExecutor("imago-link-download", MAX_DOWNLOADS);
    this.index = index;
    this.store = store;
    this.address = address;
    this.fhir = new LinkFhir(index, aiResults);
  }

  /**
   * GET fhir: a FHIR R4 Bundle (Patient, ImagingStudy with a WADO-RS and an IID Endpoint through
   * this link, and the AI results as a DiagnosticReport with Observations), rebuilt at each request
   * so results that attached since are in it; {@code meta.versionId} counts them.
   */
  void fhir(RoutingContext ctx) {
    Link link = LinkRouter.link(ctx);
    String base = linkBase(ctx);
    Blocking.respond(ctx, () -> fhir.render(link, base + "/dicomweb", base + "/"), r ->
        ctx.response().putHeader("Content-Type", "application/fhir+json; fhirVersion=4.0").putHeader("Cache-Control", "no-store")
            .putHeader("ETag", "W/\"" + r.version() + "\"").end(r.json()));
  }

  /** The link's public address, e.g. {@code https://imago.example.org/l/TOKEN}. */
  String linkBase(RoutingContext ctx) {
    return address.of(ctx.request()) + "/l/" + ctx.pathParam("token");
  }

  /** GET kos: an XDS-I.b manifest of every instance of the study, AI results included. */
  void kos(RoutingContext ctx) {
    Link link = LinkRouter.link(ctx);
    // The manifest travels through XDS-I registries: it names Imago's authenticated DICOMweb, never the
    // capability token (whoever reads the manifest would hold the study).
    String wado = address.of(ctx.request()) + "/dicomweb/studies/" + link.studyUid();
    Blocking.respond(ctx, () -> {
      StudyContents study = StudyContents.of(index, link.tenantId(), link.studyUid());
      if (study.entries().isEmpty()) throw Params.notFound("study", "study " + link.studyUid() + " has no instances");
      List<KosReference> refs = new ArrayList<>();
      for (StudyContents.Entry e : study.entries()) {
        StoredInstance s = e.stored();
        if (!KosWriter.KEY_OBJECT_SELECTION_STORAGE.equals(s.sopClassUid())) {
          refs.add(new KosReference(s.studyUid(), s.seriesUid(), s.sopClassUid(), s.sopInstanceUid()));
        }
      }
      // One KOS per state of the study: a new instance (an AI result) makes a new one.
      Instant newest = study.newest();
      String state = study.entries().size() + ":" + newest.toEpochMilli();
      KosIds ids = new KosIds(uid("kos-series:" + link.tenantId() + ":" + link.studyUid()),
          uid("kos:" + link.tenantId() + ":" + link.studyUid() + ":" + state), KOS_SERIES_NUMBER,
          study.entries().size(), newest);
      return new KosWriter().write(header(study.entries().get(0).stored()), refs, ids, uid("retrieve-location"), wado);
    }, bytes -> {
      ctx.response().putHeader("Content-Type", "application/dicom").putHeader("Cache-Control", "no-store")
          .putHeader("Content-Disposition", "attachment; filename=\"manifest.dcm\"").end(Buffer.buffer(bytes));
    });
  }

  /**
   * GET download: the study as a zip file-set with a DICOMDIR, streamed instance by instance, on the
   * download pool: however slowly clients read, the shared workers (QIDO, WADO, everything else)
   * stay free. At most {@link #MAX_DOWNLOADS} at once; the next one is told to come back.
   */
  void download(RoutingContext ctx) {
    Link link = LinkRouter.link(ctx);
    if (!link.rights().contains(Link.Right.DOWNLOAD)) {
      throw Problem.of(403, "forbidden", "Link does not allow downloads", "this link was made with rights " + link.rights())
          .exception();
    }
    if (downloading.incrementAndGet() > MAX_DOWNLOADS) {
      downloading.decrementAndGet();
      ctx.response().putHeader("Retry-After", "30");
      throw Problem.of(503, "busy", "Too many downloads", MAX_DOWNLOADS + " study downloads are running; retry in a minute")
          .exception();
    }
    HttpServerResponse response = ctx.response().setChunked(true).putHeader("Content-Type", "application/zip")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Disposition", "attachment; filename=\"study-" + link.studyUid() + ".zip\"");
    Blocking.run(downloads, () -> {
      StudyContents study = StudyContents.of(index, link.tenantId(), link.studyUid());
      List<ZipInstance> instances = new ArrayList<>();
      for (StudyContents.Entry e : study.entries()) instances.add(zipInstance(e));
      try (OutputStream out = new BufferedOutputStream(new ResponseStream(response), 256 * 1024)) {
        new DicomZipWriter().write(instances, out);
      }
      return null;
    }).onComplete(done -> {
      downloading.decrementAndGet();
      if (done.failed()) {
        // Headers are gone already: a cut connection is the only honest answer to a broken zip.
        response.reset();
      } else {
        response.end();
      }
    });
  }

  private ZipInstance zipInstance(StudyContents.Entry e) {
    StoredInstance s = e.stored();
    return new ZipInstance(e.value("00100020"), e.value("00100010"), s.studyUid(), e.value("00080020"), e.value("00080030"),
        e.value("00200010"), e.value("00080050"), e.value("00081030"), s.seriesUid(), e.value("00080060"),
        e.intValue("00200011", 0), s.sopClassUid(), s.sopInstanceUid(), s.transferSyntaxUid(), e.intValue("00200013", 0),
        () -> store.get(s.objectKey()).orElseThrow(() -> new IOException("object " + s.objectKey() + " is missing")));
  }

  /** Patient and study modules for the KOS, read from one stored instance (up to its pixel data). */
  private AttributeList header(StoredInstance s) throws IOException, DicomException {
    try (InputStream in = store.get(s.objectKey()).orElseThrow(() -> new IOException("object missing: " + s.objectKey()));
         DicomInputStream dicom = new DicomInputStream(in)) {
      AttributeList list = new AttributeList();
      list.read(dicom, TagFromName.PixelData);
      return list;
    }
  }

  private static String uid(String name) {
    return Uids.fromUuid(UUID.nameUUIDFromBytes(("imago:" + name).getBytes(StandardCharsets.UTF_8)));
  }
}
