package imago.app;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import com.pixelmed.network.PresentationContextListFactory;
import com.pixelmed.network.StorageSOPClassSCU;
import imago.core.config.Config;
import imago.core.synthetic.ChestPhantoms;
import imago.core.tenant.Caller;
import imago.core.tenant.Tenant;
import imago.node.NodeConfig;
import imago.storage.StorageConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code imago demo}: beside a running {@code imago serve}, shows the whole path in about a minute.
 * It registers and activates the three demo models shipped in the app (classification, detection,
 * segmentation: small copies of the reference models, trained on the same synthetic phantoms),
 * writes three synthetic chest studies under {@code {data}/demo/}, pushes them over DIMSE as one of
 * the tenant's AE titles, waits for every AI result with a progress line, creates an FSE link and
 * prints where to look: the viewer, the link and the console. No Python, no download.
 */
final class DemoCommand {
  /** The shipped demo models (app resources imago/demo/models/NAME: manifest.json and the artifact). */
  static final List<DemoModel> MODELS = List.of(
      new DemoModel("demo-lesion-cls", "model.onnx", "CR"),
      new DemoModel("demo-lesion-det", "model.pt", "CR"),
      new DemoModel("demo-nodule-seg", "model.pt", "CT"));
  static final String VERSION = "1.0.0";
  private static final Duration WAIT = Duration.ofMinutes(4);
  /** Job states a job does not leave: a result, a failure, or out of attempts. */
  private static final java.util.Set<String> FINISHED = java.util.Set.of("done", "failed", "dead");

  record DemoModel(String name, String artifact, String modality) {
    byte[] read(String file) throws IOException {
      try (InputStream in = DemoCommand.class.getResourceAsStream("/imago/demo/models/" + name + "/" + file)) {
        if (in == null) throw new IOException("demo model " + name + " is missing " + file + " (a broken build?)");
        return in.readAllBytes();
      }
    }
  }

  private final Config config;
  private final PrintStream out;
  private final Tenant tenant;
  private final ApiClient admin;
  private final ApiClient region;

  private DemoCommand(Config config, Tenant tenant, ApiClient admin, ApiClient region, PrintStream out) {
    this.config = config;
    this.tenant = tenant;
    this.admin = admin;
    this.region = region;
    this.out = out;
  }

