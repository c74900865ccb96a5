package imago.inference.worker;

import static imago.inference.worker.TestManifests.image;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Stacking;
import imago.inference.pipeline.DecodedImage;
import imago.inference.pipeline.ManifestPreprocessor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleBuilderTest {
  private static final Manifest.Label LESION = new Manifest.Label("lesion", TestManifests.LESION, 0.5);
  private static final DecodedImage TWO_FRAMES = image("2.25.1", 1, 2, new float[] {1, 2}, new float[] {3, 4});
  private static final DecodedImage ONE_FRAME = image("2.25.2", 1, 2, new float[] {5, 6});

  private static SampleBuilder builder(Stacking stacking, int channels) {
    return new SampleBuilder(new ManifestPreprocessor(TestManifests.classifier(Manifest.Activation.SIGMOID, stacking,
        channels, 1, 2, LESION)));
  }

  @Test
  void perInstanceEveryFrameIsASampleOfItsOwnInstanceAndFrame() {
    SampleBuilder perInstance = builder(Stacking.PER_INSTANCE, 1);

    List<Sample> samples = Sample.frames(1, perInstance.frames(TWO_FRAMES));

    assertFalse(perInstance.perSeries());
    assertEquals(2, samples.size());
    assertEquals(1, samples.get(0).source());
    assertEquals(0, samples.get(0).frame());
    assertArrayEquals(new float[] {1, 2}, samples.get(0).input());
    assertEquals(1, samples.get(1).source());
    assertEquals(1, samples.get(1).frame());
    assertArrayEquals(new float[] {3, 4}, samples.get(1).input());
    assertEquals(List.of(), perInstance.series(List.of(TWO_FRAMES, ONE_FRAME)), "no stack when per instance");
  }

  @Test
  void perSeriesTheWholeSeriesIsOneSampleReportedAgainstTheFirstInstance() {
    SampleBuilder perSeries = builder(Stacking.PER_SERIES, 3);

    List<Sample> samples = perSeries.series(List.of(TWO_FRAMES, ONE_FRAME));

    assertTrue(perSeries.perSeries());
    assertEquals(List.of(), perSeries.frames(TWO_FRAMES), "an instance alone gives no sample when stacked");
    assertEquals(1, samples.size());
    assertEquals(0, samples.get(0).source());
    assertEquals(0, samples.get(0).frame());
    // Three frames, three channels: the frames become the channels, 1x2 each, in order.
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, samples.get(0).input());
  }
}
