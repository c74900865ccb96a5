package imago.inference.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One model input and the image it came from, so that its output is reported against that image.
 * The array is shared, not copied.
 *
 * @param source the instance's index among the job's decoded instances, in instance order
 * @param frame 0-based frame within that instance (0 for a single-frame image and for a series stack)
 * @param input the preprocessed values, laid out as the manifest's input says
 */
public record Sample(int source, int frame, float[] input) {
  public Sample {
    Objects.requireNonNull(input, "input");
    if (source < 0 || frame < 0) throw new IllegalArgumentException("source and frame are 0-based");
  }

  /** One sample per frame of decoded instance {@code source}, in frame order. */
  public static List<Sample> frames(int source, List<float[]> inputs) {
    List<Sample> samples = new ArrayList<>(inputs.size());
    for (int f = 0; f < inputs.size(); f++) samples.add(new Sample(source, f, inputs.get(f)));
    return samples;
  }
}
