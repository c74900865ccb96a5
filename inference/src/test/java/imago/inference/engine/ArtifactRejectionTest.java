package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.hdf5.global.hdf5;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files that are not what the manifest says are refused with one line a researcher can act on,
 * before any engine can crash on them.
 */
class ArtifactRejectionTest {

  /** torch.onnx.export of {@code a + b}: a graph with two inputs, a and b ([1, 2] each). */
  private static final String TWO_INPUT_ONNX =
      "CAcSB3B5dG9yY2gaBjEuMTMuMDpgChQKAWEKAWISATIaBC9BZGQiA0FkZBIJdG9yY2hfaml0WhMK"
          + "AWESDgoMCAESCAoCCAEKAggCWhMKAWISDgoMCAESCAoCCAEKAggCYhMKATISDgoMCAESCAoCCAEKAggCQgIQDQ==";

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(Framework.class)
  void refusesAnEmptyFile(Framework framework) throws IOException {
    Path empty = Files.createFile(dir.resolve("model.bin"));

    assertEquals("artifact is empty (0 bytes)", refusal(framework, empty));
  }

  @ParameterizedTest
  @EnumSource(Framework.class)
  void refusesRandomBytes(Framework framework) throws IOException {
    byte[] garbage = new byte[4096];
    new Random(42).nextBytes(garbage);
    garbage[0] = 'x'; // not by chance a zip, HDF5 or pickle signature
    Path file = Files.write(dir.resolve("model.bin"), garbage);

    String message = refusal(framework, file);

    String expected = framework == Framework.ONNX
        ? "not a valid ONNX model: "
        : "not " + Artifact.expectedText(framework) + ": the file is a file of unknown format";
    assertTrue(message.startsWith(expected), message);
  }

  @ParameterizedTest
  @EnumSource(Framework.class)
  void refusesAMissingFileAndAFolder(Framework framework) {
    assertEquals("artifact not found: " + dir.resolve("absent.pt"), refusal(framework, dir.resolve("absent.pt")));
    assertEquals("artifact is a directory, not a model file: " + dir.getFileName(), refusal(framework, dir));
  }

  @Test
  void refusesTruncatedArtifactsOfEachFormat() throws IOException {
    for (Framework framework : new Framework[] {Framework.TORCHSCRIPT, Framework.ONNX, Framework.KERAS_H5}) {
      Path whole = ReferenceModels.any(framework).artifact();
      byte[] bytes = Files.readAllBytes(whole);
      Path half = Files.write(dir.resolve("half-" + whole.getFileName()),
          Arrays.copyOf(bytes, bytes.length / 2));

      String message = refusal(framework, half);

      String expected = switch (framework) {
        case TORCHSCRIPT -> "damaged zip archive: ";
        case ONNX -> "not a valid ONNX model: ";
        default -> "not a readable Keras HDF5 file: ";
      };
      assertTrue(message.startsWith(expected), framework + ": " + message);
    }
  }

  @Test
  void namesWhatTheFileIsWhenTheFrameworkIsWrong() throws IOException {
    Path torchScript = ReferenceModels.any(Framework.TORCHSCRIPT).artifact();
    Path onnx = ReferenceModels.any(Framework.ONNX).artifact();
    Path keras = ReferenceModels.any(Framework.KERAS_H5).artifact();

    assertEquals("not an ONNX model: the file is a TorchScript archive", refusal(Framework.ONNX, torchScript));
    assertEquals("not a Keras HDF5 model: the file is a TorchScript archive",
        refusal(Framework.KERAS_H5, torchScript));
    assertEquals("not a DL4J model zip: the file is a TorchScript archive", refusal(Framework.DL4J, torchScript));
    assertEquals("not a TorchScript archive: the file is an ONNX model",
        refusal(Framework.TORCHSCRIPT, onnx));
    assertEquals("not an ONNX model: the file is an HDF5 file (Keras .h5)", refusal(Framework.ONNX, keras));
    assertEquals("not a TorchScript archive: the file is an HDF5 file (Keras .h5)",
        refusal(Framework.TORCHSCRIPT, keras));
  }

  @Test
  void explainsThatACheckpointIsNotTorchScript() throws IOException {
    Path checkpoint = zip("checkpoint.pt", "checkpoint/data.pkl", "checkpoint/data/0", "checkpoint/version");

    String message = refusal(Framework.TORCHSCRIPT, checkpoint);

    assertTrue(message.startsWith("not a TorchScript archive: the file is a PyTorch checkpoint saved with"
        + " torch.save"), message);
    assertTrue(message.contains("torch.jit.save"), message);
  }

  @Test
  void explainsThatAnHdf5FileWithoutModelConfigHoldsOnlyWeights() throws IOException {
    TestEngines.get(); // sets the JavaCPP cache folder before HDF5's natives load
    Path weights = dir.resolve("weights.h5");
    new H5File(weights.toString(), hdf5.H5F_ACC_TRUNC).close(); // what model.save_weights leaves, minus the weights

    String message = refusal(Framework.KERAS_H5, weights);

    assertTrue(message.startsWith("the HDF5 file holds no Keras model_config: it has weights only"), message);
  }

  @Test
  void refusesAZipThatExpandsFarBeyondItsSize() throws IOException {
    Path bomb = dir.resolve("bomb.zip");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
      zip.putNextEntry(new ZipEntry("configuration.json"));
      zip.write("{\"confs\":[]}".getBytes(StandardCharsets.UTF_8));
      zip.putNextEntry(new ZipEntry("coefficients.bin"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 200; i++) {
        zip.write(zeros);
      }
    }
    assertTrue(Files.size(bomb) < (1 << 20), "the test zip should compress ~1000:1");

    for (Framework framework : new Framework[] {Framework.DL4J, Framework.TORCHSCRIPT}) {
      String message = refusal(framework, bomb);
      assertTrue(message.startsWith("refusing a zip-bomb-like archive: it expands to more than"), message);
    }
  }

  @Test
  void refusesAnOnnxGraphWithSeveralInputs() throws IOException {
    Path twoInputs = Files.write(dir.resolve("two.onnx"), Base64.getDecoder().decode(TWO_INPUT_ONNX));

    String message = refusal(Framework.ONNX, twoInputs);

    assertEquals("the ONNX graph has 2 inputs [a[1, 2], b[1, 2]]; Imago feeds one image tensor,"
        + " so export the model with a single input", message);
  }

  @Test
  void refusesAnOnnxInputNameTheGraphDoesNotHave() throws IOException {
    Path onnx = ReferenceModels.any(Framework.ONNX).artifact();

    String message = assertThrows(ModelLoadException.class,
        () -> TestEngines.get().load(Framework.ONNX, onnx, "pixels")).getMessage();

    assertTrue(message.startsWith("the manifest names input 'pixels' but the ONNX graph's input is "), message);
  }

  private Path zip(String name, String... entries) throws IOException {
    Path file = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (String entry : entries) {
        zip.putNextEntry(new ZipEntry(entry));
        zip.write(1);
      }
    }
    return file;
  }

  /** The refusal's message, checked to be one line without a stack trace. */
  private static String refusal(Framework framework, Path artifact) {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> TestEngines.get().load(framework, artifact, null).close(),
        framework + " should refuse " + artifact.getFileName());
    String message = e.getMessage();
    System.out.printf("refusal framework=%s file=%s message=\"%s\"%n", framework, artifact.getFileName(), message);
    assertFalse(message.contains("\n"), "one line: " + message);
    assertFalse(message.contains("\tat ") || message.contains("Exception raised from"), message);
    return message;
  }
}
