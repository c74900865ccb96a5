package imago.inference.pipeline;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;

/**
 * The Image Pixel Module attributes (PS3.3 C.7.6.3) the decoder relies on, checked: a grayscale
 * image of 8- or 16-bit words whose Pixel Data holds every frame.
 */
record PixelModule(int rows, int columns, int frames, int bitsAllocated, int bitsStored, boolean signed,
    String photometric) {

  /** (0028,3000); PixelMed 20220618's TagFromName has no constant for it. */
  private static final AttributeTag MODALITY_LUT_SEQUENCE = new AttributeTag(0x0028, 0x3000);

  /** Reads and checks the module; {@code transferSyntax} only names the file in messages. */
  static PixelModule of(AttributeList list, String transferSyntax) throws NotDecodableException {
    int samples = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1);
    String photometric = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.PhotometricInterpretation).trim();
    if (samples != 1 || !(photometric.equals(DecodedImage.MONOCHROME1) || photometric.equals(DecodedImage.MONOCHROME2))) {
      throw new NotDecodableException(transferSyntax, "Photometric Interpretation '" + photometric + "' with "
          + samples + " samples per pixel: only MONOCHROME1 and MONOCHROME2 images are decoded for inference");
    }
    int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
    int columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
    int frames = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1);
    if (rows < 1 || columns < 1 || frames < 1) {
      throw new NotDecodableException(transferSyntax, "Rows " + rows + ", Columns " + columns + ", Number of Frames "
          + frames + ": an image needs all three positive");
    }
    int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0);
    int bitsStored = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, bitsAllocated);
    if ((bitsAllocated != 8 && bitsAllocated != 16) || bitsStored < 1 || bitsStored > bitsAllocated) {
      throw new NotDecodableException(transferSyntax, "Bits Allocated " + bitsAllocated + ", Bits Stored " + bitsStored
          + ": only 8- or 16-bit words are decoded");
    }
    if (list.get(MODALITY_LUT_SEQUENCE) != null) {
      throw new NotDecodableException(transferSyntax, "a Modality LUT Sequence (0028,3000) is present: only Rescale "
          + "Slope and Intercept are applied");
    }
    boolean signed = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0) == 1;
    PixelModule module = new PixelModule(rows, columns, frames, bitsAllocated, bitsStored, signed, photometric);
    module.checkPixelData(list.getPixelData(), transferSyntax);
    return module;
  }

  /**
   * PixelMed decompresses while it reads and does not fail on a truncated or corrupt file: it
   * leaves Pixel Data out or short. Both are caught here, before any value is trusted.
   */
  private void checkPixelData(Attribute pixelData, String transferSyntax) throws NotDecodableException {
    if (pixelData == null) {
      throw new NotDecodableException(transferSyntax, "no Pixel Data (7FE0,0010) after reading: the file is truncated, "
          + "or its compressed pixel data is corrupt");
    }
    long needed = (long) rows * columns * frames * (bitsAllocated / 8);
    if (pixelData.getVL() < needed) {
      throw new NotDecodableException(transferSyntax, "Pixel Data (7FE0,0010) holds " + pixelData.getVL()
          + " bytes, " + rows + "x" + columns + "x" + frames + " frames of " + bitsAllocated + "-bit words need "
          + needed + ": truncated");
    }
  }

  int frameSize() {
    return rows * columns;
  }

  /** A raw sample from PixelMed's raster as the stored value: high bits masked, sign extended (PS3.5 8.1.1). */
  int storedValue(int raw) {
    int value = raw & ((1 << bitsStored) - 1);
    if (signed && (value & (1 << (bitsStored - 1))) != 0) {
      value -= 1 << bitsStored;
    }
    return value;
  }
}
