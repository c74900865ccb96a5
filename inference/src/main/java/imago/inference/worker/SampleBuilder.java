package imago.inference.worker;

import imago.inference.manifest.Manifest;
import imago.inference.pipeline.DecodedImage;
import imago.inference.pipeline.Preprocessor;
import java.util.List;

/**
 * Turns a job's decoded instances into samples, stacked as the manifest says. Whether the series
 * is one volume or each frame its own input is read here, once: per instance, an instance's
 * frames are prepared on the decode pool as soon as it is decoded, so the engine can start on
 * them; per series, the one stack is prepared once every instance is decoded.
 */
public final class SampleBuilder {
  private final Preprocessor preprocessor;
  private final boolean perSeries;

  public SampleBuilder(Preprocessor preprocessor) {
    this.preprocessor = preprocessor;
    this.perSeries = preprocessor.stacking() == Manifest.Stacking.PER_SERIES;
  }

  /** True when the whole series is one sample, false when every frame is one. */
  public boolean perSeries() {
    return perSeries;
  }

  /** An instance's own inputs, one per frame; none when the series is stacked (see {@link #series}). */
  public List<float[]> frames(DecodedImage image) {
    return perSeries ? List.of() : preprocessor.samples(image);
  }

  /**
   * The series stack from every decoded instance, as one sample reported against the first
   * instance's first frame; none when each frame is its own sample (see {@link #frames}).
   */
  public List<Sample> series(List<DecodedImage> decoded) {
    return perSeries ? List.of(new Sample(0, 0, preprocessor.series(decoded))) : List.of();
  }
}
