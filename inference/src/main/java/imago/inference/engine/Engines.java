package imago.inference.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * Loads model artifacts in their engines. One per process: the engines read their settings from
 * system properties once, when they first start, so the first {@link EngineConfig} wins. Each
 * engine starts on first use; a process that serves only Keras models never unpacks libtorch.
 */
public final class Engines implements ModelLoader {

  private final EngineConfig config;
  private final DjlLoader djl;
  private final Dl4jLoader dl4j;

  public Engines(EngineConfig config) {
    this.config = config;
    NativeLibraries.configure(config);
    this.djl = new DjlLoader(config);
    this.dl4j = new Dl4jLoader(config);
  }

  public EngineConfig config() {
    return config;
  }

  /** Loads {@code artifact} as {@code framework} on the device this process uses. */
  @Override
  public LoadedModel load(Framework framework, Path artifact, String inputName) throws ModelLoadException {
    return switch (framework) {
      case TORCHSCRIPT -> djl.loadTorchScript(artifact);
      case ONNX -> djl.loadOnnx(artifact, inputName);
      case KERAS_H5 -> dl4j.loadKeras(artifact);
      case DL4J -> dl4j.loadZip(artifact);
    };
  }

  /**
   * Starts every engine once, with no model, so that their native libraries are unpacked into the
   * cache (the sandbox's warm-up, by the server's own user). An engine that does not start here is
   * left for the first load of a model to report.
   */
  public void warmUp() {
    djl.warmUp();
    dl4j.warmUp();
  }

  @Override
  public List<String> devices() {
    return djl.devices();
  }
}
