package imago.inference.worker;

import imago.inference.manifest.Manifest;
import imago.inference.results.Finding;
import imago.inference.results.Region;
import imago.inference.results.SegmentMeasurements;
import imago.inference.results.ResultIds;
import imago.storage.jobs.Job;
import imago.storage.models.ModelVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A job's JSON result: what {@code GET /inference/jobs/{id}} and a study's ai-results show, the
 * web UI draws and the links' FHIR bundle reads ({@code imago.links.fhir.AiResult}). Its field
 * names and order are that contract. A frame is 1-based, as DICOM counts frames.
 */
final class ResultJson {
  /** An instance the job skipped, and why. */
  record NotDecodable(String sopInstanceUid, String reason) {}

  private final Job job;
  private final ModelVersion version;
  private final Manifest.Task task;
  private final String engine;
  private final List<String> sopInstanceUids;
  private final List<NotDecodable> notDecodable;

  /**
   * @param engine the engine that ran the model, e.g. {@code PyTorch 2.7.1 cpu()}
   * @param sopInstanceUids the decoded instances, which a sample's {@code source} indexes
   */
  ResultJson(Job job, ModelVersion version, Manifest.Task task, String engine, List<String> sopInstanceUids,
      List<NotDecodable> notDecodable) {
    this.job = job;
    this.version = version;
    this.task = task;
    this.engine = engine;
    this.sopInstanceUids = List.copyOf(sopInstanceUids);
    this.notDecodable = List.copyOf(notDecodable);
  }

  /** A classifier's result: per label its finding, per sample its probabilities, and the SR. */
  JsonObject classification(Postprocessor.Classification classification, JsonObject sr) {
    JsonArray findings = new JsonArray();
    for (Postprocessor.Found found : classification.found()) {
      Finding f = found.finding();
      findings.add(new JsonObject().put("label", f.label()).put("code", code(f.code())).put("probability", f.probability())
          .put("threshold", f.hasThreshold() ? f.threshold() : null).put("present", f.present())
          .put("sopInstanceUID", sopInstanceUid(found.sample())).put("frame", found.sample().frame() + 1));
    }
    JsonArray images = new JsonArray();
    for (Postprocessor.Scored scored : classification.scored()) {
      JsonArray probabilities = new JsonArray();
      for (double p : scored.probabilities()) probabilities.add(p);
      images.add(new JsonObject().put("sopInstanceUID", sopInstanceUid(scored.sample()))
          .put("frame", scored.sample().frame() + 1).put("probabilities", probabilities));
    }
    return head().put("findings", findings).put("images", images).put("objects", objects(sr));
  }

  /**
   * A detector's result: per label its finding (the best score any box gave it), the boxes at or
   * above their label's threshold on their source images (x0, y0, x1, y1 in the image's pixels,
   * DICOM SCOORD's convention), and the SR.
   */
  JsonObject detection(Postprocessor.Detection detection, JsonObject sr) {
    JsonArray findings = new JsonArray();
    for (Postprocessor.Found found : detection.found()) {
      Finding f = found.finding();
      findings.add(new JsonObject().put("label", f.label()).put("code", code(f.code())).put("probability", f.probability())
          .put("threshold", f.threshold()).put("present", f.present())
          .put("sopInstanceUID", sopInstanceUid(found.sample())).put("frame", found.sample().frame() + 1));
    }
    JsonArray regions = new JsonArray();
    for (Region r : detection.regions()) {
      regions.add(new JsonObject().put("label", r.label()).put("code", code(r.code())).put("probability", r.probability())
          .put("sopInstanceUID", sopInstanceUids.get(r.source()))
          .put("frame", r.referencedFrame() == null ? 1 : r.referencedFrame())
          .put("box", new JsonArray().add(r.x0()).add(r.y0()).add(r.x1()).add(r.y1())));
    }
    return head().put("findings", findings).put("regions", regions).put("objects", objects(sr));
  }

  /**
   * A segmenter's result: per segment of the label map the pixels it covers, its largest
   * cross-section (mm²) and volume (mm³) where the sources' geometry gives them (null otherwise),
   * and the SEG and its SR.
   */
  JsonObject segmentation(List<Manifest.Segment> labelMap, Postprocessor.Segmentation segmentation,
      List<SegmentMeasurements> measured, List<JsonObject> stored) {
    JsonArray segments = new JsonArray();
    for (int k = 1; k <= labelMap.size(); k++) {
      Manifest.Segment segment = labelMap.get(k - 1);
      SegmentMeasurements m = measured.get(k - 1);
      segments.add(new JsonObject().put("segmentNumber", k).put("label", segment.name()).put("code", code(segment.code()))
          .put("pixels", segmentation.pixels(k)).put("largestAreaMm2", m.largestAreaMm2()).put("volumeMm3", m.volumeMm3()));
    }
    return head().put("segments", segments).put("objects", new JsonArray(new java.util.ArrayList<>(stored)));
  }

  /** A result object stored into the job's study, with where WADO-RS retrieves it. */
  static JsonObject stored(Job job, String modality, ResultIds ids, String sopClassUid, ResultIds replaces) {
    JsonObject o = new JsonObject().put("modality", modality).put("studyInstanceUID", job.studyUid())
        .put("seriesInstanceUID", ids.seriesInstanceUid()).put("sopInstanceUID", ids.sopInstanceUid())
        .put("sopClassUID", sopClassUid)
        .put("retrieveURL", "/dicomweb/studies/" + job.studyUid() + "/series/" + ids.seriesInstanceUid() + "/instances/"
            + ids.sopInstanceUid());
    // an amended result: the object it replaces (the series changed after that one was written)
    if (replaces != null) o.put("replaces", new JsonObject().put("sopInstanceUID", replaces.sopInstanceUid()));
    return o;
  }

  /** The stored result object; none for a shadow job, which writes nothing into the study. */
  private static JsonArray objects(JsonObject stored) {
    return stored == null ? new JsonArray() : new JsonArray().add(stored);
  }

  private JsonObject head() {
    JsonArray skipped = new JsonArray();
    for (NotDecodable s : notDecodable) {
      skipped.add(new JsonObject().put("sopInstanceUID", s.sopInstanceUid()).put("reason", s.reason()));
    }
    JsonObject head = new JsonObject().put("job", job.id()).put("tenant", job.tenantId()).put("studyInstanceUID", job.studyUid())
        .put("seriesInstanceUID", job.seriesUid()).put("task", task.id())
        .put("model", new JsonObject().put("name", version.name()).put("version", version.version())
            .put("sha256", version.artifactSha256()).put("deviceUID", version.deviceUid()).put("engine", engine))
        .put("instances", sopInstanceUids.size()).put("notDecodable", skipped);
    if (job.shadow()) head.put("shadow", true);
    return head;
  }

  private String sopInstanceUid(Sample sample) {
    return sopInstanceUids.get(sample.source());
  }

  private static JsonObject code(Manifest.Code c) {
    return c == null ? null : new JsonObject().put("scheme", c.scheme()).put("value", c.value()).put("meaning", c.meaning());
  }
}
