package imago.inference.schedule;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * What applicability rules look at in one series, read from the DICOM JSON kept at ingest: no
 * object is fetched to schedule a job.
 *
 * @param frames total frames (an instance without NumberOfFrames counts one)
 * @param first the first instance's DICOM JSON (PS3.18 F.2), for tag rules
 * @param inputKey SHA-256 over the series' (SOP Instance UID, data set SHA-256) pairs, sorted: the
 *     same instances give the same key, one more instance a new one
 */
public record SeriesFacts(String tenantId, String studyUid, String seriesUid, String modality, String bodyPart,
    Set<String> sopClasses, int instances, int frames, JsonObject first, String inputKey) {

  /** The first value of {@code tag} (8 hex digits) in the first instance, as a string, or null. */
  public String value(String tag) {
    JsonObject attribute = first == null ? null : first.getJsonObject(tag.toUpperCase(java.util.Locale.ROOT));
    if (attribute == null) return null;
    JsonArray values = attribute.getJsonArray("Value");
    if (values == null || values.isEmpty()) return null;
    Object v = values.getValue(0);
    if (v instanceof JsonObject pn) return pn.getString("Alphabetic");
    return String.valueOf(v);
  }

  /** Whether Imago wrote this series (an AI result): results are never inputs. */
  public boolean isImagoResult() {
    return "Imago".equals(value("00080070")) && ("SR".equals(modality) || "SEG".equals(modality));
  }
}
