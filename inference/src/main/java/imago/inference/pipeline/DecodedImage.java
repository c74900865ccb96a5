package imago.inference.pipeline;

import java.util.List;

/**
 * One decoded grayscale image instance: its frames as modality values (PS3.3 C.11.1 Modality LUT:
 * Rescale Slope and Intercept applied), row-major, {@code rows x columns} each, and the geometry
 * a series needs to be sorted.
 *
 * <p>Frames are not inverted: {@code photometric} says whether the minimum is white
 * (MONOCHROME1) and the {@link Preprocessor} decides. Arrays are shared, not copied; records
 * compare them by identity.
 *
 * @param imagePositionPatient (0020,0032), 3 values, or null when absent
 * @param imageOrientationPatient (0020,0037), 6 values (row then column direction cosines), or null
 * @param instanceNumber (0020,0013), or null when absent
 * @param rescaleSlope the slope the decoder applied, 1 when the instance has none
 * @param rescaleIntercept the intercept the decoder applied, 0 when the instance has none
 */
public record DecodedImage(String sopInstanceUid, String seriesInstanceUid, int rows, int columns,
    List<float[]> frames, String photometric, double[] imagePositionPatient,
    double[] imageOrientationPatient, Integer instanceNumber, double rescaleSlope, double rescaleIntercept) {

  public static final String MONOCHROME1 = "MONOCHROME1";
  public static final String MONOCHROME2 = "MONOCHROME2";

  public DecodedImage {
    if (rows < 1 || columns < 1) {
      throw new IllegalArgumentException("rows and columns must be positive, got " + rows + "x" + columns);
    }
    if (frames == null || frames.isEmpty()) {
      throw new IllegalArgumentException("an image has at least one frame");
    }
    frames = List.copyOf(frames);
    for (float[] frame : frames) {
      if (frame.length != rows * columns) {
        throw new IllegalArgumentException("a frame holds " + frame.length + " values, " + rows + "x" + columns
            + " needs " + rows * columns);
      }
    }
    if (imagePositionPatient != null && imagePositionPatient.length != 3) {
      throw new IllegalArgumentException("Image Position (Patient) has 3 values, got " + imagePositionPatient.length);
    }
    if (imageOrientationPatient != null && imageOrientationPatient.length != 6) {
      throw new IllegalArgumentException("Image Orientation (Patient) has 6 values, got " + imageOrientationPatient.length);
    }
    if (rescaleSlope == 0 || !Double.isFinite(rescaleSlope) || !Double.isFinite(rescaleIntercept)) {
      throw new IllegalArgumentException("Rescale Slope must be finite and non-zero, intercept finite");
    }
  }

  /** An image whose frames hold stored values unchanged (slope 1, intercept 0). */
  public DecodedImage(String sopInstanceUid, String seriesInstanceUid, int rows, int columns, List<float[]> frames,
      String photometric, double[] imagePositionPatient, double[] imageOrientationPatient, Integer instanceNumber) {
    this(sopInstanceUid, seriesInstanceUid, rows, columns, frames, photometric, imagePositionPatient,
        imageOrientationPatient, instanceNumber, 1, 0);
  }

  /** PS3.3 C.7.6.3.1.2: MONOCHROME1 shows the minimum value as white. */
  public boolean monochrome1() {
    return MONOCHROME1.equals(photometric);
  }

  /**
   * Frame {@code index} in double precision: modality values when {@code rescaled}, otherwise
   * the stored values (the decoder's rescale undone).
   */
  public double[] values(int index, boolean rescaled) {
    float[] frame = frames.get(index);
    double[] values = new double[frame.length];
    for (int i = 0; i < frame.length; i++) {
      values[i] = rescaled ? frame[i] : (frame[i] - rescaleIntercept) / rescaleSlope;
    }
    return values;
  }
}
