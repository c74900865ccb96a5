package imago.inference;

import imago.inference.engine.EngineConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code inference} section of the configuration (imago-defaults.yaml documents every key).
 *
 * @param threads intra-op threads per engine; 0 means one per core
 * @param cacheDir where engines unpack their native libraries; empty means {@code {data}/cache/engines}
 * @param worker whether this process runs a worker (claims and runs jobs)
 * @param concurrentJobs jobs one worker runs at once (their samples share the models' batches)
 * @param decodeThreads threads that fetch, decode and preprocess; 0 means one per core
 * @param lease how long a claimed job is the worker's without a heartbeat
 * @param maxAttempts runs of a job before a passing failure sends it to the dead letters
 * @param retryBackoff wait before the second attempt; doubled for each further one
 * @param profileBatches cap batches at the size the engine runs fastest per image, measured at load
 */
public record InferenceConfig(int threads, boolean useGpu, String cacheDir, boolean worker, int concurrentJobs,
    int decodeThreads, Duration lease, int maxAttempts, Duration retryBackoff, boolean profileBatches) {

  public EngineConfig engines(Path dataDir) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    Path cache = cacheDir == null || cacheDir.isBlank() ? dataDir.resolve("cache").resolve("engines") : Path.of(cacheDir);
    return new EngineConfig(n, cache, useGpu);
  }

  public int decodeThreadCount() {
    return decodeThreads > 0 ? decodeThreads : Runtime.getRuntime().availableProcessors();
  }
}
