package imago.core.dicom.codec;

/**
 * What a compressed frame decodes to, as its data set declares it (Image Pixel Module, PS3.3
 * C.7.6.3): the codec helper needs it because a bare codestream does not say everything (a
 * JPEG-LS stream of 12-bit signed values looks like one of unsigned ones).
 */
public record FrameFormat(int rows, int columns, int samplesPerPixel, int bitsAllocated, int bitsStored,
    int pixelRepresentation, int planarConfiguration, String photometric) {

  /** Bytes of one decoded frame, native and little endian. */
  public long frameBytes() {
    return (long) rows * columns * samplesPerPixel * (bitsAllocated / 8);
  }

  /** Why GDCM is not asked to decode a frame of this format; null when it may be. */
  String refusal() {
    if (rows < 1 || columns < 1 || rows > 65535 || columns > 65535) return "Rows " + rows + " x Columns " + columns;
    if (samplesPerPixel != 1 && samplesPerPixel != 3) return "Samples per Pixel " + samplesPerPixel;
    if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) return "Bits Allocated " + bitsAllocated;
    if (bitsStored < 1 || bitsStored > bitsAllocated) return "Bits Stored " + bitsStored + " of " + bitsAllocated;
    if (pixelRepresentation != 0 && pixelRepresentation != 1) return "Pixel Representation " + pixelRepresentation;
    if (photometric == null || photometric.isBlank()) return "no Photometric Interpretation";
    if (frameBytes() > Integer.MAX_VALUE - 64) return frameBytes() + " bytes in one frame";
    return null;
  }
}
