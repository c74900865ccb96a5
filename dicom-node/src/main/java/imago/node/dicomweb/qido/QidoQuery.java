package imago.node.dicomweb.qido;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A QIDO-RS request's query parameters (PS3.18 §8.3.4) read into an index query: matching keys
 * by keyword or tag ({@code PatientName=}, {@code 00100010=}), {@code includefield} (repeated or
 * comma-separated, or {@code all}), {@code fuzzymatching}, {@code limit}, {@code offset}.
 *
 * <p>Anything that cannot be honoured exactly is refused with a reason (400) rather than
 * silently widened: a key the index cannot match, a sequence path, a repeated key, a malformed
 * number. PS3.18 allows ignoring unsupported keys with a Warning, but a radiologist who filters
 * by a key we ignore would read every returned study as a match. {@code includefield} of an
 * attribute the index does not keep is the exception: returning less is harmless, so it is
 * only named in a Warning.
 *
 * @param matchingTags  the tags that were matching keys (PS3.18: they are returned too)
 * @param includeFields tags asked for with includefield
 * @param notKept       includefield attributes the index does not keep (for the Warning header)
 */
public record QidoQuery(QueryRequest request, Set<Integer> matchingTags, Set<Integer> includeFields, boolean includeAll,
    List<String> notKept) {

  /** The deepest result a query may start at. */
  static final int MAX_OFFSET = 100_000;

  /** What QidoRs answers 400 with. */
  public static final class BadQuery extends Exception {
    public BadQuery(String message) {
      super(message);
    }
  }

  /**
   * @param params   the query parameters in order (name, value), already percent-decoded
   * @param maxLimit the most results one response carries; a larger {@code limit} is lowered to it
   */
  public static QidoQuery parse(QueryLevel level, String studyUid, String seriesUid, List<Map.Entry<String, String>> params,
      int maxLimit) throws BadQuery {
    Map<Integer, String> keys = new LinkedHashMap<>();
    Set<Integer> include = new LinkedHashSet<>();
    List<String> notKept = new ArrayList<>();
    boolean all = false;
    boolean fuzzy = false;
    int limit = maxLimit;
    int offset = 0;
    Set<String> seen = new LinkedHashSet<>();
    for (Map.Entry<String, String> p : params) {
      String name = p.getKey();
      String value = p.getValue() == null ? "" : p.getValue();
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.equals("includefield") && !seen.add(lower)) {
        throw new BadQuery("query parameter '" + name + "' appears more than once; list values with '\\' (UIDs also ',')");
      }
      switch (lower) {
        case "includefield" -> {
          for (String field : value.split(",")) {
            field = field.trim();
            if (field.isEmpty()) continue;
            if (field.equalsIgnoreCase("all")) {
              all = true;
              continue;
            }
            int tag = tag(field, "includefield");
            if (QueryAttributes.byTag(tag).isPresent()) include.add(tag);
            else notKept.add(field);
          }
        }
        case "fuzzymatching" -> fuzzy = bool(name, value);
        case "limit" -> limit = Math.min(number(name, value, 1), maxLimit);
        case "offset" -> {
          offset = number(name, value, 0);
          // An index skips offset rows one by one: deep paging is a cost the caller chooses, bounded here.
          if (offset > MAX_OFFSET) throw new BadQuery("offset is at most " + MAX_OFFSET + "; narrow the query instead");
        }
        default -> {
          if (name.contains(".")) {
            throw new BadQuery("'" + name + "': matching within sequences is not supported");
          }
          keys.put(tag(name, "matching key"), value);
        }
      }
    }
    QueryRequest request = new QueryRequest(level, studyUid, seriesUid, keys, fuzzy, limit, offset);
    return new QidoQuery(request, Set.copyOf(keys.keySet()), include, all, List.copyOf(notKept));
  }

  /** A keyword (PS3.6, case as the dictionary has it; Imago's own attributes in any case) or eight hex digits. */
  static int tag(String attributeId, String role) throws BadQuery {
    if (attributeId.matches("[0-9A-Fa-f]{8}")) return (int) Long.parseLong(attributeId, 16);
    Optional<QueryAttribute> known = QueryAttributes.byKeyword(attributeId);
    if (known.isPresent()) return known.get().tag();
    AttributeTag t = DicomDictionary.StandardDictionary.getTagFromName(attributeId);
    if (t == null) {
      throw new BadQuery(role + " '" + attributeId + "' is neither a DICOM keyword nor a tag (eight hex digits)");
    }
    return (t.getGroup() << 16) | t.getElement();
  }

  private static boolean bool(String name, String value) throws BadQuery {
    if (value.equalsIgnoreCase("true")) return true;
    if (value.equalsIgnoreCase("false")) return false;
    throw new BadQuery(name + " must be true or false, not '" + value + "'");
  }

  private static int number(String name, String value, int min) throws BadQuery {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadQuery(name + " must be a whole number of at least " + min + ", not '" + value + "'");
  }
}
