package imago.inference.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * What loads a model artifact to run: the engines in this process ({@link Engines}, used inside the
 * sandbox and by benchmarks), or a sandbox process per model (what the server and workers use).
 */
public interface ModelLoader {
  /**
   * Loads {@code artifact} as {@code framework}.
   *
   * @param inputName the graph input the manifest names (ONNX), or null
   * @throws ModelLoadException with a one-line reason a researcher can act on
   */
  LoadedModel load(Framework framework, Path artifact, String inputName) throws ModelLoadException;

  /**
   * Loads {@code artifact} with {@code threads} intra-op threads of its own instead of the
   * configured count: one of several CPU replicas. A loader whose models share one process's
   * engines (see {@link #isolatesLoads}) cannot give a load threads of its own and ignores it.
   */
  default LoadedModel load(Framework framework, Path artifact, String inputName, int threads) throws ModelLoadException {
    return load(framework, artifact, inputName);
  }

  /** Whether each load runs in a process of its own, with its own engine threads. */
  default boolean isolatesLoads() {
    return false;
  }

  /** Where TorchScript and ONNX models run: {@code gpu(0)}, {@code gpu(1)}... or {@code cpu()}. */
  List<String> devices();
}
