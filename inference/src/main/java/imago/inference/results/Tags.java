package imago.inference.results;

import com.pixelmed.dicom.AttributeTag;

/** Tags PixelMed's dictionary knows but {@code TagFromName} does not name. */
final class Tags {
  static final AttributeTag CONTRIBUTION_DATE_TIME = new AttributeTag(0x0018, 0xA002);
  static final AttributeTag SEGMENT_ALGORITHM_NAME = new AttributeTag(0x0062, 0x0009);

  private Tags() {}
}
