package imago.inference.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pixelmed.dicom.TransferSyntax;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ReferenceModels;
import imago.inference.engine.Tensor;
import imago.inference.engine.TestEngines;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.ManifestParser;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference models' held-out phantoms, wrapped as DICOM CR images, go through decode and
 * preprocess to exactly the tensors Python fed the model ({@code phantom.in.f32}), and through
 * the engine to the outputs Python got ({@code phantom.out.f32}).
 */
class PipelineReferenceModelTest {

  private static final double INPUT_TOLERANCE = 1e-5;
  /** reference.json: |got - want| <= 1e-4 + 1e-4 |want|. */
  private static final double OUTPUT_TOLERANCE = 1e-4;

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"lesion-cls-torchscript", "lesion-cls-keras", "lesion-cls-onnx"})
  void phantomsDecodeAndPreprocessToThePythonInputsAndOutputs(String model) throws Exception {
    Path root = ReferenceModels.root().resolve(model);
    Manifest manifest = new ManifestParser().parse(Files.readAllBytes(root.resolve("manifest.json")));
    ManifestPreprocessor preprocessor = new ManifestPreprocessor(manifest);
    JsonNode phantoms = new ObjectMapper().readTree(root.resolve("phantom-raw/phantoms.json").toFile());
    int n = phantoms.path("images").size();
    long[] batchShape = manifest.input().shape(n);
    float[] expectedIn = ReferenceModels.read(root.resolve("phantom.in.f32"), batchShape).data();
    int sampleSize = expectedIn.length / n;

    List<float[]> batch = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      JsonNode phantom = phantoms.path("images").get(k);
      short[] pixels = pixels(root.resolve("phantom-raw").resolve(phantom.path("pixels").asText()));
      TestImage plain = TestImage.cr12("2.25.100" + k, phantoms.path("rows").asInt(), phantoms.path("columns").asInt(),
          pixels);
      for (TestImage image : List.of(plain, plain.withRescale(1, 0))) {
        List<float[]> samples = preprocessor.samples(decode(image, "phantom-" + k));
        assertEquals(1, samples.size(), "one sample per single-frame image");
        assertClose(expectedIn, k * sampleSize, samples.get(0), INPUT_TOLERANCE, 0,
            model + " phantom " + k + (image.rescale() == null ? "" : " with Rescale Slope/Intercept"));
        if (image == plain) {
          batch.add(samples.get(0));
        }
      }
    }
    assertArrayEquals(batchShape, concat(n, preprocessor.sampleShape()), "sample shape");

    Tensor expectedOut = ReferenceModels.read(root.resolve("phantom.out.f32"), manifest.outputShape(n));
    try (LoadedModel loaded = TestEngines.get().load(manifest.framework(),
        root.resolve(artifact(root)), manifest.input().name())) {
      Tensor out = loaded.predict(new Tensor(flatten(batch), batchShape));
      assertArrayEquals(expectedOut.shape(), out.shape(), "output shape");
      assertClose(expectedOut.data(), 0, out.data(), OUTPUT_TOLERANCE, OUTPUT_TOLERANCE, model + " output");
    }
  }

  private DecodedImage decode(TestImage image, String name) throws Exception {
    Path file = image.write(dir.resolve(name + ".dcm"), TransferSyntax.ExplicitVRLittleEndian);
    try (InputStream in = Files.newInputStream(file)) {
      return new PixelMedDecoder().decode(in);
    }
  }

  private static String artifact(Path root) throws Exception {
    return new ObjectMapper().readTree(root.resolve("reference.json").toFile()).path("artifact").asText();
  }

  /** phantom-raw: uint16, little-endian, row-major. */
  private static short[] pixels(Path file) throws Exception {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    short[] pixels = new short[bytes.remaining() / 2];
    bytes.asShortBuffer().get(pixels);
    return pixels;
  }

  private static void assertClose(float[] expected, int offset, float[] actual, double absolute, double relative,
      String what) {
    for (int i = 0; i < actual.length; i++) {
      float want = expected[offset + i];
      if (Math.abs(actual[i] - want) > absolute + relative * Math.abs(want)) {
        fail(what + ": value " + i + " is " + actual[i] + ", Python computed " + want);
      }
    }
  }

  private static long[] concat(long first, long[] rest) {
    long[] shape = new long[rest.length + 1];
    shape[0] = first;
    System.arraycopy(rest, 0, shape, 1, rest.length);
    return shape;
  }

  private static float[] flatten(List<float[]> samples) {
    int size = samples.get(0).length;
    float[] all = new float[size * samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      System.arraycopy(samples.get(i), 0, all, i * size, size);
    }
    return all;
  }
}
