package imago.node.links;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The few PixelMed data set operations the link encoders need. Text is encoded in UTF-8: callers
 * declare Specific Character Set "ISO_IR 192" (PS3.3 C.12.1.1.2) wherever a value may leave ASCII.
 */
final class Attrs {
  static final String UTF_8 = "ISO_IR 192";
  static final AttributeTag RETRIEVE_URL = new AttributeTag(0x0008, 0x1190);
  static final AttributeTag RETRIEVE_LOCATION_UID = new AttributeTag(0x0040, 0xE011);
  private static final SpecificCharacterSet CHARSET = new SpecificCharacterSet(new String[] {UTF_8});

  private Attrs() {}

  /** Puts {@code tag} with its dictionary VR; no values gives a zero-length (type 2) attribute. */
  static void put(AttributeList list, AttributeTag tag, String... values) {
    try {
      byte[] vr = AttributeList.getDictionary().getValueRepresentationFromTag(tag);
      Attribute a = AttributeFactory.newAttribute(tag, vr, CHARSET);
      for (String v : values) a.addValue(v);
      list.put(a);
    } catch (DicomException e) {
      throw new IllegalStateException("cannot put " + tag, e);
    }
  }

  /** A binary number (US, UL) with its dictionary VR. */
  static void putNumber(AttributeList list, AttributeTag tag, long value) {
    try {
      byte[] vr = AttributeList.getDictionary().getValueRepresentationFromTag(tag);
      Attribute a = AttributeFactory.newAttribute(tag, vr);
      a.addValue(value);
      list.put(a);
    } catch (DicomException e) {
      throw new IllegalStateException("cannot put " + tag, e);
    }
  }

  /** Copies {@code tag}'s values, re-encoded in UTF-8; absent gives a zero-length attribute. */
  static void copy(AttributeList from, AttributeList to, AttributeTag tag) {
    put(to, tag, values(from, tag));
  }

  static String[] values(AttributeList list, AttributeTag tag) {
    try {
      Attribute a = list.get(tag);
      String[] v = a == null ? null : a.getStringValues();
      return v == null ? new String[0] : v;
    } catch (DicomException e) {
      return new String[0];
    }
  }

  /** First value, trimmed, or "". */
  static String text(AttributeList list, AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(list, tag).trim();
  }

  static SequenceAttribute sequence(AttributeList list, AttributeTag tag) {
    SequenceAttribute s = new SequenceAttribute(tag);
    list.put(s);
    return s;
  }

  static AttributeList item(SequenceAttribute sequence) {
    AttributeList item = new AttributeList();
    sequence.addItem(item);
    return item;
  }

  /** A one-item code sequence (PS3.3 Table 8.8-1 Code Sequence Macro). */
  static void code(AttributeList list, AttributeTag sequenceTag, String scheme, String value, String meaning) {
    AttributeList item = item(sequence(list, sequenceTag));
    put(item, TagFromName.CodeValue, value);
    put(item, TagFromName.CodingSchemeDesignator, scheme);
    put(item, TagFromName.CodeMeaning, meaning);
  }

  /** The data set alone (no File Meta Information) in {@code transferSyntaxUid}. */
  static byte[] encode(AttributeList list, String transferSyntaxUid) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
      list.write(out, transferSyntaxUid, false, true);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DicomException e) {
      throw new IllegalStateException("cannot encode data set", e);
    }
  }
}
