package imago.node.research;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import imago.core.io.KeepOpen;
import imago.core.tenant.Caller;
import imago.storage.research.Cohort;
import imago.storage.research.ResearchProject;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Problem;
import imago.web.ResponseStream;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A project's cohort as one zip, streamed: every instance of the view de-identified, as
 * {@code patient/study/series/instance.dcm} under the project's pseudonyms and UIDs, a
 * {@code manifest.csv} listing them, a {@code README.txt} saying what was done, and with NIfTI
 * asked for, each CT, MR, PET or NM series of two images or more as {@code series.nii.gz} with its
 * BIDS sidecar, made by Debian's {@code dcm2niix} from the de-identified files (its own
 * anonymising of the sidecar on too). Exports run on threads of their own, a few at a time.
 */
public final class ResearchExport {
  private static final Logger LOG = LoggerFactory.getLogger(ResearchExport.class);
  private static final int MAX_EXPORTS = 2;
  private static final Set<String> VOLUME_MODALITIES = Set.of("CT", "MR", "PT", "NM");

  private final Cohort cohort;
  private final Path spool;
  private final String dcm2niix;
  private final WorkerExecutor exports;
  private final AtomicInteger running = new AtomicInteger();

  /** @param dcm2niix the converter's command ({@code dcm2niix} on the PATH) */
  public ResearchExport(Vertx vertx, Cohort cohort, Path spool, String dcm2niix) {
    this.cohort = cohort;
    this.spool = spool;
    this.dcm2niix = dcm2niix;
    this.exports = vertx.createSharedWorkerExecutor("imago-research-export", MAX_EXPORTS, 6, TimeUnit.HOURS);
  }

  /** GET /research/{p}/export[?nifti=true] for one of the project's researchers. */
  void send(RoutingContext ctx, ResearchRouter router, boolean nifti) {
    Caller caller = Access.caller(ctx);
    String remote = Access.remote(ctx); // read here, on the request's event loop
    Blocking.respond(ctx, () -> {
      ResearchProject p = router.researcherProject(ctx);
      List<Cohort.Member> members = cohort.members(p);
      if (members.isEmpty()) {
        throw Problem.of(409, "empty-cohort", "Nothing to export", p.consentedTenants().isEmpty()
            ? "no hospital has consented yet: each invited hospital's admin runs imago research consent " + p.name()
            : "no study of the consented hospitals matches the cohort " + p.cohort()).exception();
      }
      return new Plan(p, members);
    }, plan -> {
      if (running.incrementAndGet() > MAX_EXPORTS) {
        running.decrementAndGet();
        ctx.response().putHeader("Retry-After", "60");
        Problem.of(503, "busy", "Too many exports", MAX_EXPORTS + " exports are running; retry in a few minutes").send(ctx);
        return;
      }
      HttpServerResponse response = ctx.response().setChunked(true).putHeader("Content-Type", "application/zip")
          .putHeader("Cache-Control", "no-store")
          .putHeader("Content-Disposition", "attachment; filename=\"" + plan.project().name() + ".zip\"");
      Blocking.run(exports, () -> {
        try (OutputStream out = new BufferedOutputStream(new ResponseStream(response), 256 * 1024)) {
          write(plan.project(), plan.members(), nifti, out, study -> router.audit(caller, plan.project(), "export", remote,
              List.of(new Access.Item(study.studyUid(), null, null, study.tenantId()))));
        }
        return null;
      }).onComplete(done -> {
        running.decrementAndGet();
        if (done.failed()) {
          LOG.warn("event=research.export.failed project={} error=\"{}\"", plan.project().name(), done.cause().toString(),
              done.cause());
          response.reset(); // headers are gone: a cut connection is the only honest answer to a broken zip
        } else {
          response.end();
        }
      });
    });
  }

  private record Plan(ResearchProject project, List<Cohort.Member> members) {}

  /** Called before a study's instances are written: the audit of that study. */
  @FunctionalInterface
  interface StudyAudit {
    void exported(Cohort.Member study) throws Exception;
  }

  /** Writes the zip of {@code members} to {@code out} (flushed, left open). */
  void write(ResearchProject p, List<Cohort.Member> members, boolean nifti, OutputStream out, StudyAudit audit) throws Exception {
    ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
    zip.setLevel(Deflater.BEST_SPEED);
    StringBuilder manifest = new StringBuilder("patient,study,series,instance,modality,sop_class,file\n");
    int instances = 0;
    int volumes = 0;
    for (Cohort.Member m : members) {
      List<Cohort.Instance> all = cohort.instances(p, m, null, null);
      if (all.isEmpty()) continue;
      audit.exported(m);
      Map<String, List<Cohort.Instance>> bySeries = new LinkedHashMap<>();
      for (Cohort.Instance i : all) bySeries.computeIfAbsent(i.pseudoSeriesUid(), k -> new ArrayList<>()).add(i);
      for (List<Cohort.Instance> series : bySeries.values()) {
        String modality = text(series.get(0).header(), TagFromName.Modality);
        boolean volume = nifti && VOLUME_MODALITIES.contains(modality) && series.size() >= 2;
        Path dir = volume ? Files.createTempDirectory(Files.createDirectories(spool), "research-") : null;
        try {
          String seriesPath = null;
          for (Cohort.Instance i : series) {
            AttributeList d = cohort.deidentified(p, i);
            String patient = text(d, TagFromName.PatientID);
            seriesPath = patient + "/" + i.member().pseudoStudyUid() + "/" + i.pseudoSeriesUid();
            String file = seriesPath + "/" + i.pseudoSopUid() + ".dcm";
            zip.putNextEntry(new ZipEntry(file));
            writePart10(d, i.stored().transferSyntaxUid(), zip);
            zip.closeEntry();
            if (dir != null) {
              try (OutputStream f = new BufferedOutputStream(Files.newOutputStream(dir.resolve(i.pseudoSopUid() + ".dcm")))) {
                writePart10(d, i.stored().transferSyntaxUid(), f);
              }
            }
            manifest.append(String.join(",", patient, i.member().pseudoStudyUid(), i.pseudoSeriesUid(), i.pseudoSopUid(),
                modality, text(d, TagFromName.SOPClassUID), file)).append('\n');
            instances++;
          }
          if (dir != null) volumes += nifti(dir, seriesPath, series.get(0).pseudoSeriesUid(), zip);
        } finally {
          if (dir != null) delete(dir);
        }
      }
    }
    entry(zip, "manifest.csv", manifest.toString());
    entry(zip, "README.txt", readme(p, members.size(), instances, nifti ? volumes : -1));
    zip.finish();
    zip.flush();
  }

