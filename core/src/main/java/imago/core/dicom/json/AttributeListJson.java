package imago.core.dicom.json;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A PixelMed data set as PS3.18 Annex F DICOM JSON, through Imago's own conformant writer.
 * Pixel Data is left out (WADO-RS serves it as bulk data); other binary values are inline up to
 * {@link #INLINE_BINARY_LIMIT} bytes. A larger one at the top level becomes a BulkDataURI
 * {@link #BULK_DATA_MARKER}{@code <tag>}, which the metadata response turns into the instance's
 * {@code .../bulkdata/<tag>} URL; a larger one inside a sequence is left out (PS3.18 F.2: a
 * server may omit bulk data). So one instance's metadata stays small whatever it carries.
 */
public final class AttributeListJson {
  private static final Set<String> BINARY = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "UN");
  private static final Set<String> FLOATS = Set.of("FL", "FD");
  private static final Set<String> INTEGERS = Set.of("SL", "SS", "UL", "US", "SV", "UV");
  private static final int PIXEL_DATA = 0x7FE00010;
  private static final int FLOAT_PIXEL_DATA = 0x7FE00008;
  private static final int DOUBLE_PIXEL_DATA = 0x7FE00009;

  /** Binary values up to this many bytes are inline (base64) in the metadata; larger ones are not. */
  public static final int INLINE_BINARY_LIMIT = 64 * 1024;
  /** The BulkDataURI kept at ingest for a large top-level binary value, followed by its tag. */
  public static final String BULK_DATA_MARKER = "imago:bulkdata/";

  private AttributeListJson() {}

  public static DicomJsonWriter toJson(AttributeList list) {
    return toJson(list, true);
  }

  private static DicomJsonWriter toJson(AttributeList list, boolean topLevel) {
    DicomJsonWriter out = DicomJson.dataset();
    for (Object o : list.values()) {
      Attribute a = (Attribute) o;
      AttributeTag t = a.getTag();
      int tag = (t.getGroup() << 16) | t.getElement();
      if (tag == PIXEL_DATA || tag == FLOAT_PIXEL_DATA || tag == DOUBLE_PIXEL_DATA || t.getGroup() == 0x0002) continue;
      try {
        add(out, tag, a, topLevel);
      } catch (DicomException | IllegalArgumentException e) {
        // a value PixelMed cannot decode is left out rather than failing the whole instance
      }
    }
    return out;
  }

  private static void add(DicomJsonWriter out, int tag, Attribute a, boolean topLevel) throws DicomException {
    String vr = a.getVRAsString();
    if (a instanceof SequenceAttribute sq) {
      List<DicomJsonWriter> items = new ArrayList<>();
      for (int i = 0; i < sq.getNumberOfItems(); i++) items.add(toJson(sq.getItem(i).getAttributeList(), false));
      out.sequence(tag, items);
    } else if (a.getVL() == 0) {
      out.empty(tag, vr);
    } else if (BINARY.contains(vr) && (a.getVL() & 0xFFFFFFFFL) > INLINE_BINARY_LIMIT) {
      if (topLevel) out.bulkDataUri(tag, vr, BULK_DATA_MARKER + DicomJson.key(tag));
    } else if (BINARY.contains(vr)) {
      out.inlineBinary(tag, vr, a.getByteValues());
    } else if (FLOATS.contains(vr)) {
      out.decimals(tag, vr, finite(a.getDoubleValues()));
    } else if (INTEGERS.contains(vr)) {
      out.integers(tag, vr, a.getLongValues());
    } else if ("AT".equals(vr)) {
      long[] values = a.getLongValues();
      String[] hex = new String[values.length];
      for (int i = 0; i < values.length; i++) hex[i] = DicomJson.key((int) values[i]);
      out.string(tag, vr, hex);
    } else {
      out.string(tag, vr, a.getStringValues());
    }
  }

  /** JSON has no NaN or infinity; such values become 0 rather than invalid JSON. */
  private static double[] finite(double[] values) {
    for (int i = 0; i < values.length; i++) if (!Double.isFinite(values[i])) values[i] = 0;
    return values;
  }
}
