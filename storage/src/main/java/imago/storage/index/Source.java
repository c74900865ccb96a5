package imago.storage.index;

/** How an instance reached Imago. */
public enum Source {
  DIMSE, STOW, IMPORT, INFERENCE
}
