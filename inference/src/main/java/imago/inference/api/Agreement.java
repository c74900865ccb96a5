package imago.inference.api;

import imago.storage.jobs.JobQueue;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How often a version (a shadow, typically) says what another (its primary) says on the same
 * series, from their JSON results. Classifiers and detectors agree on a series when they find the
 * same labels present; segmenters when each segment's size is within {@value #VOLUME_TOLERANCE} of
 * the other's (both empty counts as agreeing). Beside the rate: the mean difference of each
 * label's probability, or of each segment's size relative to the larger. Aggregates only: no
 * study, series or patient is named.
 */
final class Agreement {
  static final double VOLUME_TOLERANCE = 0.2;

  private Agreement() {}

  static JsonObject of(List<JobQueue.ResultPair> pairs) {
    int agreeing = 0;
    double probabilityDifference = 0;
    int probabilities = 0;
    double volumeDifference = 0;
    int volumes = 0;
    String task = null;
    for (JobQueue.ResultPair pair : pairs) {
      JsonObject a = new JsonObject(pair.result());
      JsonObject b = new JsonObject(pair.againstResult());
      task = a.getString("task", task);
      boolean agree;
      if (a.containsKey("segments")) {
        agree = true;
        Map<Integer, Long> mineBySegment = sizes(a);
        Map<Integer, Long> theirsBySegment = sizes(b);
        Set<Integer> segments = new TreeSet<>(mineBySegment.keySet());
        segments.addAll(theirsBySegment.keySet()); // a segment only one of them found counts too
        for (int segment : segments) {
          long mine = mineBySegment.getOrDefault(segment, 0L);
          long theirs = theirsBySegment.getOrDefault(segment, 0L);
          double relative = Math.max(mine, theirs) == 0 ? 0 : Math.abs(mine - theirs) / (double) Math.max(mine, theirs);
          volumeDifference += relative;
          volumes++;
          agree &= relative <= VOLUME_TOLERANCE;
        }
      } else {
        Map<String, Double> theirs = new HashMap<>();
        for (Object o : b.getJsonArray("findings", new JsonArray())) {
          JsonObject f = (JsonObject) o;
          theirs.put(f.getString("label"), f.getDouble("probability", 0.0));
        }
        for (Object o : a.getJsonArray("findings", new JsonArray())) {
          JsonObject f = (JsonObject) o;
          Double other = theirs.get(f.getString("label"));
          if (other != null) {
            probabilityDifference += Math.abs(f.getDouble("probability", 0.0) - other);
            probabilities++;
          }
        }
        agree = present(a).equals(present(b));
      }
      if (agree) agreeing++;
    }
    JsonObject out = new JsonObject().put("task", task).put("pairs", pairs.size()).put("agreeing", agreeing)
        .put("agreement", pairs.isEmpty() ? null : agreeing / (double) pairs.size());
    if (probabilities > 0) out.put("meanProbabilityDifference", probabilityDifference / probabilities);
    if (volumes > 0) out.put("meanRelativeSizeDifference", volumeDifference / volumes);
    out.put("criterion", "segmentation".equals(task) ? "each segment's size within 20 % of the other's"
        : "the same findings present");
    return out;
  }

  private static Map<Integer, Long> sizes(JsonObject result) {
    Map<Integer, Long> out = new HashMap<>();
    for (Object o : result.getJsonArray("segments", new JsonArray())) {
      JsonObject s = (JsonObject) o;
      out.put(s.getInteger("segmentNumber"), s.getLong("pixels", 0L));
    }
    return out;
  }

  private static Set<String> present(JsonObject result) {
    Set<String> labels = new TreeSet<>();
    for (Object o : result.getJsonArray("findings", new JsonArray())) {
      JsonObject f = (JsonObject) o;
      if (f.getBoolean("present", false)) labels.add(f.getString("label"));
    }
    return labels;
  }
}
