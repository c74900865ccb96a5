package imago.core.deid;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DICOM PS3.15 Table E.1-1 (Application Level Confidentiality Profile Attributes), read from
 * {@code imago/core/deid/annex-e.tsv}: for each listed attribute, its action under the Basic
 * Profile and under each option that changes it. {@link #action} answers for one attribute and a
 * set of options; an attribute the table does not list is kept (private attributes apart: the
 * caller removes those, as the Basic Profile does without the Retain Safe Private option).
 */
public final class ConfidentialityProfile {
  /** PS3.15 E.1.1's actions; {@code X/Z} and the like are resolved to the one an IOD stays valid with. */
  public enum Action {
    /** Replace with a non-zero-length dummy value (here: a keyed pseudonym or a fixed text). */
    D,
    /** Replace with a zero-length value. */
    Z,
    /** Remove. */
    X,
    /** Keep. */
    K,
    /** Clean: replace with a value of similar meaning known to hold nothing identifying (dates: shifted). */
    C,
    /** Replace the UID with another, the same for the same UID within a project. */
    U
  }

  /** The options of PS3.15 E.3, in the table's column order after the Basic Profile, with their CID 7050 codes. */
  public enum Option {
    RETAIN_SAFE_PRIVATE("113111", "Retain Safe Private Option"),
    RETAIN_UIDS("113110", "Retain UIDs Option"),
    RETAIN_DEVICE_IDENTITY("113109", "Retain Device Identity Option"),
    RETAIN_INSTITUTION_IDENTITY("113112", "Retain Institution Identity Option"),
    RETAIN_PATIENT_CHARACTERISTICS("113108", "Retain Patient Characteristics Option"),
    RETAIN_LONGITUDINAL_FULL_DATES("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    RETAIN_LONGITUDINAL_MODIFIED_DATES("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    CLEAN_DESCRIPTORS("113105", "Clean Descriptors Option"),
    CLEAN_STRUCTURED_CONTENT("113104", "Clean Structured Content Option"),
    CLEAN_GRAPHICS("113103", "Clean Graphics Option");

    private final String code;
    private final String meaning;

    Option(String code, String meaning) {
      this.code = code;
      this.meaning = meaning;
    }

    /** The option's code in DCM (CID 7050, De-identification Method). */
    public String code() {
      return code;
    }

    public String meaning() {
      return meaning;
    }
  }

  /** One row: the attribute's name, its Basic Profile action text ("X/Z"...), and each option's. */
  public record Row(String tag, String name, String basic, Map<Option, String> options) {}

  private static final ConfidentialityProfile TABLE = load();

  /** A row whose tag has x digits (repeating groups: curves 50xx, overlays 60xx): every tag t with t & mask == value. */
  private record Masked(int mask, int value, Row row) {}

  private final Map<Integer, Row> exact;
  private final List<Masked> masked;

  private ConfidentialityProfile(Map<Integer, Row> exact, List<Masked> masked) {
    this.exact = exact;
    this.masked = masked;
  }

  public static ConfidentialityProfile table() {
    return TABLE;
  }

  /** The table's row for {@code tag} (group << 16 | element), or null when the table does not list it. */
  public Row row(int tag) {
    Row r = exact.get(tag);
    if (r != null) return r;
    for (Masked m : masked) if ((tag & m.mask()) == m.value()) return m.row();
    return null;
  }

  /** Every row, in tag order. */
  public List<Row> rows() {
    List<Row> all = new ArrayList<>(exact.values());
    for (Masked m : masked) all.add(m.row());
    all.sort(java.util.Comparator.comparing(Row::tag));
    return Collections.unmodifiableList(all);
  }

  /**
   * What to do with {@code tag} under {@code options}: an option's action replaces the Basic
   * Profile's where the option has one (a retain option and a clean option on the same attribute:
   * clean wins, the stricter); null when the table does not list the attribute.
   */
  public Action action(int tag, Set<Option> options) {
    Row r = row(tag);
    if (r == null) return null;
    String chosen = r.basic();
    String retain = null;
    String clean = null;
    for (Option o : options) {
      String a = r.options().get(o);
      if (a == null || a.isEmpty()) continue;
      if (o.name().startsWith("CLEAN")) clean = a;
      else retain = a;
    }
    if (retain != null) chosen = retain;
    if (clean != null) chosen = clean;
    return resolve(chosen);
  }

  /**
   * The one action of a choice: X/Z -> Z and X/D, Z/D, X/Z/D -> D (the attribute stays, as an IOD
   * that requires it needs it), X/Z/U* -> U.
   */
  static Action resolve(String text) {
    String t = text.replace("*", "");
    if (t.contains("U")) return Action.U;
    if (t.contains("D")) return Action.D;
    if (t.contains("Z")) return Action.Z;
    return Action.valueOf(t);
  }

  private static ConfidentialityProfile load() {
    Map<Integer, Row> exact = new HashMap<>();
    List<Masked> masked = new ArrayList<>();
    try (InputStream in = ConfidentialityProfile.class.getResourceAsStream("/imago/core/deid/annex-e.tsv")) {
      if (in == null) throw new IllegalStateException("imago/core/deid/annex-e.tsv is missing from the build");
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      Option[] columns = Option.values();
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) continue;
        String[] f = line.split("\t", -1);
        Map<Option, String> options = new EnumMap<>(Option.class);
        for (int i = 0; i < columns.length && 3 + i < f.length; i++) if (!f[3 + i].isEmpty()) options.put(columns[i], f[3 + i]);
        Row row = new Row(f[0], f[1], f[2], options);
        String hex = f[0];
        if (hex.contains("X")) {
          int mask = (int) Long.parseLong(hex.replaceAll("[0-9A-F]", "F").replace('X', '0'), 16);
          int value = (int) Long.parseLong(hex.replace('X', '0'), 16);
          masked.add(new Masked(mask, value, row));
        } else {
          exact.put((int) Long.parseLong(hex, 16), row);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ConfidentialityProfile(exact, masked);
  }
}
