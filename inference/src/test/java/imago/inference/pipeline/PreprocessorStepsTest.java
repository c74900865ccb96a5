package imago.inference.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import imago.inference.engine.Framework;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Input;
import imago.inference.manifest.Manifest.Layout;
import imago.inference.manifest.Manifest.PercentileClip;
import imago.inference.manifest.Manifest.Preprocessing;
import imago.inference.manifest.Manifest.Resize;
import imago.inference.manifest.Manifest.Stacking;
import imago.inference.manifest.Manifest.Window;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each preprocessing step on tiny hand-made images, against values worked out by hand. */
class PreprocessorStepsTest {

  private static final float EXACT = 1e-6f;

  // --- window: PS3.3 C.11.2.1.3.2 LINEAR_EXACT, as the manifest schema defines it ---

  @Test
  void windowMapsCenterMinusHalfWidthToZeroCenterPlusHalfWidthToOneAndLinearBetween() {
    float[] sample = only(preprocessor(row(7), window(50, 100), Resize.BILINEAR, null, null)
        .samples(image(1, 7, "MONOCHROME2", -10, 0, 40, 50, 60, 100, 110)));

    assertArrayEquals(new float[] {0, 0, 0.4f, 0.5f, 0.6f, 1, 1}, sample, EXACT);
  }

  @Test
  void monochrome1IsInvertedAfterTheWindowSoHigherIsBrighter() {
    float[] sample = only(preprocessor(row(7), window(50, 100), Resize.BILINEAR, null, null)
        .samples(image(1, 7, "MONOCHROME1", -10, 0, 40, 50, 60, 100, 110)));

    assertArrayEquals(new float[] {1, 1, 0.6f, 0.5f, 0.4f, 0, 0}, sample, EXACT);
  }

  @Test
  void monochrome1IsInvertedAfterAPercentileClip() {
    Preprocessing clip = steps(true, null, new PercentileClip(0, 100), Resize.BILINEAR, null, null,
        Stacking.PER_INSTANCE);

    float[] sample = only(new ManifestPreprocessor(manifest(row(5), clip)).samples(image(1, 5, "MONOCHROME1",
        0, 1, 2, 3, 4)));

    assertArrayEquals(new float[] {1, 0.75f, 0.5f, 0.25f, 0}, sample, EXACT);
  }

  @Test
  void monochrome1WithoutAWindowMirrorsTheImagesOwnRange() {
    float[] sample = only(preprocessor(row(3), null, Resize.BILINEAR, null, null)
        .samples(image(1, 3, "MONOCHROME1", 10, 20, 40)));

    assertArrayEquals(new float[] {40, 30, 10}, sample, EXACT);
  }

  @Test
  void windowAppliesToModalityValuesOrStoredValuesAsRescaleSays() {
    // stored 0, 50, 100 with slope 2, intercept -100: modality values -100, 0, 100
    DecodedImage image = new DecodedImage("2.25.1", "2.25.9", 1, 3, List.of(new float[] {-100, 0, 100}),
        "MONOCHROME2", null, null, null, 2, -100);
    Window window = new Window(50, 100);

    float[] rescaled = only(new ManifestPreprocessor(manifest(row(3), steps(true, window, null, Resize.BILINEAR,
        null, null, Stacking.PER_INSTANCE))).samples(image));
    float[] stored = only(new ManifestPreprocessor(manifest(row(3), steps(false, window, null, Resize.BILINEAR,
        null, null, Stacking.PER_INSTANCE))).samples(image));

    assertArrayEquals(new float[] {0, 0, 1}, rescaled, EXACT);
    assertArrayEquals(new float[] {0, 0.5f, 1}, stored, EXACT);
  }

  // --- percentile clip: the reference models' rule ---

  @Test
  void percentileIsLinearBetweenTheClosestRanks() {
    double[] shuffled = {7, 3, 10, 1, 9, 2, 8, 5, 4, 6};

    assertEquals(3.25, Intensity.selectPercentile(shuffled.clone(), 0, 25), 1e-12); // rank 2.25
    assertEquals(1.045, Intensity.selectPercentile(shuffled.clone(), 0, 0.5), 1e-12); // rank 0.045
    assertEquals(10, Intensity.selectPercentile(shuffled.clone(), 0, 100), 1e-12);
    assertEquals(1, Intensity.selectPercentile(shuffled.clone(), 0, 0), 1e-12);
  }

