package imago.inference.schedule;

import imago.inference.manifest.InvalidManifestException;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.ManifestParser;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.jobs.NewJob;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stable study into jobs: every active model version (primary and shadow) whose
 * applicability matches a series gets one job for that series. Idempotent: the job's key includes
 * the series' exact instances, so a study that stabilises again unchanged creates nothing new.
 */
public final class Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  private final Index index;
  private final ModelCatalog catalog;
  private final JobQueue queue;
  private final ManifestParser parser;
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();

  public Scheduler(Index index, ModelCatalog catalog, JobQueue queue, ManifestParser parser) {
    this.index = index;
    this.catalog = catalog;
    this.queue = queue;
    this.parser = parser;
  }

  /** Creates the jobs a stable study calls for; returns those created now. */
  public List<Job> studyStable(String tenantId, String studyUid) throws SqlUnavailableException {
    List<ModelVersion> active = catalog.list(null, null, ModelState.ACTIVE);
    if (active.isEmpty()) return List.of();
    return schedule(tenantId, studyUid, active, null);
  }

  /** Jobs of one model version on one study, for a re-run or backfill ({@code runId}). */
  public List<Job> schedule(String tenantId, String studyUid, List<ModelVersion> versions, Long runId)
      throws SqlUnavailableException {
    return schedule(tenantId, studyUid, versions, runId, false);
  }

  /**
   * Jobs of {@code version} on one study for an evaluation on a research cohort: whatever the
   * version's mode, their result is JSON only (as a shadow job's: nothing written into the study),
   * and none is made for a series a job of this version already covers as the series is now.
   */
  public List<Job> evaluate(String tenantId, String studyUid, ModelVersion version) throws SqlUnavailableException {
    return schedule(tenantId, studyUid, List.of(version), null, true);
  }

  private List<Job> schedule(String tenantId, String studyUid, List<ModelVersion> versions, Long runId, boolean evaluation)
      throws SqlUnavailableException {
    List<Job> existing = evaluation ? queue.ofStudy(tenantId, studyUid) : List.of();
    List<NewJob> jobs = new ArrayList<>();
    for (SeriesFacts s : series(tenantId, studyUid)) {
      for (ModelVersion v : versions) {
        Optional<Manifest> m = manifest(v);
        if (m.isEmpty()) continue;
        String why = ApplicabilityRule.mismatch(m.get().applicability(), s);
        if (why != null) {
          LOG.debug("event=job.skipped model={}:{} series={} why=\"{}\"", v.name(), v.version(), s.seriesUid(), why);
          continue;
        }
        if (evaluation && existing.stream().anyMatch(j -> j.modelName().equals(v.name()) && j.modelVersion().equals(v.version())
            && j.seriesUid().equals(s.seriesUid()) && j.inputKey().equals(s.inputKey()) && j.state() != JobState.DEAD)) {
          continue;
        }
        jobs.add(new NewJob(tenantId, studyUid, s.seriesUid(), v.name(), v.version(), s.inputKey(), s.instances(), runId,
            evaluation || ModelVersion.SHADOW.equals(v.mode())));
      }
    }
    if (jobs.isEmpty()) return List.of();
    List<Job> created = queue.enqueue(jobs);
    for (Job j : created) {
      LOG.info("event=job.queued job={} tenant={} study={} series={} model={}:{} instances={}", j.id(), j.tenantId(),
          j.studyUid(), j.seriesUid(), j.modelName(), j.modelVersion(), j.instances());
    }
    return created;
  }

  private Optional<Manifest> manifest(ModelVersion v) {
    String key = v.name() + ":" + v.version();
    Manifest m = manifests.get(key);
    if (m != null) return Optional.of(m);
    try {
      m = parser.parse(v.manifestJson().getBytes(StandardCharsets.UTF_8));
      manifests.put(key, m);
      return Optional.of(m);
    } catch (InvalidManifestException e) {
      // Registered manifests were valid when stored; a schema change could make one invalid now.
      LOG.warn("event=model.manifest.invalid model={} error=\"{}\"", key, e.getMessage());
      return Optional.empty();
    }
  }

  /** The study's series as applicability rules see them, from the index alone. */
  List<SeriesFacts> series(String tenantId, String studyUid) throws SqlUnavailableException {
    Scope scope = Scope.tenant(tenantId);
    List<StoredInstance> instances = index.instances(scope, studyUid, null, null);
    List<byte[]> metadata = index.metadata(scope, studyUid, null, null);
    Map<String, List<Integer>> bySeries = new LinkedHashMap<>();
    for (int i = 0; i < instances.size(); i++) {
      bySeries.computeIfAbsent(instances.get(i).seriesUid(), k -> new ArrayList<>()).add(i);
    }
    List<SeriesFacts> out = new ArrayList<>();
    for (Map.Entry<String, List<Integer>> e : bySeries.entrySet()) {
      TreeSet<String> keyParts = new TreeSet<>();
      TreeSet<String> sopClasses = new TreeSet<>();
      int frames = 0;
      JsonObject first = null;
      for (int i : e.getValue()) {
        StoredInstance inst = instances.get(i);
        keyParts.add(inst.sopInstanceUid() + "=" + inst.datasetSha256());
        sopClasses.add(inst.sopClassUid());
        JsonObject json = i < metadata.size() ? json(metadata.get(i)) : new JsonObject();
        if (first == null) first = json;
        SeriesFacts probe = new SeriesFacts(null, null, null, null, null, null, 0, 0, json, null);
        String nf = probe.value("00280008");
        frames += nf == null ? 1 : Math.max(1, (int) Double.parseDouble(nf));
      }
      SeriesFacts f0 = new SeriesFacts(null, null, null, null, null, null, 0, 0, first, null);
      out.add(new SeriesFacts(tenantId, studyUid, e.getKey(), f0.value("00080060"), f0.value("00180015"), sopClasses,
          e.getValue().size(), frames, first, sha256(String.join("\n", keyParts))));
    }
    return out;
  }

  private static JsonObject json(byte[] gz) {
    if (gz == null) return new JsonObject();
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("instance metadata is not gzip JSON", e);
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
