package imago.storage.index.query;

import java.util.Collections;
import java.util.Map;

/**
 * One matching patient, study, series or instance: every attribute the index keeps for its level
 * and the levels above, by tag, as DICOM text (multiple values {@code \}-separated, "" for none).
 * VRs come from {@link QueryAttributes}. {@code tenantId}: the tenant whose copy it is (the
 * caller's own, or one that shared the study with the caller).
 */
public record QueryMatch(QueryLevel level, Map<Integer, String> values, String tenantId) {
  public QueryMatch {
    values = Collections.unmodifiableMap(values);
  }

  /** The value of {@code tag}, "" when it has none, null when the index does not keep it at this level. */
  public String get(int tag) {
    return values.get(tag);
  }

  public String studyUid() {
    return values.get(QueryAttributes.STUDY_INSTANCE_UID);
  }

  public String seriesUid() {
    return values.get(QueryAttributes.SERIES_INSTANCE_UID);
  }

  public String sopInstanceUid() {
    return values.get(QueryAttributes.SOP_INSTANCE_UID);
  }
}
