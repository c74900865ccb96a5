package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The reference models {@code models/reference/make.sh} exports with Python torch, each in
 * {@code <dir>/} with its artifact, {@code reference.json} and raw little-endian float32 tensors.
 * Found at {@code -Dimago.reference.models}, by default {@code models/reference/target/out}.
 */
public final class ReferenceModels {

  /** One input/output pair Python computed, e.g. {@code lesion-cls-onnx dryrun-b4}. */
  record Case(String model, String key, Framework framework, Path artifact, Path input, long[] inShape,
      Path output, long[] outShape) {

    Tensor in() throws IOException {
      return read(input, inShape);
    }

    Tensor expectedOut() throws IOException {
      return read(output, outShape);
    }

    @Override
    public String toString() {
      return model + " " + key;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private ReferenceModels() {}

  public static Path root() {
    String configured = System.getProperty("imago.reference.models");
    Path root = configured != null
        ? Path.of(configured)
        : TestEngines.repoRoot().resolve("models/reference/target/out");
    if (!Files.isDirectory(root)) {
      fail("reference models not found at " + root + ": run models/reference/make.sh " + root
          + " first (or point -Dimago.reference.models at its output)");
    }
    return root;
  }

  /** The {@code keys} cases of every reference model in {@link #root()}. */
  static List<Case> cases(String... keys) throws IOException {
    List<Case> cases = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root())) {
      for (Path dir : dirs.sorted().toList()) {
        Path reference = dir.resolve("reference.json");
        if (Files.isRegularFile(reference)) {
          cases.addAll(casesOf(dir, JSON.readTree(reference.toFile()), keys));
        }
      }
    }
    return cases;
  }

  private static List<Case> casesOf(Path dir, JsonNode reference, String... keys) {
    Path artifact = dir.resolve(reference.path("artifact").asText("model"));
    Framework framework = frameworkOf(artifact);
    List<Case> cases = new ArrayList<>();
    for (String key : keys) {
      JsonNode file = reference.path("files").path(key);
      if (file.isMissingNode()) {
        fail(dir.getFileName() + "/reference.json has no files." + key);
      }
      cases.add(new Case(dir.getFileName().toString(), key, framework, artifact,
          dir.resolve(file.path("in").asText()), longs(file.path("inShape")),
          dir.resolve(file.path("out").asText()), longs(file.path("outShape"))));
    }
    return cases;
  }

  private static Framework frameworkOf(Path artifact) {
    String name = artifact.getFileName().toString();
    if (name.endsWith(".pt")) {
      return Framework.TORCHSCRIPT;
    } else if (name.endsWith(".onnx")) {
      return Framework.ONNX;
    } else if (name.endsWith(".h5")) {
      return Framework.KERAS_H5;
    }
    return Framework.DL4J;
  }

  private static long[] longs(JsonNode array) {
    long[] values = new long[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asLong();
    }
    return values;
  }

  public static Tensor read(Path file, long[] shape) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] data = new float[bytes.remaining() / Float.BYTES];
    bytes.asFloatBuffer().get(data);
    return new Tensor(data, shape);
  }

  /** The smallest reference model of {@code framework}, for tests that need any real one. */
  static Case any(Framework framework) throws IOException {
    return cases("dryrun-b1").stream()
        .filter(c -> c.framework() == framework)
        .min(Comparator.comparingLong(c -> c.artifact().toFile().length()))
        .orElseThrow(() -> new AssertionError("no " + framework + " reference model in " + root()
            + ": rerun models/reference/make.sh"));
  }
}