  /** Selection in place gives what sorting gives, value for value, for a low then a high percentile. */
  @Test
  void selectedPercentilesEqualSortedOnes() {
    java.util.Random random = new java.util.Random(11);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(trial < 100 ? 20 : 5000);
      double[] v = new double[n];
      for (int i = 0; i < n; i++) v[i] = random.nextInt(trial % 2 == 0 ? 4 : 4096); // ties, and spread
      double[] sorted = v.clone();
      java.util.Arrays.sort(sorted);
      double low = 100 * random.nextDouble() / 2;
      double high = 50 + 100 * random.nextDouble() / 2;
      double lo = Intensity.selectPercentile(v, 0, low);
      double hi = Intensity.selectPercentile(v, (int) Math.floor(low / 100 * (n - 1)) + 1, high);
      assertEquals(sortedPercentile(sorted, low), lo, 0, "low " + low + " of " + n);
      assertEquals(sortedPercentile(sorted, high), hi, 0, "high " + high + " of " + n);
    }
  }

  /**
   * A flat plane (and one that is mostly one value, as a saturated radiograph or the air around a
   * CT) costs one pass: a selection that advanced one tie at a time took tens of seconds on 512 x 512.
   */
  @Test
  @org.junit.jupiter.api.Timeout(10)
  void manyEqualValuesAreSelectedInLinearTime() {
    double[] flat = new double[2048 * 2048];
    java.util.Arrays.fill(flat, 7);
    assertEquals(7, Intensity.selectPercentile(flat, 0, 99.5), 0);
    double[] saturated = new double[2048 * 2048];
    for (int i = 0; i < saturated.length; i++) saturated[i] = i % 10 == 0 ? i % 4096 : 4095;
    double[] sorted = saturated.clone();
    java.util.Arrays.sort(sorted);
    assertEquals(sortedPercentile(sorted, 0.5), Intensity.selectPercentile(saturated, 0, 0.5), 0);
    assertEquals(sortedPercentile(sorted, 99.5), Intensity.selectPercentile(saturated,
        (int) Math.floor(0.5 / 100 * (saturated.length - 1)) + 1, 99.5), 0);
  }

  private static double sortedPercentile(double[] sorted, double p) {
    double r = p / 100.0 * (sorted.length - 1);
    int f = (int) Math.floor(r);
    double a = sorted[f];
    double b = sorted[Math.min(f + 1, sorted.length - 1)];
    return a + (b - a) * (r - f);
  }

  @Test
  void aFlatImageClipsToAllZeros() {
    Preprocessing clip = steps(true, null, new PercentileClip(0.5, 99.5), Resize.BILINEAR, null, null,
        Stacking.PER_INSTANCE);

    float[] sample = only(new ManifestPreprocessor(manifest(row(3), clip)).samples(image(1, 3, "MONOCHROME2",
        7, 7, 7)));

    assertArrayEquals(new float[] {0, 0, 0}, sample, EXACT);
  }

  // --- resize: torch.nn.functional.interpolate semantics ---

  @Test
  void bilinearUpsamplingMatchesTorchWithAlignCornersFalse() {
    // torch.nn.functional.interpolate([[0, 1], [2, 3]], size=(4, 4), mode='bilinear', align_corners=False)
    float[] sample = only(preprocessor(square(4), null, Resize.BILINEAR, null, null)
        .samples(image(2, 2, "MONOCHROME2", 0, 1, 2, 3)));

    assertArrayEquals(new float[] {
        0, 0.25f, 0.75f, 1,
        0.5f, 0.75f, 1.25f, 1.5f,
        1.5f, 1.75f, 2.25f, 2.5f,
        2, 2.25f, 2.75f, 3}, sample, EXACT);
  }

  @Test
  void bilinearDownsamplingSamplesBetweenSourcePixelsWithoutAntialiasing() {
    // 1x5 -> 1x3: source x = (d + 0.5) * 5/3 - 0.5 = 1/3, 2, 11/3
    float[] sample = only(preprocessor(row(3), null, Resize.BILINEAR, null, null)
        .samples(image(1, 5, "MONOCHROME2", 0, 3, 6, 9, 12)));

    assertArrayEquals(new float[] {1, 6, 11}, sample, EXACT);
  }

  @Test
  void nearestTakesTheSourcePixelAtFloorOfDestinationTimesScale() {
    float[] down = only(preprocessor(row(3), null, Resize.NEAREST, null, null)
        .samples(image(1, 5, "MONOCHROME2", 0, 3, 6, 9, 12)));
    float[] up = only(preprocessor(square(4), null, Resize.NEAREST, null, null)
        .samples(image(2, 2, "MONOCHROME2", 0, 1, 2, 3)));

    assertArrayEquals(new float[] {0, 3, 9}, down, EXACT);
    assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}, up, EXACT);
  }

  @Test
  void areaAveragesOverlappingCellsLikeAdaptiveAveragePooling() {
    // adaptive_avg_pool2d 1x3 -> 1x2: cells {0, 1} and {1, 2}
    float[] sample = only(preprocessor(row(2), null, Resize.AREA, null, null)
        .samples(image(1, 3, "MONOCHROME2", 0, 3, 6)));

    assertArrayEquals(new float[] {1.5f, 4.5f}, sample, EXACT);
  }

  // --- channels, normalisation, layout ---

  @Test
  void aOneChannelImageIsReplicatedAndNormalisedPerChannelInNchw() {
    Input rgb = new Input(null, Layout.NCHW, 3, 1, 2, "float32");

    float[] sample = only(preprocessor(rgb, null, Resize.BILINEAR, new double[] {0.5, 1, 2}, new double[] {1, 2, 4})
        .samples(image(1, 2, "MONOCHROME2", 2, 6)));

    assertArrayEquals(new float[] {1.5f, 5.5f, 0.5f, 2.5f, 0, 1}, sample, EXACT);
  }

  @Test
  void nhwcInterleavesTheChannelsOfEachPixel() {
    Input rgb = new Input(null, Layout.NHWC, 3, 1, 2, "float32");

    ManifestPreprocessor preprocessor = preprocessor(rgb, null, Resize.BILINEAR, new double[] {0.5, 1, 2},
        new double[] {1, 2, 4});
    float[] sample = only(preprocessor.samples(image(1, 2, "MONOCHROME2", 2, 6)));

    assertArrayEquals(new float[] {1.5f, 0.5f, 0, 5.5f, 2.5f, 1}, sample, EXACT);
    assertArrayEquals(new long[] {1, 2, 3}, preprocessor.sampleShape());
  }

  @Test
  void eachFrameOfAMultiFrameImageIsOneSample() {
    DecodedImage twoFrames = new DecodedImage("2.25.1", "2.25.9", 1, 2,
        List.of(new float[] {1, 2}, new float[] {3, 4}), "MONOCHROME2", null, null, null);

    List<float[]> samples = preprocessor(row(2), null, Resize.BILINEAR, null, null).samples(twoFrames);

    assertEquals(2, samples.size());
    assertArrayEquals(new float[] {3, 4}, samples.get(1), EXACT);
  }

  // --- per-series stacking ---

  private static final double[] AXIAL = {1, 0, 0, 0, 1, 0};

  @Test
  void seriesSlicesAreSortedAlongTheNormalNotByInstanceNumber() {
    List<DecodedImage> series = List.of(slice(10, new double[] {0, 0, 10}, AXIAL, 1),
        slice(-5, new double[] {0, 0, -5}, AXIAL, 2), slice(2.5f, new double[] {0, 0, 2.5}, AXIAL, 3));

    float[] sample = seriesPreprocessor(3).series(series);

    assertArrayEquals(new float[] {-5, 2.5f, 10}, sample, EXACT);
  }

  @Test
  void sagittalSlicesAreSortedAlongTheirOwnNormal() {
    // rows along +y, columns along -z: normal = row x column = (-1, 0, 0), so larger x comes first
    double[] sagittal = {0, 1, 0, 0, 0, -1};
    List<DecodedImage> series = List.of(slice(1, new double[] {1, 0, 0}, sagittal, 1),
        slice(3, new double[] {3, 0, 0}, sagittal, 2), slice(2, new double[] {2, 0, 0}, sagittal, 3));

    float[] sample = seriesPreprocessor(3).series(series);

    assertArrayEquals(new float[] {3, 2, 1}, sample, EXACT);
  }

  @Test
  void seriesWithoutGeometryAreSortedByInstanceNumber() {
    List<DecodedImage> series = List.of(slice(30, null, null, 3), slice(10, null, null, 1), slice(20, null, null, 2));

    assertArrayEquals(new float[] {10, 20, 30}, seriesPreprocessor(3).series(series), EXACT);
  }

  @Test
  void twoSlicesAreResampledLinearlyToThreeChannels() {
    // align_corners=False along the stack: source positions 0, 0.5, 1 (clamped)
    List<DecodedImage> series = List.of(slice(4, null, null, 2), slice(0, null, null, 1));

    assertArrayEquals(new float[] {0, 2, 4}, seriesPreprocessor(3).series(series), EXACT);
  }

  @Test
  void aSeriesPercentileClipUsesTheWholeVolume() {
    Preprocessing clip = steps(true, null, new PercentileClip(0, 100), Resize.BILINEAR, null, null,
        Stacking.PER_SERIES);
    Input twoByOne = new Input(null, Layout.NCHW, 2, 1, 2, "float32");
    DecodedImage first = new DecodedImage("2.25.1", "2.25.9", 1, 2, List.of(new float[] {0, 1}), "MONOCHROME2",
        null, null, 1);
    DecodedImage second = new DecodedImage("2.25.2", "2.25.9", 1, 2, List.of(new float[] {2, 3}), "MONOCHROME2",
        null, null, 2);

    float[] sample = new ManifestPreprocessor(manifest(twoByOne, clip)).series(List.of(second, first));

    assertArrayEquals(new float[] {0, 1 / 3f, 2 / 3f, 1}, sample, EXACT);
  }

  @Test
  void aSeriesSampleNeedsAtLeastOneImage() {
    assertThrows(IllegalArgumentException.class, () -> seriesPreprocessor(3).series(List.of()));
  }

  // --- fixtures ---

  private static float[] only(List<float[]> samples) {
    assertEquals(1, samples.size(), "samples");
    return samples.get(0);
  }

  private static DecodedImage image(int rows, int columns, String photometric, float... values) {
    return new DecodedImage("2.25.1", "2.25.9", rows, columns, List.of(values), photometric, null, null, null);
  }

  private static DecodedImage slice(float value, double[] position, double[] orientation, int instanceNumber) {
    return new DecodedImage("2.25." + instanceNumber, "2.25.9", 1, 1, List.of(new float[] {value}), "MONOCHROME2",
        position, orientation, instanceNumber);
  }

  private static Input row(int width) {
    return new Input(null, Layout.NCHW, 1, 1, width, "float32");
  }

  private static Input square(int size) {
    return new Input(null, Layout.NCHW, 1, size, size, "float32");
  }

  private static Window window(double center, double width) {
    return new Window(center, width);
  }

  private static ManifestPreprocessor seriesPreprocessor(int channels) {
    return new ManifestPreprocessor(manifest(new Input(null, Layout.NCHW, channels, 1, 1, "float32"),
        steps(true, null, null, Resize.BILINEAR, null, null, Stacking.PER_SERIES)));
  }

  private static ManifestPreprocessor preprocessor(Input input, Window window, Resize resize, double[] mean,
      double[] std) {
    return new ManifestPreprocessor(manifest(input, steps(true, window, null, resize, mean, std,
        Stacking.PER_INSTANCE)));
  }

  private static Preprocessing steps(boolean rescale, Window window, PercentileClip clip, Resize resize,
      double[] mean, double[] std, Stacking stacking) {
    return new Preprocessing(rescale, window, clip, resize, mean, std, stacking);
  }

  private static Manifest manifest(Input input, Preprocessing preprocessing) {
    return new Manifest("steps", "1.0.0", Framework.ONNX, Manifest.Task.CLASSIFICATION, "", "tests", List.of("Imago"),
        "Apache-2.0", "imago@example.org", input, preprocessing,
        new Manifest.Output(null, Manifest.Activation.NONE, List.of(), List.of()),
        new Manifest.Applicability(List.of("CR"), null, null, null, null, null), new Manifest.Batching(8, 20));
  }
}
