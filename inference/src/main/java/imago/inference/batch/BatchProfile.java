package imago.inference.batch;

import imago.inference.engine.InferenceException;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.Tensor;
import imago.inference.manifest.Manifest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which batch size a model runs fastest per image on this device. On a GPU larger batches
 * usually win; on a CPU they often lose (measured here: densenet121 at batch 16 gives a quarter
 * of the images/s it gives at batch 4), so a batcher that always fills the manifest's
 * {@code maxBatchSize} would slow the very queue it is meant to drain. Like Triton's preferred
 * batch sizes, but measured at load: powers of two up to the manifest's maximum, each after two
 * untimed calls (TorchScript's profiling executor profiles a new input shape on its first call and
 * optimises it on the second), the best time of three calls each. Every size is measured: one
 * slow measurement (another process took the cores for a moment) once stopped the profile at
 * batch 1, and the pipeline then ran at a third of its rate.
 */
final class BatchProfile {
  private static final Logger LOG = LoggerFactory.getLogger(BatchProfile.class);

  private BatchProfile() {}

  static int bestBatchSize(String name, LoadedModel model, Manifest manifest) {
    int max = manifest.batching().maxBatchSize();
    Map<Integer, Double> rates = new LinkedHashMap<>();
    int best = 1;
    double bestRate = 0;
    try {
      for (int b = 1; b <= max; b = b == max ? max + 1 : Math.min(max, b * 2)) {
        long[] shape = manifest.input().shape(b);
        Tensor input = new Tensor(new float[Math.toIntExact(Tensor.elementCount(shape))], shape);
        model.predict(input); // first calls: allocations, kernel selection, the shape's profiling run
        model.predict(input);
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
          long t = System.nanoTime();
          model.predict(input);
          fastest = Math.min(fastest, System.nanoTime() - t);
        }
        double rate = b / (fastest / 1e9);
        rates.put(b, rate);
        if (bestRate == 0 || rate > bestRate * 1.05) {
          // a larger batch must earn its extra queueing delay: 5 % more images/s
          best = b;
          bestRate = rate;
        }
      }
    } catch (InferenceException | RuntimeException e) {
      LOG.warn("event=model.batch.profile.failed model={} error=\"{}\" (using maxBatchSize {})", name, e.getMessage(), max);
      return max;
    }
    StringBuilder s = new StringBuilder();
    rates.forEach((b, r) -> s.append(s.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "b%d=%.1f", b, r)));
    LOG.info("event=model.batch.profile model={} imagesPerSecond=\"{}\" maxBatch={} manifestMax={}", name, s, best, max);
    return best;
  }
}
