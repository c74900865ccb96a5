package imago.inference.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.engine.InferenceException;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Stacking;
import imago.inference.pipeline.DecodedImage;
import imago.inference.results.Finding;
import imago.inference.results.SegmentMask;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostprocessorTest {
  private static final Manifest.Segment LESION = TestManifests.segment("lesion", TestManifests.LESION);
  private static final Manifest.Segment CYST = TestManifests.segment("cyst", null);

  /** A single-frame source and a two-frame one, as samples' {@code source} 0 and 1 name them. */
  private static final List<DecodedImage> IMAGES = List.of(TestManifests.image("2.25.1", 2, 2, new float[4]),
      TestManifests.image("2.25.2", 2, 2, new float[4], new float[4]));

  private static Postprocessor classifier() {
    return new Postprocessor(TestManifests.classifier(Manifest.Activation.NONE, Stacking.PER_INSTANCE, 1, 2, 2,
        new Manifest.Label("lesion", TestManifests.LESION, 0.6), new Manifest.Label("uncoded", null, Double.NaN)));
  }

  private static SampleOutput output(int source, int frame, float... raw) {
    return new SampleOutput(new Sample(source, frame, new float[4]), raw);
  }

  // --- mask resampling: nearest neighbour by pixel centre, back onto the source's rows x columns ---

  @Test
  void aMaskIsScaledUpToTheSourceImageByPixelCentre() {
    Postprocessor post = new Postprocessor(TestManifests.segmenter(2, 2, LESION));
    int[] map = {1, 0,
                 0, 1};

    boolean[] mask = post.mask(map, 1, 4, 4);

    assertArrayEquals(new boolean[] {
        true, true, false, false,
        true, true, false, false,
        false, false, true, true,
        false, false, true, true}, mask);
  }

  @Test
  void aMaskIsScaledDownToTheSourceImageByTheMapPixelEachCentreFallsIn() {
    Postprocessor post = new Postprocessor(TestManifests.segmenter(4, 4, LESION, CYST));
    // Source pixel centres fall in map rows and columns 1 and 3.
    int[] map = {0, 0, 0, 0,
                 0, 1, 0, 2,
                 0, 0, 0, 0,
                 0, 2, 0, 1};

    assertArrayEquals(new boolean[] {true, false, false, true}, post.mask(map, 1, 2, 2));
    assertArrayEquals(new boolean[] {false, true, true, false}, post.mask(map, 2, 2, 2));
  }

  @Test
  void aMaskOnANonSquareSourceKeepsItsRowsAndColumns() {
    Postprocessor post = new Postprocessor(TestManifests.segmenter(2, 2, LESION));
    int[] map = {1, 0,
                 0, 0};

    assertArrayEquals(new boolean[] {true, false, false, false, false, false}, post.mask(map, 1, 2, 3));
  }

  @Test
  void segmentationGivesAMaskPerSampleAndSegmentOnTheSamplesSourceFrameAndCountsPixels() throws Exception {
    Postprocessor post = new Postprocessor(TestManifests.segmenter(2, 2, LESION, CYST));
    List<DecodedImage> images = List.of(TestManifests.image("2.25.1", 2, 2, new float[4]),
        TestManifests.image("2.25.2", 4, 4, new float[16], new float[16]));
    // Channels background, lesion, cyst; each 2x2. Pixel 0 lesion, pixel 3 cyst, the rest background.
    float[] raw = {0, 5, 5, 0,
                   9, 0, 0, 0,
                   0, 0, 0, 9};

    Postprocessor.Segmentation seg = post.segment(List.of(output(0, 0, raw), output(1, 1, raw)), images);

    assertEquals(4, seg.masks().size());
    SegmentMask first = seg.masks().get(0);
    assertEquals(List.of(1, 0, 1), List.of(first.segmentNumber(), first.source(), first.frame()));
    assertArrayEquals(new boolean[] {true, false, false, false}, first.mask());
    SegmentMask last = seg.masks().get(3);
    assertEquals(List.of(2, 1, 2), List.of(last.segmentNumber(), last.source(), last.frame()), "SEG frames count from 1");
    assertEquals(16, last.mask().length, "the mask lies on the 4x4 source");
    assertEquals(1 + 4, seg.pixels(1));
    assertEquals(1 + 4, seg.pixels(2));
  }

  // --- classification: per label, the series' highest probability and where it came from ---

  @Test
  void eachLabelsFindingIsItsHighestProbabilityWithTheSampleThatGaveIt() throws Exception {
    List<SampleOutput> outputs = List.of(output(0, 0, 0.2f, 0.9f), output(1, 0, 0.7f, 0.9f), output(1, 1, 0.7f, 0.1f));

    Postprocessor.Classification c = classifier().classify(outputs, IMAGES);

    assertEquals(3, c.scored().size());
    assertSame(outputs.get(1).sample(), c.scored().get(1).sample());
    assertArrayEquals(new double[] {0.7f, 0.1f}, c.scored().get(2).probabilities());
    Postprocessor.Found lesion = c.found().get(0);
    assertEquals(0.7f, lesion.finding().probability());
    assertTrue(lesion.finding().present(), "0.7 reaches the threshold 0.6");
    assertSame(outputs.get(1).sample(), lesion.sample(), "the first sample with the highest probability");
    assertSame(outputs.get(0).sample(), c.found().get(1).sample());
  }

  @Test
  void aLabelWithoutACodeGetsAPrivateOneAndNoThreshold() throws Exception {
    Finding uncoded = classifier().classify(List.of(output(0, 0, 0.2f, 0.9f)), IMAGES).findings().get(1);

    assertEquals(new Manifest.Code("99IMAGO", "L2", "uncoded"), uncoded.code());
    assertFalse(uncoded.hasThreshold());
    assertFalse(uncoded.present());
  }

  @Test
  void anOutputThatIsNotAProbabilityFailsTheClassification() {
    assertThrows(InferenceException.class, () -> classifier().classify(List.of(output(0, 0, 1.5f, 0.1f)), IMAGES));
    assertThrows(InferenceException.class, () -> classifier().classify(List.of(output(0, 0, 0.5f)), IMAGES));
  }

  // --- detection: boxes from model input pixels onto the source image, at or above their threshold ---

  private static Postprocessor detector() {
    return new Postprocessor(TestManifests.detector(64, 64, new Manifest.Label("lesion", TestManifests.LESION, 0.6),
        new Manifest.Label("cyst", null, Double.NaN)));
  }

  @Test
  void boxesAreScaledOntoTheirSourceImageAndFilteredByTheirLabelsThreshold() throws Exception {
    List<DecodedImage> images = List.of(TestManifests.image("2.25.1", 128, 256, new float[128 * 256]),
        TestManifests.image("2.25.2", 64, 64, new float[64 * 64]));
    Postprocessor.Detection d = detector().detect(List.of(
        output(0, 0, 10, 20, 30, 40, 0.9f, 0, /* below lesion's 0.6 */ 1, 1, 5, 5, 0.55f, 0),
        output(1, 0, 60, 60, 70, 70, 0.5f, 1, /* cyst: the default 0.5 */ 2, 2, 4, 4, 0.4f, 1)), images);

    assertEquals(2, d.regions().size(), d.regions().toString());
    var lesion = d.regions().get(0);
    assertEquals("lesion", lesion.label());
    assertEquals(0, lesion.source());
    // x scales by 256 / 64, y by 128 / 64
    assertArrayEquals(new double[] {40, 40, 120, 80}, new double[] {lesion.x0(), lesion.y0(), lesion.x1(), lesion.y1()});
    var cyst = d.regions().get(1);
    assertEquals("99IMAGO", cyst.code().scheme(), "an uncoded label gets a private code");
    assertArrayEquals(new double[] {60, 60, 64, 64}, new double[] {cyst.x0(), cyst.y0(), cyst.x1(), cyst.y1()},
        "clipped to the image");
    assertEquals(0.9, d.findings().get(0).probability(), 1e-6);
    assertTrue(d.findings().get(0).present());
    assertEquals(0.5, d.findings().get(1).probability(), 1e-6);
  }

  @Test
  void noBoxesMeansEveryFindingAbsentAtZero() throws Exception {
    Postprocessor.Detection d = detector().detect(List.of(output(0, 0)),
        List.of(TestManifests.image("2.25.1", 64, 64, new float[64 * 64])));
    assertEquals(List.of(), d.regions());
    assertEquals(0, d.findings().get(0).probability());
    assertFalse(d.findings().get(0).present());
  }

  @Test
  void malformedDetectorOutputsFailTheJobWithWhy() {
    Postprocessor post = detector();
    List<DecodedImage> images = List.of(TestManifests.image("2.25.1", 64, 64, new float[64 * 64]));
    for (float[] raw : new float[][] {{1, 2, 3, 4, 0.5f}, {1, 2, 3, 4, 1.5f, 0}, {1, 2, 3, 4, 0.5f, 2},
        {1, 2, 3, 4, 0.5f, 0.5f}, {Float.NaN, 2, 3, 4, 0.5f, 0}}) {
      InferenceException e = assertThrows(InferenceException.class, () -> post.detect(List.of(output(0, 0, raw)), images));
      assertFalse(e.getMessage().isBlank());
    }
  }
}
