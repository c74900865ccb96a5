package imago.core.dicom;

/**
 * A data element's header (PS3.5 §7.1), or an item's or a delimiter's (§7.5), as read at
 * {@code position} of a data set.
 *
 * @param vr the explicit VR; null in implicit VR, and for items and delimiters
 * @param headerLength 8 or 12 bytes: the value starts right after the header
 * @param length the value length, {@link #UNDEFINED_LENGTH} when it is undefined
 */
public record ElementHeader(long position, int tag, String vr, int headerLength, long length) {
  public static final long UNDEFINED_LENGTH = 0xFFFFFFFFL;

  public long valuePosition() {
    return position + headerLength;
  }

  public boolean undefinedLength() {
    return length == UNDEFINED_LENGTH;
  }

  @Override
  public String toString() {
    return ElementReader.tagName(tag) + (vr == null ? "" : " " + vr) + " @" + position
        + (undefinedLength() ? " undefined length" : " length " + length);
  }
}
