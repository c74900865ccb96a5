package imago.storage.index;

/** How an instance reached Imago. */
public enum Source {
  DIMSE, STOW, IMPORT, INFERENCE,
  /** Indexed from its object by {@code imago reindex} (how it first arrived is not in the object). */
  REINDEX
}
