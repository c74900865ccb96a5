package imago.inference.engine;

import java.nio.file.Path;

/**
 * How the engines run in this process.
 *
 * @param threads intra-op threads per engine
 * @param cacheDir where unpacked native libraries live: {@code djl/} (libtorch, DJL's JNI),
 *     {@code onnxruntime/}, {@code javacpp/} (ND4J, HDF5)
 * @param useGpu use a GPU when the engine reports one
 */
public record EngineConfig(int threads, Path cacheDir, boolean useGpu) {

  public EngineConfig {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    if (cacheDir == null) {
      throw new IllegalArgumentException("cacheDir is required");
    }
    cacheDir = cacheDir.toAbsolutePath().normalize();
  }

  /** One thread per core, caches under {@code dataDir/cache/engines}, GPU when there is one. */
  public static EngineConfig defaults(Path dataDir) {
    return new EngineConfig(
        Runtime.getRuntime().availableProcessors(), dataDir.resolve("cache").resolve("engines"), true);
  }
}
