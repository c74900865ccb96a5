package imago.storage.index.query;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One search (QIDO-RS, PS3.18 §10.6; C-FIND, PS3.4 C.4.1): the level it targets, optionally
 * within one study or series, matching keys by tag (value as the standard writes it: {@code *}
 * and {@code ?} wildcards, {@code 20240101-20240131} ranges, {@code \}-separated lists), whether
 * person names match fuzzily, and the page wanted ({@code limit} at least 1).
 *
 * @param studyUid  the study the search is within (QIDO's /studies/{study}/...), or null
 * @param seriesUid the series the search is within, or null; needs {@code studyUid}
 * @param keys      matching keys, tag to value; an empty value is universal matching (matches all)
 */
public record QueryRequest(QueryLevel level, String studyUid, String seriesUid, Map<Integer, String> keys,
    boolean fuzzyMatching, int limit, int offset) {

  public QueryRequest {
    if (level == null) throw new IllegalArgumentException("level is required");
    if (seriesUid != null && studyUid == null) throw new IllegalArgumentException("a series is within a study");
    if (limit < 1) throw new IllegalArgumentException("limit must be at least 1: " + limit);
    if (offset < 0) throw new IllegalArgumentException("offset must not be negative: " + offset);
    TreeMap<Integer, String> sorted = new TreeMap<>(Integer::compareUnsigned);
    if (keys != null) sorted.putAll(keys);
    keys = Collections.unmodifiableMap(sorted);
  }

  /** Every match of {@code level} with no keys, first page of {@code limit}. */
  public static QueryRequest of(QueryLevel level, Map<Integer, String> keys, int limit) {
    return new QueryRequest(level, null, null, keys, false, limit, 0);
  }

  public QueryRequest withFuzzyMatching(boolean fuzzy) {
    return new QueryRequest(level, studyUid, seriesUid, keys, fuzzy, limit, offset);
  }

  public QueryRequest within(String study, String series) {
    return new QueryRequest(level, study, series, keys, fuzzyMatching, limit, offset);
  }

  public QueryRequest page(int newLimit, int newOffset) {
    return new QueryRequest(level, studyUid, seriesUid, keys, fuzzyMatching, newLimit, newOffset);
  }
}
