package imago.inference.engine;

import java.util.Optional;

/**
 * A model loaded in its engine, ready to run. Thread-safe: {@link #predict} may be called from
 * several threads at once.
 */
public interface LoadedModel extends AutoCloseable {

  Framework framework();

  /** Engine, version and device, e.g. {@code PyTorch 2.7.1 cpu()}. */
  String engine();

  /** The device the model runs on: {@code cpu()} or {@code gpu(N)}. */
  String device();

  /**
   * The input shape the artifact itself declares, -1 for a dynamic dimension; empty where the
   * format declares none (TorchScript). This is how a manifest's shape is checked against the
   * artifact.
   */
  Optional<long[]> declaredInputShape();

  /**
   * The resident memory of the process the model runs in, when that process is the model's own
   * (a sandbox); empty when it shares this process, where only growth can be measured.
   */
  default java.util.OptionalLong processResidentBytes() {
    return java.util.OptionalLong.empty();
  }

  /** Whether the model can still run: a sandboxed one is not once its process has died or been stopped. */
  default boolean usable() {
    return true;
  }

  /** Runs one batch and returns the model's first output. */
  Tensor predict(Tensor input) throws InferenceException;

  /** Frees the engine's native memory; the model cannot be used afterwards. */
  @Override
  void close();
}