  /** Converts one series' de-identified files; adds what dcm2niix made; how many volumes. */
  private int nifti(Path dir, String seriesPath, String name, ZipOutputStream zip) throws IOException, InterruptedException {
    Path outDir = Files.createDirectory(dir.resolve("nifti"));
    Process proc;
    try {
      proc = new ProcessBuilder(dcm2niix, "-z", "y", "-b", "y", "-ba", "y", "-f", name, "-o", outDir.toString(), dir.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("dcm2niix.log").toFile()).start();
    } catch (IOException e) {
      throw new IOException("NIfTI asked for, but " + dcm2niix + " cannot be started (Debian package dcm2niix): "
          + e.getMessage(), e);
    }
    try {
      if (!proc.waitFor(10, TimeUnit.MINUTES)) throw new IOException("dcm2niix took over 10 minutes on series " + name);
    } finally {
      if (proc.isAlive()) proc.destroyForcibly(); // timed out, or the export was cut short
    }
    int volumes = 0;
    try (Stream<Path> made = Files.list(outDir)) {
      for (Path f : made.sorted().toList()) {
        zip.putNextEntry(new ZipEntry(seriesPath.substring(0, seriesPath.lastIndexOf('/') + 1) + f.getFileName()));
        Files.copy(f, zip);
        zip.closeEntry();
        if (f.getFileName().toString().endsWith(".nii.gz")) volumes++;
      }
    }
    if (volumes == 0) {
      LOG.warn("event=research.nifti.none series={} exit={} log=\"{}\"", name, proc.exitValue(),
          Files.readString(dir.resolve("dcm2niix.log")).replace('\n', ' ').replace('"', '\''));
    }
    return volumes;
  }

  /**
   * A de-identified instance as a PS3.10 file: in the stored transfer syntax when its Pixel Data
   * is encapsulated (kept as it was), else Explicit VR Little Endian.
   */
  static void writePart10(AttributeList dataset, String storedTransferSyntax, OutputStream out) throws IOException {
    String ts = Uids.isNative(storedTransferSyntax) ? Uids.EXPLICIT_VR_LITTLE_ENDIAN : storedTransferSyntax;
    out.write(Part10.fileMetaInformation(text(dataset, TagFromName.SOPClassUID), text(dataset, TagFromName.SOPInstanceUID), ts,
        "IMAGO"));
    try {
      dataset.write(new KeepOpen(out), ts, false, true); // PixelMed closes the stream it writes to
    } catch (DicomException e) {
      throw new IOException("cannot encode the de-identified instance: " + e.getMessage(), e);
    }
  }

  private static String readme(ResearchProject p, int studies, int instances, int volumes) {
    StringBuilder s = new StringBuilder();
    s.append("Imago research export: project ").append(p.name()).append(" (").append(p.title()).append(")\n")
        .append("Made ").append(Instant.now()).append(": ").append(count(studies, "study", "studies")).append(", ")
        .append(count(instances, "instance", "instances"))
        .append(volumes >= 0 ? ", " + count(volumes, "NIfTI volume", "NIfTI volumes") + " (dcm2niix)" : "").append(".\n\n")
        .append("Every instance is de-identified per DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile");
    if (!p.options().isEmpty()) {
      s.append(", with: ").append(String.join(", ", p.options().stream().map(o -> o.meaning()).toList()));
    }
    s.append(".\nPatients are pseudonyms (P + 16 letters) and UIDs are remapped (2.25.*) with the project's key, which stays\n"
        + "in Imago: the same patient, study or instance has the same pseudonym in every export of this project, and\n"
        + "references between instances (an SR to its image, a SEG to its source) still resolve. Instances whose pixels\n"
        + "may show identifying text were left out, or cleaned where the project has a Clean Pixel Data rule for their\n"
        + "modality. manifest.csv lists every file. Patients who opted out are not here.\n");
    return s.toString();
  }

  private static String count(int n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }

  private static void entry(ZipOutputStream zip, String name, String text) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(text.getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
  }

  private static String text(AttributeList l, com.pixelmed.dicom.AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(l, tag).trim();
  }

  private static void delete(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
    } catch (IOException e) {
      LOG.warn("event=research.spool.left path={} error=\"{}\"", dir, e.toString());
    }
  }
}
