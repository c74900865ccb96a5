package imago.inference.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.engine.Framework;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ReferenceModels;
import imago.inference.engine.Tensor;
import imago.inference.engine.TestEngines;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The dynamic batcher on a real model (the reference ONNX classifier): batches form, results do not change. */
class DynamicBatcherTest {
  static LoadedModel model() throws Exception {
    Path dir = ReferenceModels.root().resolve("lesion-cls-onnx");
    return TestEngines.get().load(Framework.ONNX, dir.resolve("model.onnx"), null);
  }

  static float[] sample(int seed) {
    float[] x = new float[64 * 64];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(seed * 31 + i * 0.37);
    return x;
  }

  @Test
  void samplesFromManySubmittersShareBatchesAndGetTheirOwnUnbatchedResult() throws Exception {
    try (LoadedModel model = model()) {
      ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
      BatchListener listener = (name, size, queueNanos, engineNanos) -> sizes.add(size);
      try (DynamicBatcher batcher = new DynamicBatcher("lesion-cls-onnx:1.0.0", List.of(model), new long[] {1, 64, 64}, 8,
          Duration.ofMillis(50), listener)) {
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        List<CompletableFuture<float[]>> results = new ArrayList<>();
        List<CompletableFuture<CompletableFuture<float[]>>> submitted = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
          int seed = i;
          submitted.add(CompletableFuture.supplyAsync(() -> batcher.submit(sample(seed)), submitters));
        }
        for (var s : submitted) results.add(s.get());
        for (int i = 0; i < results.size(); i++) {
          float[] batched = results.get(i).get();
          float[] alone = model.predict(new Tensor(sample(i), new long[] {1, 1, 64, 64})).data();
          assertArrayEquals(alone, batched, 1e-5f, "sample " + i);
        }
        submitters.shutdown();
      }
      assertEquals(32, sizes.stream().mapToInt(Integer::intValue).sum());
      assertTrue(sizes.stream().anyMatch(s -> s > 1), "batches: " + sizes);
      assertTrue(sizes.stream().allMatch(s -> s <= 8), "never over maxBatchSize: " + sizes);
    }
  }

  @Test
  void aSampleOfTheWrongSizeFailsAloneWithoutStoppingTheBatcher() throws Exception {
    try (LoadedModel model = model();
         DynamicBatcher batcher = new DynamicBatcher("lesion-cls-onnx:1.0.0", List.of(model), new long[] {1, 64, 64}, 4,
             Duration.ofMillis(5), BatchListener.NONE)) {
      ExecutionException wrong = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> batcher.submit(new float[10]).get());
      assertTrue(wrong.getCause().getMessage().contains("sample of 10 values"), wrong.getCause().getMessage());
      assertEquals(2, batcher.submit(sample(1)).get().length);
    }
  }
}
