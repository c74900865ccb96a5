package imago.inference;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.Engines;
import imago.inference.engine.ModelLoader;
import imago.inference.sandbox.Sandbox;
import imago.inference.sandbox.SandboxConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code inference} section of the configuration (imago-defaults.yaml documents every key).
 *
 * @param threads intra-op threads of a model's engine (shared out among its CPU replicas); 0 means one per core
 * @param cpuReplicas on a host without GPU, copies of each TorchScript or ONNX model, each in its
 *     own sandbox with a share of {@code threads}; 0 means automatic (see {@link #cpuReplicaCount})
 * @param cacheDir where engines unpack their native libraries; empty means the checkout's {@code .cache/engines}
 *     (see {@link #engines})
 * @param worker whether this process runs a worker (claims and runs jobs)
 * @param concurrentJobs jobs one worker runs at once (their samples share the models' batches)
 * @param decodeThreads threads that fetch, decode and preprocess; 0 means one per core
 * @param lease how long a claimed job is the worker's without a heartbeat
 * @param maxAttempts runs of a job before a passing failure sends it to the dead letters
 * @param retryBackoff wait before the second attempt; doubled for each further one
 * @param profileBatches cap batches at the size the engine runs fastest per image, measured at load
 * @param sandbox how models are kept out of the server (inference.sandbox)
 */
public record InferenceConfig(int threads, int cpuReplicas, boolean useGpu, String cacheDir, boolean worker, int concurrentJobs,
    int decodeThreads, Duration lease, int maxAttempts, Duration retryBackoff, boolean profileBatches,
    SandboxConfig sandbox) {

  public InferenceConfig {
    sandbox = sandbox == null ? SandboxConfig.defaults() : sandbox;
  }

  /**
   * The engines' settings. The default cache is {@code .cache/engines} of the Imago installation
   * (the launcher names it in {@code imago.home}): outside the private data folder, so sandboxes,
   * which cannot read that folder, can load the native libraries.
   */
  public EngineConfig engines(Path dataDir) {
    int n = engineThreadCount();
    String home = System.getProperty("imago.home");
    Path cache = cacheDir != null && !cacheDir.isBlank() ? Path.of(cacheDir)
        : home != null ? Path.of(home).resolve(".cache").resolve("engines") : dataDir.resolve("cache").resolve("engines");
    return new EngineConfig(n, cache, useGpu);
  }

  /** What loads models: a sandbox process per model, or (inference.sandbox.enabled false) the engines in this process. */
  public ModelLoader loader(Path dataDir) {
    return sandbox.enabled() ? new Sandbox(sandbox, engines(dataDir)) : new Engines(engines(dataDir));
  }

  /**
   * How many CPU replicas of a model to run. Two engines of one thread each beat one engine of two
   * on a 2-core host (measured: resnet18 at batch 8, 77.6 against 68.4 images/s in all) and, more
   * so, keep running while the server's own work takes a core: an engine whose threads meet at a
   * barrier each layer stalls when one of them is descheduled. Automatic: two when the loader gives
   * each load its own process (sandboxes) and there are at least two threads, else one; a
   * configured count is capped at the threads, and models sharing one process's engines get one.
   */
  public int cpuReplicaCount(ModelLoader loader, int engineThreads) {
    if (!loader.isolatesLoads() || engineThreads < 2) return 1;
    return cpuReplicas > 0 ? Math.min(cpuReplicas, engineThreads) : 2;
  }

  /** Intra-op threads of the engines: {@code threads}, or one per core. */
  public int engineThreadCount() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }

  public int decodeThreadCount() {
    return decodeThreads > 0 ? decodeThreads : Runtime.getRuntime().availableProcessors();
  }
}
