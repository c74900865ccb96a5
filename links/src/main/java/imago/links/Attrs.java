package imago.links;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The few PixelMed data set operations the link encoders need. Text is encoded in UTF-8: callers
 * declare Specific Character Set "ISO_IR 192" (PS3.3 C.12.1.1.2) wherever a value may leave ASCII.
 */
final class Attrs {
  static final AttributeTag RETRIEVE_URL = new AttributeTag(0x0008, 0x1190);
  static final AttributeTag RETRIEVE_LOCATION_UID = new AttributeTag(0x0040, 0xE011);

  private Attrs() {}

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
