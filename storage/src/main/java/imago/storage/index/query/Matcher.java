package imago.storage.index.query;

import imago.core.dicom.PersonNames;
import imago.core.dicom.Uids;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One matching key as an SQL condition, by the rules of PS3.4 C.2.2.2: single value, universal
 * (empty or a lone {@code *}), wildcard ({@code *} any run, {@code ?} one character), range (DA,
 * TM), UID list. {@code \} separates alternatives in any key. Values are always bound as
 * parameters; wildcards become LIKE patterns with {@code !} escaping SQL's own {@code %} and {@code _}.
 */
final class Matcher {
  private Matcher() {}

  /** Bound SQL. */
  record Condition(String sql, List<Object> args) {}

  /** The condition for {@code value}; null for universal matching (no condition at all). */
  static Condition condition(QueryAttribute a, String value, boolean fuzzy) throws InvalidQueryException {
    String v = value == null ? "" : value.trim();
    if (v.isEmpty() || v.equals("*")) return null;
    List<String> alternatives = alternatives(a, v);
    List<String> sql = new ArrayList<>();
    List<Object> args = new ArrayList<>();
    if (a.matching() == QueryAttribute.Matching.UID) {
      for (String uid : alternatives) {
        if (!Uids.isValid(uid)) throw new InvalidQueryException(a + ": '" + uid + "' is not a UID (UIDs take no wildcards)");
      }
      args.addAll(alternatives);
      return new Condition(a.column() + " IN (" + String.join(", ", Collections.nCopies(args.size(), "?")) + ")",
          args);
    }
    for (String alternative : alternatives) {
      if (alternative.equals("*")) return null; // one universal alternative matches everything
      switch (a.matching()) {
        case TEXT -> text(a.column(), alternative, sql, args);
        case PERSON_NAME -> personName(a, alternative, fuzzy, sql, args);
        case DATE -> range(a, alternative, Matcher::date, sql, args);
        case TIME -> range(a, alternative, Matcher::time, sql, args);
        case INTEGER -> integer(a, alternative, sql, args);
        case MODALITIES_IN_STUDY -> text("ms.modality", alternative, sql, args);
        default -> throw new InvalidQueryException(a + " cannot be matched");
      }
    }
    String any = sql.size() == 1 ? sql.get(0) : "(" + String.join(" OR ", sql) + ")";
    if (a.matching() == QueryAttribute.Matching.MODALITIES_IN_STUDY) {
      // PS3.18 Table 10.6.1-5: a study matches when any of its series has the modality
      any = "EXISTS (SELECT 1 FROM series ms WHERE ms.study_pk = st.pk AND " + any + ")";
    }
    return new Condition(any, args);
  }

  /** {@code \} separates values (PS3.5 §6.4); QIDO-RS also allows commas between UIDs (PS3.18 §8.3.4.1). */
  private static List<String> alternatives(QueryAttribute a, String v) {
    String separators = a.matching() == QueryAttribute.Matching.UID ? "[\\\\,]" : "\\\\";
    List<String> out = new ArrayList<>();
    for (String s : v.split(separators)) {
      if (!s.trim().isEmpty()) out.add(s.trim());
    }
    return out;
  }

  private static void text(String column, String v, List<String> sql, List<Object> args) {
    if (hasWildcard(v)) {
      sql.add(column + " LIKE ? ESCAPE '!'");
      args.add(likePattern(v));
    } else {
      sql.add(column + " = ?");
      args.add(v);
    }
  }

  /**
   * Literal person-name matching is case- and accent-sensitive (PS3.4 C.2.2.2.1 allows either).
   * With fuzzymatching (PS3.18 §8.3.4.1) the patient's name is compared folded ("Nicolò" and
   * "NICOLO" meet), word by word: every word of the value must begin a word of the name, in any
   * order ("nicol" and "nicolo bianchi" both match "Bianchi^Nicolò"). Each word is a range over
   * the index of name words ({@code patient_name_words}), never a scan of every patient; a word
   * that starts with a wildcard has no such range and is refused. Other PN attributes have no
   * index of words: fuzzily they only ignore case.
   */
  private static void personName(QueryAttribute a, String v, boolean fuzzy, List<String> sql, List<Object> args)
      throws InvalidQueryException {
    if (!fuzzy) {
      text(a.column(), v, sql, args);
      return;
    }
    String folded = PersonNames.fold(v);
    String pattern = likePattern(folded) + (folded.endsWith("*") ? "" : "%");
    if (a.tag() == QueryAttributes.PATIENT_NAME) {
      List<String> words = new ArrayList<>();
      for (String w : folded.split("[^\\p{L}\\p{N}*?]+")) if (!w.isEmpty() && !w.equals("*")) words.add(w);
      if (words.isEmpty()) {
        sql.add("1 = 1"); // only separators and lone wildcards: every name matches
        return;
      }
      List<String> each = new ArrayList<>();
      for (String word : words) each.add(nameWord(a, word, args));
      sql.add(each.size() == 1 ? each.get(0) : "(" + String.join(" AND ", each) + ")");
    } else {
      sql.add("UPPER(" + a.column() + ") LIKE ? ESCAPE '!'");
      args.add(pattern);
    }
  }

