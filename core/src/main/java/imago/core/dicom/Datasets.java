package imago.core.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;

/**
 * Building data sets with PixelMed, for the objects Imago writes (AI results, KOS, DICOMDIR): every
 * attribute gets its dictionary VR and every string is encoded in UTF-8, so the writers declare
 * Specific Character Set "ISO_IR 192" (PS3.3 C.12.1.1.2) and names in any repertoire survive.
 */
public final class Datasets {
  /** The Specific Character Set value the writers declare. */
  public static final String ISO_IR_192 = "ISO_IR 192";
  /** Long Code Value (0008,0119): a code value beyond SH's 16 characters (PS3.3 8.8.2.1). */
  public static final AttributeTag LONG_CODE_VALUE = new AttributeTag(0x0008, 0x0119);
  private static final int SH_MAX = 16;
  private static final int LO_MAX = 64;
  private static final SpecificCharacterSet UTF_8 = new SpecificCharacterSet(new String[] {ISO_IR_192});

  private Datasets() {}

  /**
   * {@code sequenceTag} holding one item, a code (PS3.3 Table 8.8-1 Code Sequence Macro): a value
   * longer than 16 characters goes into Long Code Value (8.8.2.1), Code Meaning is cut to LO's 64.
   */
  public static void putCode(AttributeList list, AttributeTag sequenceTag, String scheme, String value, String meaning) {
    AttributeList item = item(sequence(list, sequenceTag));
    put(item, value.length() > SH_MAX ? LONG_CODE_VALUE : TagFromName.CodeValue, value);
    put(item, TagFromName.CodingSchemeDesignator, scheme);
    put(item, TagFromName.CodeMeaning, meaning.length() <= LO_MAX ? meaning : meaning.substring(0, LO_MAX));
  }

  /** Puts {@code tag} with the dictionary's VR; no values makes it zero-length (type 2). */
  public static void put(AttributeList list, AttributeTag tag, String... values) {
    put(list, tag, a -> {
      for (String v : values) a.addValue(v);
    });
  }

  public static void putInts(AttributeList list, AttributeTag tag, int... values) {
    put(list, tag, a -> {
      for (int v : values) a.addValue(v);
    });
  }

  public static void putLong(AttributeList list, AttributeTag tag, long value) {
    put(list, tag, a -> a.addValue(value));
  }

  public static void putDouble(AttributeList list, AttributeTag tag, double value) {
    put(list, tag, a -> a.addValue(value));
  }

  @FunctionalInterface
  private interface Values {
    void addTo(Attribute a) throws DicomException;
  }

  private static void put(AttributeList list, AttributeTag tag, Values values) {
    try {
      Attribute a = AttributeFactory.newAttribute(tag, AttributeList.getDictionary().getValueRepresentationFromTag(tag), UTF_8);
      values.addTo(a);
      list.put(a);
    } catch (DicomException e) {
      throw new IllegalStateException("cannot put " + tag, e);
    }
  }

  /** Re-encodes {@code tag} from {@code from} in UTF-8; absent or empty gives a zero-length attribute. */
  public static void copy(AttributeList from, AttributeList to, AttributeTag tag) {
    put(to, tag, values(from, tag));
  }

  /** A new, empty sequence put into {@code list}. */
  public static SequenceAttribute sequence(AttributeList list, AttributeTag tag) {
    SequenceAttribute s = new SequenceAttribute(tag);
    list.put(s);
    return s;
  }

  /** Adds an item to {@code sequence} and returns it for filling. */
  public static AttributeList item(SequenceAttribute sequence) {
    AttributeList item = new AttributeList();
    sequence.addItem(item);
    return item;
  }

  /** The attribute's first value, trimmed, or "" when absent. */
  public static String text(AttributeList list, AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(list, tag).trim();
  }

  /** Every value of the attribute; none when absent. */
  public static String[] values(AttributeList list, AttributeTag tag) {
    try {
      Attribute a = list.get(tag);
      String[] v = a == null ? null : a.getStringValues();
      return v == null ? new String[0] : v;
    } catch (DicomException e) {
      return new String[0];
    }
  }
}
