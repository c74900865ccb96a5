package imago.inference.results;

import java.util.Objects;

/**
 * One segment's mask on one source frame: {@code rows * columns} booleans, row-major.
 *
 * @param segmentNumber 1-based, the position of the segment in the manifest's label map
 * @param source index into the {@code sources} list given to {@link SegWriter#write}
 * @param frame 1-based frame number within that source (1 for single-frame images)
 */
public record SegmentMask(int segmentNumber, int source, int frame, boolean[] mask) {
  public SegmentMask {
    Objects.requireNonNull(mask, "mask");
    if (segmentNumber < 1 || source < 0 || frame < 1) {
      throw new IllegalArgumentException("segmentNumber and frame are 1-based, source 0-based");
    }
  }
}
