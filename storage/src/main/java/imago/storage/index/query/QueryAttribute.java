package imago.storage.index.query;

/**
 * An attribute the index keeps in a column and can return, and how it may be matched.
 *
 * @param column the SQL expression that selects it (tables aliased p, st, se, i)
 */
public record QueryAttribute(int tag, String keyword, String vr, QueryLevel level, String column, Matching matching) {

  /** How matching keys on this attribute become SQL (PS3.4 C.2.2.2). */
  public enum Matching {
    /** Single value, {@code *}/{@code ?} wildcards, {@code \}-separated alternatives. */
    TEXT,
    /** As TEXT; with fuzzymatching, case- and accent-insensitive, from any name component. */
    PERSON_NAME,
    /** Single date or range (DA). */
    DATE,
    /** Single time or range (TM). */
    TIME,
    /** UID list matching: one UID or several, {@code \}- or comma-separated. */
    UID,
    /** A whole number, exactly. */
    INTEGER,
    /** A study matches when one of its series has the modality (PS3.18 Table 10.6.1-5). */
    MODALITIES_IN_STUDY,
    /** Returned only: computed counts and constants cannot be matched. */
    NONE
  }

  public boolean matchable() {
    return matching != Matching.NONE;
  }

  @Override
  public String toString() {
    return keyword + String.format(" (%04X,%04X)", tag >>> 16, tag & 0xFFFF);
  }
}
