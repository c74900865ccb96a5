package imago.app;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference models the build generates with models/reference/make.sh (Debian python3-torch):
 * each folder holds manifest.json, the artifact and the Python outputs for known inputs.
 */
public final class ReferenceModels {
  private ReferenceModels() {}

  public static Path repoRoot() {
    return Path.of(System.getProperty("imago.repo.root", "..")).toAbsolutePath().normalize();
  }

  /** The folder of all reference models; fails with what to run when the build has not made them. */
  public static Path dir() {
    Path dir = Path.of(System.getProperty("imago.reference.models",
        repoRoot().resolve("models/reference/target/out").toString()));
    if (!Files.isDirectory(dir.resolve("lesion-cls-torchscript"))) {
      throw new AssertionError("reference models missing at " + dir + ": run models/reference/make.sh " + dir
          + " (./imago test does)");
    }
    return dir;
  }

  public static Path model(String name) {
    return dir().resolve(name);
  }

  /** One entry of reference.json's "files": the input and the Python output, as float32 arrays. */
  public record Pair(float[] in, long[] inShape, float[] out, long[] outShape) {}

  public static Pair pair(String model, String name) throws IOException {
    Path dir = model(model);
    JsonObject f = new JsonObject(Files.readString(dir.resolve("reference.json"))).getJsonObject("files").getJsonObject(name);
    return new Pair(floats(dir.resolve(f.getString("in"))), shape(f, "inShape"), floats(dir.resolve(f.getString("out"))),
        shape(f, "outShape"));
  }

  private static long[] shape(JsonObject f, String key) {
    return f.getJsonArray(key).stream().mapToLong(o -> ((Number) o).longValue()).toArray();
  }

  public static float[] floats(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }
}