  /**
   * The patients with a name word that {@code word} begins (wildcards within it as PS3.4 C.2.2.2.4):
   * the literal prefix before any wildcard is one range of the word index ({@link PersonNames#wordKey}).
   */
  private static String nameWord(QueryAttribute a, String word, List<Object> args) throws InvalidQueryException {
    int wild = firstWildcard(word);
    String prefix = wild < 0 ? word : word.substring(0, wild);
    if (prefix.isEmpty()) {
      throw new InvalidQueryException(a + ": with fuzzymatching a word cannot start with a wildcard ('" + word
          + "'): it would have to read every patient's name");
    }
    prefix = PersonNames.cut(prefix);
    args.add(PersonNames.wordKey(prefix));
    args.add(PersonNames.wordKey(prefix) + "G");
    String range = "p.pk IN (SELECT w.patient_pk FROM patient_name_words w WHERE w.word_key >= ? AND w.word_key < ?";
    if (wild < 0) return range + ")";
    args.add(likePattern(word) + (word.endsWith("*") ? "" : "%"));
    return range + " AND w.word LIKE ? ESCAPE '!')";
  }

  private static int firstWildcard(String s) {
    int star = s.indexOf('*');
    int any = s.indexOf('?');
    return star < 0 ? any : any < 0 ? star : Math.min(star, any);
  }

  private static void integer(QueryAttribute a, String v, List<String> sql, List<Object> args)
      throws InvalidQueryException {
    try {
      args.add(Integer.parseInt(v));
    } catch (NumberFormatException e) {
      throw new InvalidQueryException(a + ": '" + v + "' is not a whole number");
    }
    sql.add(a.column() + " = ?");
  }

  /** A DA or TM bound as the column compares (text, most significant first), or why it is not one. */
  @FunctionalInterface
  private interface Bound {
    String parse(QueryAttribute a, String v, boolean upper) throws InvalidQueryException;
  }

  /**
   * PS3.4 C.2.2.2.5: "a-b" matches a..b inclusive, "-b" up to b, "a-" from a; a single value
   * matches exactly. Missing (empty) values never match a range.
   */
  private static void range(QueryAttribute a, String v, Bound bound, List<String> sql, List<Object> args)
      throws InvalidQueryException {
    int dash = v.indexOf('-');
    if (dash < 0) {
      sql.add(a.column() + " = ?");
      args.add(bound.parse(a, v, false));
      return;
    }
    if (v.indexOf('-', dash + 1) >= 0 || v.length() == 1) throw new InvalidQueryException(a + ": malformed range '" + v + "'");
    String from = v.substring(0, dash).trim();
    String to = v.substring(dash + 1).trim();
    List<String> parts = new ArrayList<>(List.of(a.column() + " <> ''"));
    if (!from.isEmpty()) {
      parts.add(a.column() + " >= ?");
      args.add(bound.parse(a, from, false));
    }
    if (!to.isEmpty()) {
      parts.add(a.column() + " <= ?");
      args.add(bound.parse(a, to, true));
    }
    sql.add("(" + String.join(" AND ", parts) + ")");
  }

  /** DA: YYYYMMDD (PS3.5 Table 6.2-1). */
  private static String date(QueryAttribute a, String v, boolean upper) throws InvalidQueryException {
    if (!v.matches("\\d{8}")) throw new InvalidQueryException(a + ": '" + v + "' is not a date (YYYYMMDD)");
    return v;
  }

  /**
   * TM: HH[MM[SS[.F{1,6}]]]. An upper bound covers the whole unit it names, so "-12" ends at
   * 12:59:59.999999, not at 12:00:00.
   */
  private static String time(QueryAttribute a, String v, boolean upper) throws InvalidQueryException {
    if (!v.matches("\\d{2}(\\d{2}(\\d{2}(\\.\\d{1,6})?)?)?")) {
      throw new InvalidQueryException(a + ": '" + v + "' is not a time (HHMMSS.FFFFFF)");
    }
    if (!upper) return v;
    return switch (v.length()) {
      case 2 -> v + "5959.999999";
      case 4 -> v + "59.999999";
      case 6 -> v + ".999999";
      default -> v + "999999".substring(v.length() - 7); // the fraction, filled to six digits
    };
  }

  private static boolean hasWildcard(String v) {
    return v.indexOf('*') >= 0 || v.indexOf('?') >= 0;
  }

  /** DICOM wildcards to a LIKE pattern (escape character '!'). */
  static String likePattern(String v) {
    StringBuilder out = new StringBuilder(v.length() + 4);
    for (char c : v.toCharArray()) {
      switch (c) {
        case '*' -> out.append('%');
        case '?' -> out.append('_');
        case '%', '_', '!' -> out.append('!').append(c);
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
