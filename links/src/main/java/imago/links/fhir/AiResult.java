package imago.links.fhir;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One finished inference job's result JSON (as the inference worker writes it), read into plain
 * values before any FHIR is made. Missing members read as null or empty, never as an error: a
 * link must still open when an older result lacks a field.
 */
record AiResult(long job, String task, Model model, List<Finding> findings, List<Segment> segments,
    List<ResultObject> objects) {

  /** The model version that produced the result (DESIGN invariant 4: version and artifact SHA-256). */
  record Model(String name, String version, String sha256, String deviceUid, String engine) {
    String title() {
      return name + " " + version;
    }
  }

  /** A coded concept as DICOM writes it: coding scheme designator, code value, code meaning. */
  record Code(String scheme, String value, String meaning) {}

  /** A classification label's best probability over the job's images; threshold null when the label has none. */
  record Finding(String label, Code code, double probability, Double threshold, Boolean present, String sopInstanceUid,
      Integer frame) {
    /** The worker's decision when it wrote one, else the threshold's. */
    boolean isPresent() {
      return present != null ? present : threshold != null && probability >= threshold;
    }
  }

  record Segment(int number, String label, Code code, long pixels) {}

  /** A DICOM object the job wrote (SR, SEG); retrieveUrl is relative to Imago's root. */
  record ResultObject(String modality, String sopInstanceUid, String sopClassUid, String retrieveUrl) {}

  static AiResult of(JsonObject json) {
    JsonObject m = json.getJsonObject("model", new JsonObject());
    Model model = new Model(m.getString("name"), m.getString("version"), m.getString("sha256"), m.getString("deviceUID"),
        m.getString("engine"));
    Long job = json.getLong("job");
    return new AiResult(job == null ? 0 : job, json.getString("task"), model,
        list(json.getJsonArray("findings"), AiResult::finding), list(json.getJsonArray("segments"), AiResult::segment),
        list(json.getJsonArray("objects"), AiResult::object));
  }

  private static Finding finding(JsonObject f) {
    Double p = f.getDouble("probability");
    return new Finding(f.getString("label"), code(f.getJsonObject("code")), p == null ? Double.NaN : p,
        f.getDouble("threshold"), f.getBoolean("present"), f.getString("sopInstanceUID"), f.getInteger("frame"));
  }

  private static Segment segment(JsonObject s) {
    Integer number = s.getInteger("segmentNumber");
    Long pixels = s.getLong("pixels");
    return new Segment(number == null ? 0 : number, s.getString("label"), code(s.getJsonObject("code")),
        pixels == null ? 0 : pixels);
  }

  private static ResultObject object(JsonObject o) {
    return new ResultObject(o.getString("modality"), o.getString("sopInstanceUID"), o.getString("sopClassUID"),
        o.getString("retrieveURL"));
  }

  private static Code code(JsonObject c) {
    return c == null ? null : new Code(c.getString("scheme"), c.getString("value"), c.getString("meaning"));
  }

  private static <T> List<T> list(JsonArray array, Function<JsonObject, T> read) {
    List<T> out = new ArrayList<>();
    if (array == null) return out;
    for (int i = 0; i < array.size(); i++) {
      if (array.getValue(i) instanceof JsonObject o) out.add(read.apply(o));
    }
    return List.copyOf(out);
  }
}