  static int run(Config config, Map<String, String> options, PrintStream out) throws Exception {
    List<Tenant> tenants = Imago.tenants(config).all();
    String id = options.getOrDefault("tenant", tenants.get(0).id());
    Tenant tenant = tenants.stream().filter(t -> t.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no tenant " + id + " in the configuration"));
    if (tenant.aeTitles().isEmpty()) throw new IllegalArgumentException("tenant " + id + " has no AE title to push as");
    // The demo activates its models for every hospital of this Imago: on a shared index, that would put
    // toy models' findings into real patients' studies.
    String url = config.section("storage", StorageConfig.class).db().url();
    if (url != null && !url.isBlank() && !url.startsWith("jdbc:h2:") && !options.containsKey("force")) {
      throw new IllegalArgumentException("imago demo activates its demo models for every hospital of this Imago, and this one "
          + "shares an external index (" + url.replaceAll("//[^@/]*@", "//") + "): run it on a trial installation, or add "
          + "--force if this one has no real patients");
    }
    Map<String, String> scoped = new LinkedHashMap<>(options);
    scoped.put("tenant", tenant.id());
    DemoCommand demo = new DemoCommand(config, tenant, ApiClient.of(config, scoped, Caller.Role.ADMIN, out),
        ApiClient.of(config, scoped, Caller.Role.REGION, out), out);
    return demo.run();
  }

  private int run() throws Exception {
    long started = System.nanoTime();
    out.println("Imago demo for tenant " + tenant.id() + " (" + tenant.name() + ")");
    out.println("1/4 models: registering and activating " + MODELS.size() + " demo models");
    for (DemoModel m : MODELS) {
      if (!ensureActive(m)) return 1;
    }

    out.println("2/4 studies: writing synthetic chest studies");
    Path dir = config.dataDir().resolve("demo").resolve(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(LocalDateTime.now()));
    long seed = System.nanoTime();
    List<ChestPhantoms.Study> studies = List.of(
        ChestPhantoms.ct(new ChestPhantoms.Patient("DEMO-CT1", "Demo^Nodulo", "F", "19560312"), true, seed),
        ChestPhantoms.radiograph(new ChestPhantoms.Patient("DEMO-RX1", "Demo^Lesione", "M", "19610704"), true, seed + 1),
        ChestPhantoms.radiograph(new ChestPhantoms.Patient("DEMO-RX2", "Demo^Normale", "F", "19720119"), false, seed + 2));
    List<Path> files = new ArrayList<>();
    for (ChestPhantoms.Study s : studies) {
      Path studyDir = Files.createDirectories(dir.resolve(s.modality() + "-" + s.studyUid()));
      for (int i = 0; i < s.instances().size(); i++) {
        Path f = studyDir.resolve(String.format("%03d.dcm", i + 1));
        Files.write(f, s.instances().get(i));
        files.add(f);
      }
      out.printf("  %-3s %-10s %2d instance(s)  study %s%n", s.modality(), s.description(), s.instances().size(), s.studyUid());
    }
    out.println("  written under " + dir);

    out.println("3/4 push: C-STORE to " + calledAe() + " at 127.0.0.1:" + dicomPort() + " as " + tenant.aeTitles().get(0));
    if (!push(files)) return 1;

    int expected = 0;
    for (ChestPhantoms.Study s : studies) {
      for (DemoModel m : MODELS) if (m.modality().equals(s.modality())) expected++;
    }
    out.println("4/4 inference: waiting for " + expected + " AI results (studies count as finished after "
        + config.section("node", NodeConfig.class).stableQuietPeriod().toSeconds() + " s without new images)");
    Map<String, JsonArray> jobs = awaitJobs(studies, expected);
    if (jobs == null) return 1;
    int done = 0;
    int failed = 0;
    for (ChestPhantoms.Study s : studies) {
      for (Object o : jobs.get(s.studyUid())) {
        JsonObject j = (JsonObject) o;
        boolean ok = "done".equals(j.getString("state"));
        if (ok) done++;
        else failed++;
        out.printf("  %-3s %-16s %-7s %s%n", s.modality(), j.getJsonObject("model").getString("name"), j.getString("state"),
            ok ? summary(j.getJsonObject("result")) : j.getString("reason", ""));
      }
    }

    ChestPhantoms.Study ct = studies.get(0);
    HttpResponse<String> link = admin.send(admin.request("/fse/links").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", ct.studyUid()).put("ttl", "P7D").encode()))
        .build());
    if (link.statusCode() != 201) return admin.problem(link);
    String linkUrl = new JsonObject(link.body()).getString("url") + "/";
    String base = admin.base();
    String radiologist = TokenCommand.mint(config, tenant.id(), Caller.Role.RADIOLOGIST, Duration.ofHours(12),
        "demo:radiologist@" + tenant.id());
    String operator = TokenCommand.mint(config, tenant.id(), Caller.Role.ADMIN, Duration.ofHours(12), "demo:admin@" + tenant.id());
    out.printf("%nDone in %s: %d studies pushed, %d AI results%s.%n", ProgressLine.duration((System.nanoTime() - started) / 1e9),
        studies.size(), done, failed == 0 ? "" : ", " + failed + " failed");
    out.println("Open:");
    out.println("  viewer    " + base + "/viewer/viewer?StudyInstanceUIDs=" + ct.studyUid() + " ");
    out.println("            the CT with the nodule segmentation; sign in with the radiologist token below");
    out.println("  FSE link  " + linkUrl + " ");
    out.println("            what the health record opens: the same study and its AI findings, no sign-in, 7 days");
    out.println("  console   " + base + "/ ");
    out.println("            the service at a glance; sign in with the admin token below");
    out.println("radiologist token (12 h): " + radiologist);
    out.println("admin token (12 h):       " + operator);
    return failed == 0 ? 0 : 1;
  }

  /** Registers the model unless this version exists, waits for its validation, activates it as primary. */
  private boolean ensureActive(DemoModel m) throws IOException, InterruptedException {
    String path = "/models/" + m.name() + "/versions/" + VERSION;
    HttpResponse<String> r = admin.send(admin.request(path).GET().build());
    if (r.statusCode() == 404) {
      r = admin.send(ModelsCommand.upload(admin, HttpRequest.BodyPublishers.ofByteArray(m.read("manifest.json")), m.artifact(),
          HttpRequest.BodyPublishers.ofByteArray(m.read(m.artifact()))));
      if (r.statusCode() != 201 && r.statusCode() != 202) return admin.problem(r) == 0;
    } else if (r.statusCode() != 200) {
      return admin.problem(r) == 0;
    }
    JsonObject v = new JsonObject(r.body());
    Instant deadline = Instant.now().plus(WAIT);
    while ("registered".equals(v.getString("state")) && Instant.now().isBefore(deadline)) {
      Thread.sleep(250);
      r = admin.send(admin.request(path).GET().build());
      if (r.statusCode() != 200) return admin.problem(r) == 0;
      v = new JsonObject(r.body());
    }
    String state = v.getString("state");
    if ("validated".equals(state) || "retired".equals(state) || ("active".equals(state) && !"primary".equals(v.getString("mode")))) {
      r = region.send(region.request(path + "/activate").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"mode\": \"primary\"}")).build());
      if (r.statusCode() != 200) return region.problem(r) == 0;
      v = new JsonObject(r.body());
    } else if (!"active".equals(state)) {
      out.printf("  %s %s is %s: %s%n", m.name(), VERSION, state, v.getString("reason", "validation did not finish in time"));
      return false;
    }
    JsonObject manifest = v.getJsonObject("manifest");
    out.printf("  %-16s %s %-14s %-11s active (%s)%n", m.name(), VERSION, manifest.getString("task"),
        manifest.getString("framework"), v.getString("mode"));
    return true;
  }

  /** One association, every file; false (with what failed) unless each was stored. */
  private boolean push(List<Path> files) throws Exception {
    SetOfDicomFiles set = new SetOfDicomFiles();
    for (Path f : files) set.add(f.toString());
    ProgressLine progress = new ProgressLine(out, "instances");
    AtomicInteger failed = new AtomicInteger();
    MultipleInstanceTransferStatusHandler handler = new MultipleInstanceTransferStatusHandler() {
      @Override
      public void updateStatus(int remaining, int completed, int failedSoFar, int warning, String sop) {
        failed.set(failedSoFar);
        progress.show(completed + failedSoFar + warning, files.size(), failedSoFar == 0 ? "" : failedSoFar + " failed");
      }
    };
    Association association;
    try {
      association = AssociationFactory.createNewAssociation("127.0.0.1", dicomPort(), calledAe(), tenant.aeTitles().get(0),
          PresentationContextListFactory.createNewPresentationContextList(set, 0), null, false);
    } catch (IOException | DicomNetworkException e) {
      out.println("  no association: " + e.getMessage() + " (is `./imago serve` running with its DICOM port open?)");
      return false;
    }
    try {
      new StorageSOPClassSCU(association, set, handler);
    } finally {
      try {
        association.release();
      } catch (DicomNetworkException e) {
        out.println("  the association did not end cleanly: " + e.getMessage());
      }
    }
    progress.end();
    if (failed.get() > 0) {
      out.println("  " + failed.get() + " instance(s) were refused: see the serve log");
      return false;
    }
    return true;
  }

  /** Each study's jobs once all {@code expected} have finished (done or failed); null after {@link #WAIT}. */
  private Map<String, JsonArray> awaitJobs(List<ChestPhantoms.Study> studies, int expected) throws Exception {
    ProgressLine progress = new ProgressLine(out, "results");
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      Map<String, JsonArray> jobs = new LinkedHashMap<>();
      int total = 0;
      int finished = 0;
      int running = 0;
      for (ChestPhantoms.Study s : studies) {
        HttpResponse<String> r = admin.send(admin.request("/inference/jobs?studyUID="
            + URLEncoder.encode(s.studyUid(), StandardCharsets.UTF_8)).GET().build());
        if (r.statusCode() != 200) {
          progress.end();
          admin.problem(r);
          return null;
        }
        JsonArray list = new JsonArray(r.body());
        jobs.put(s.studyUid(), list);
        for (Object o : list) {
          String state = ((JsonObject) o).getString("state");
          total++;
          if (FINISHED.contains(state)) finished++;
          if ("running".equals(state)) running++;
        }
      }
      String detail = total == 0 ? "waiting for the studies to be complete" : running + " running";
      progress.show(finished, Math.max(expected, total), detail);
      if (total >= expected && finished == total) {
        progress.end();
        return jobs;
      }
      if (Instant.now().isAfter(deadline)) {
        progress.end();
        out.println("  not every result arrived in " + WAIT.toMinutes() + " min; `./imago inference results STUDY_UID` shows "
            + "where each study stands");
        return null;
      }
      Thread.sleep(500);
    }
  }

  /** One line of a result's findings: what the model said, in a few words. */
  static String summary(JsonObject result) {
    if (result == null) return "";
    List<String> parts = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    for (Object o : result.getJsonArray("findings", new JsonArray())) {
      JsonObject f = (JsonObject) o;
      String finding = String.format(java.util.Locale.ROOT, "%s (p %.2f)", f.getString("label"), f.getDouble("probability", 0.0));
      if (f.getBoolean("present", false)) parts.add(finding);
      else absent.add(finding);
    }
    if (parts.isEmpty() && !absent.isEmpty()) parts.add("nothing found: " + String.join(", ", absent));
    int boxes = result.getJsonArray("regions", new JsonArray()).size();
    if (result.containsKey("regions")) parts.add(boxes + (boxes == 1 ? " box" : " boxes"));
    for (Object o : result.getJsonArray("segments", new JsonArray())) {
      JsonObject s = (JsonObject) o;
      Double volume = s.getDouble("volumeMm3");
      parts.add(String.format(java.util.Locale.ROOT, "%s %d voxels%s", s.getString("label"), s.getLong("pixels", 0L),
          volume == null ? "" : String.format(java.util.Locale.ROOT, ", %.1f ml", volume / 1000.0)));
    }
    return String.join("; ", parts);
  }

  private int dicomPort() {
    return RunFile.of(config).dicomPort();
  }

  private String calledAe() {
    return config.section("node", NodeConfig.class).aeTitle();
  }
}
