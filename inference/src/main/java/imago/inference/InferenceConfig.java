package imago.inference;

import imago.inference.engine.EngineConfig;
import java.nio.file.Path;

/**
 * The {@code inference} section of the configuration (imago-defaults.yaml documents every key).
 *
 * @param threads intra-op threads per engine; 0 means one per core
 * @param cacheDir where engines unpack their native libraries; empty means {@code {data}/cache/engines}
 */
public record InferenceConfig(int threads, boolean useGpu, String cacheDir) {

  public EngineConfig engines(Path dataDir) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    Path cache = cacheDir == null || cacheDir.isBlank() ? dataDir.resolve("cache").resolve("engines") : Path.of(cacheDir);
    return new EngineConfig(n, cache, useGpu);
  }
}
