package imago.storage.index.query;

/**
 * The information model levels a query can target (PS3.4 C.6: patient, study, series, image;
 * QIDO-RS has no patient level, C-FIND's Patient Root model has). Each level includes the
 * attributes of the levels above it.
 */
public enum QueryLevel {
  PATIENT, STUDY, SERIES, INSTANCE;

  /** Whether attributes of {@code other} are known to a query at this level (it is this level or above). */
  public boolean includes(QueryLevel other) {
    return other.ordinal() <= ordinal();
  }
}
