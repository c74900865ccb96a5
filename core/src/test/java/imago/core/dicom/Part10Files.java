package imago.core.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import imago.core.synthetic.SyntheticCt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test helpers: validate a PS3.10 file the way a receiver does, and build files to break. */
final class Part10Files {
  static final AttributeTag SOP_INSTANCE_UID = new AttributeTag(0x0008, 0x0018);

  private Part10Files() {}

  /** Parses the File Meta Information, then walks the data set; returns the header. */
  static Part10.Header validate(byte[] file) throws MalformedDicomException {
    ByteBuffer b = ByteBuffer.wrap(file);
    Part10.Header header = Part10.parse(b);
    DatasetWalker.validate(b.position(header.datasetOffset()), header.transferSyntaxUid());
    return header;
  }

  /** A small synthetic CT instance (16x16) with sequences nested two deep, as PixelMed writes it. */
  static AttributeList smallInstanceWithSequences(long seed) {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 1, 16, 16, seed, "TEST");
    AttributeList list = read(SyntheticCt.instance(spec, 1, 1, 1));
    addSequences(list);
    return list;
  }

  /**
   * Adds Referenced Image Sequence (two items, the second with a nested Purpose of Reference
   * Code Sequence) and an empty Referenced Study Sequence: item and sequence boundaries to cut.
   */
  static void addSequences(AttributeList list) {
    try {
      SequenceAttribute images = new SequenceAttribute(new AttributeTag(0x0008, 0x1140));
      for (int i = 1; i <= 2; i++) {
        AttributeList item = new AttributeList();
        put(item, 0x0008, 0x1150, "1.2.840.10008.5.1.4.1.1.2");
        put(item, 0x0008, 0x1155, "2.25.1000" + i);
        if (i == 2) {
          SequenceAttribute purpose = new SequenceAttribute(new AttributeTag(0x0040, 0xA170));
          AttributeList code = new AttributeList();
          put(code, 0x0008, 0x0100, "121311");
          put(code, 0x0008, 0x0102, "DCM");
          put(code, 0x0008, 0x0104, "Localizer");
          purpose.addItem(code);
          item.put(purpose);
        }
        images.addItem(item);
      }
      list.put(images);
      list.put(new SequenceAttribute(new AttributeTag(0x0008, 0x1110)));
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }

  static void put(AttributeList list, int group, int element, String value) throws DicomException {
    Attribute a = AttributeFactory.newAttribute(new AttributeTag(group, element));
    a.addValue(value);
    list.put(a);
  }

  /** Reads a whole PS3.10 file (meta and data set) into one list. */
  static AttributeList read(byte[] file) {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(file))) {
      list.read(in);
    } catch (IOException | DicomException e) {
      throw new IllegalStateException(e);
    }
    return list;
  }

  /** Writes {@code list} (which carries its group 0002) as a PS3.10 file in explicit VR little endian. */
  static byte[] write(AttributeList list) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      list.write(out, Uids.EXPLICIT_VR_LITTLE_ENDIAN, true, true);
    } catch (IOException | DicomException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /**
   * File lengths at which a cut leaves a structurally whole file: after the meta and each
   * top-level data set element. Found by writing the list with only its first k data set
   * attributes (PixelMed writes in tag order, so each is a prefix of the whole file).
   */
  static List<Integer> topLevelBoundaries(AttributeList full, byte[] fullFile) {
    List<AttributeTag> datasetTags = new ArrayList<>();
    for (AttributeTag tag : full.keySet()) {
      if (tag.getGroup() != 0x0002) datasetTags.add(tag);
    }
    List<Integer> ends = new ArrayList<>();
    for (int k = 0; k <= datasetTags.size(); k++) {
      AttributeList prefix = new AttributeList();
      for (Attribute a : full.values()) {
        AttributeTag tag = a.getTag();
        if (tag.getGroup() == 0x0002 || datasetTags.indexOf(tag) < k) prefix.put(a);
      }
      byte[] bytes = write(prefix);
      if (!Arrays.equals(bytes, Arrays.copyOf(fullFile, bytes.length))) {
        throw new IllegalStateException("the first " + k + " attributes do not encode as a prefix of the file");
      }
      ends.add(bytes.length);
    }
    return ends;
  }
}
