package imago.models.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * What validating a version found, stored on the version: which check failed (if any) and why, the
 * engine and device, load time, memory and latency at batch 1 and batch N.
 *
 * @param failedCheck null when every check passed
 * @param memoryBytes growth of the process's resident memory while loading (native engines allocate
 *     outside the Java heap), an estimate
 */
public record ValidationReport(Instant at, String failedCheck, String error, String engine, String device,
    long loadMillis, long memoryBytes, List<DryRun> dryRuns) {

  /** One dry run: shapes, first-call and steady (median of the next calls) latency, first outputs. */
  public record DryRun(int batch, long[] inputShape, long[] outputShape, double firstCallMillis, double steadyMillis,
      float[] outputHead) {}

  public boolean passed() {
    return failedCheck == null;
  }

  public static ValidationReport failed(String check, String error) {
    return new ValidationReport(Instant.now(), check, error, null, null, 0, 0, List.of());
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("at", at.toString()).put("passed", passed());
    if (failedCheck != null) json.put("failedCheck", failedCheck).put("error", error);
    if (engine != null) json.put("engine", engine).put("device", device).put("loadMillis", loadMillis).put("memoryBytes", memoryBytes);
    JsonArray runs = new JsonArray();
    for (DryRun r : dryRuns) {
      JsonArray head = new JsonArray();
      for (float v : r.outputHead()) head.add(v);
      runs.add(new JsonObject().put("batch", r.batch()).put("inputShape", shape(r.inputShape()))
          .put("outputShape", shape(r.outputShape())).put("firstCallMillis", round(r.firstCallMillis()))
          .put("steadyMillis", round(r.steadyMillis())).put("outputHead", head));
    }
    if (!runs.isEmpty()) json.put("dryRuns", runs);
    return json;
  }

  private static JsonArray shape(long[] s) {
    JsonArray a = new JsonArray();
    for (long d : s) a.add(d);
    return a;
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }
}
