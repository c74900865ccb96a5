package imago.node.dicomweb.wado;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one stored instance keeps its pixels, and the few Image Pixel attributes (PS3.3 C.7.6.3)
 * needed to cut frames and render them: found once by {@link PixelDataLocator} and cached, since
 * stored objects never change (their keys carry their content hash).
 *
 * @param pixelDataOffset object offset of the Pixel Data value (native) or its first item (encapsulated); -1 if none
 * @param pixelDataLength value length of native Pixel Data; -1 if encapsulated or none
 * @param fragments encapsulated pixel data items after the Basic Offset Table, in order
 * @param basicOffsetTable PS3.5 A.4: frame starts relative to the first fragment item; empty if not sent
 */
record PixelLayout(String transferSyntaxUid, int rows, int columns, int bitsAllocated, int bitsStored,
    int pixelRepresentation, int samplesPerPixel, int planarConfiguration, String photometricInterpretation,
    int numberOfFrames, double[] windowCenter, double[] windowWidth, double rescaleSlope, double rescaleIntercept,
    String voiLutFunction, long pixelDataOffset, long pixelDataLength, List<Fragment> fragments,
    long[] basicOffsetTable) {

  /** One encapsulated item: its header at {@code itemOffset}, its value of {@code length} bytes after it. */
  record Fragment(long itemOffset, long valueOffset, long length) {}

  /** One frame's bytes as ranges of the stored object. */
  record FrameRanges(List<long[]> ranges) {
    long length() {
      long n = 0;
      for (long[] r : ranges) n += r[1];
      return n;
    }
  }

  boolean hasPixelData() {
    return pixelDataOffset >= 0;
  }

  boolean encapsulated() {
    return hasPixelData() && pixelDataLength < 0;
  }

  boolean monochrome() {
    return photometricInterpretation != null && photometricInterpretation.startsWith("MONOCHROME");
  }

  /** Bytes of one native frame; -1 when frames are not whole bytes (1-bit data not on a byte boundary). */
  long nativeFrameLength() {
    long bits = (long) rows * columns * samplesPerPixel * bitsAllocated;
    return bits % 8 == 0 ? bits / 8 : -1;
  }

  /**
   * The byte ranges of frame {@code n} (1-based) in the stored object, or null when they cannot be
   * told without decoding (several fragments per frame and no offset table).
   */
  FrameRanges frame(int n) {
    if (n < 1 || n > numberOfFrames || !hasPixelData()) return null;
    if (!encapsulated()) {
      long size = nativeFrameLength();
      if (size <= 0 || (long) n * size > pixelDataLength) return null;
      return new FrameRanges(List.of(new long[] {pixelDataOffset + (n - 1) * size, size}));
    }
    if (fragments.isEmpty()) return null;
    if (numberOfFrames == 1) return ranges(fragments);
    if (basicOffsetTable.length == numberOfFrames) {
      long first = fragments.get(0).itemOffset();
      long start = basicOffsetTable[n - 1];
      long end = n < numberOfFrames ? basicOffsetTable[n] : Long.MAX_VALUE;
      List<Fragment> mine = new ArrayList<>();
      for (Fragment f : fragments) {
        long rel = f.itemOffset() - first;
        if (rel >= start && rel < end) mine.add(f);
      }
      return mine.isEmpty() ? null : ranges(mine);
    }
    if (fragments.size() == numberOfFrames) return ranges(List.of(fragments.get(n - 1)));
    return null;
  }

  private static FrameRanges ranges(List<Fragment> fragments) {
    List<long[]> out = new ArrayList<>(fragments.size());
    for (Fragment f : fragments) out.add(new long[] {f.valueOffset(), f.length()});
    return new FrameRanges(out);
  }
}
