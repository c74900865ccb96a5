package imago.inference.batch;

import imago.inference.engine.ArtifactCache;
import imago.inference.engine.ModelLoader;
import imago.inference.engine.Framework;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import imago.inference.manifest.InvalidManifestException;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.ManifestParser;
import imago.storage.models.ModelVersion;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model versions this worker process has loaded, each with its dynamic batcher: loaded on
 * first use, one replica per device the engine runs on: one per visible GPU, else {@code cpuReplicas}
 * on the CPU sharing the engine threads (the remainder one each to the first).
 */
public final class ModelHost implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);

  /** A loaded model version, ready to take samples. */
  public record Hosted(ModelVersion version, Manifest manifest, DynamicBatcher batcher, List<LoadedModel> replicas) {}

  private final ModelLoader engines;
  private final ArtifactCache artifacts;
  private final ManifestParser parser;
  private final BatchListener listener;
  private final boolean profileBatches;
  private final int cpuReplicas;
  private final int engineThreads;
  private final Map<String, Hosted> hosted = new ConcurrentHashMap<>();

  /**
   * @param profileBatches cap each model's batches at the size its engine runs fastest per image on
   *     this device, measured at load (see {@link BatchProfile}); else the manifest's maxBatchSize
   * @param cpuReplicas copies of a TorchScript or ONNX model when the engines run on the CPU only
   * @param engineThreads the engine threads those copies share
   */
  public ModelHost(ModelLoader engines, ArtifactCache artifacts, ManifestParser parser, BatchListener listener,
      boolean profileBatches, int cpuReplicas, int engineThreads) {
    this.profileBatches = profileBatches;
    this.cpuReplicas = Math.max(1, cpuReplicas);
    this.engineThreads = Math.max(1, engineThreads);
    this.engines = engines;
    this.artifacts = artifacts;
    this.parser = parser;
    this.listener = listener;
  }

  /** The version's batcher, loading the model first if this process has not yet. */
  public Hosted get(ModelVersion v) throws ModelLoadException, IOException, InvalidManifestException {
    String key = v.name() + ":" + v.version();
    Hosted h = hosted.get(key);
    if (h != null && usable(h)) return h;
    Hosted dead = null;
    try {
      synchronized (this) {
        h = hosted.get(key);
        if (h != null && usable(h)) return h;
        if (h != null) { // its sandbox died or was stopped: the failed job has its reason; later ones get a fresh load
          LOG.warn("event=model.reload model={} reason=\"a replica's sandbox ended\"", key);
          hosted.remove(key);
          dead = h;
        }
        h = load(v, key);
        hosted.put(key, h);
        return h;
      }
    } finally {
      // Outside the lock: a healthy replica of the dead one may be mid-batch for up to the call timeout.
      if (dead != null) {
        dead.batcher().close();
        dead.replicas().forEach(LoadedModel::close);
      }
    }
  }

  private Hosted load(ModelVersion v, String key) throws ModelLoadException, IOException, InvalidManifestException {
    Manifest manifest = parser.parse(v.manifestJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    var file = artifacts.file(v);
    boolean deviceEngine = manifest.framework() == Framework.TORCHSCRIPT || manifest.framework() == Framework.ONNX;
    boolean cpuOnly = engines.devices().equals(List.of("cpu()"));
    int copies = !deviceEngine ? 1 : cpuOnly ? cpuReplicas : engines.devices().size();
    List<LoadedModel> replicas = new ArrayList<>();
    try {
      for (int i = 0; i < copies; i++) {
        // the threads shared out, the remainder one each to the first replicas (3 threads: 2 + 1)
        int threads = Math.max(1, engineThreads / copies + (i < engineThreads % copies ? 1 : 0));
        replicas.add(cpuOnly
            ? engines.load(manifest.framework(), file, manifest.input().name(), threads)
            : engines.load(manifest.framework(), file, manifest.input().name()));
      }
    } catch (ModelLoadException | RuntimeException e) {
      replicas.forEach(LoadedModel::close);
      throw e;
    }
    long[] full = manifest.input().shape(1);
    long[] sample = Arrays.copyOfRange(full, 1, full.length);
    int cap = profileBatches ? BatchProfile.bestBatchSize(key, replicas.get(0), manifest) : manifest.batching().maxBatchSize();
    DynamicBatcher batcher = new DynamicBatcher(key, replicas, sample, cap,
        Duration.ofMillis(manifest.batching().maxQueueDelayMs()), listener);
    LOG.info("event=model.loaded model={} sha256={} replicas={} devices={} maxBatch={}", key, v.artifactSha256(),
        replicas.size(), replicas.stream().map(LoadedModel::device).toList(), cap);
    return new Hosted(v, manifest, batcher, replicas);
  }

  private static boolean usable(Hosted h) {
    return h.replicas().stream().allMatch(LoadedModel::usable);
  }

  @Override
  public synchronized void close() {
    for (Hosted h : hosted.values()) {
      h.batcher().close();
      h.replicas().forEach(LoadedModel::close);
    }
    hosted.clear();
  }
}
