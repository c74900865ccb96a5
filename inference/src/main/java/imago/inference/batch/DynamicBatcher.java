package imago.inference.batch;

import imago.inference.engine.InferenceException;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches samples of one model version across jobs and studies, the way Triton's dynamic batcher
 * and DJL Serving do: a batch runs as soon as it holds {@code maxBatchSize} samples, or when its
 * oldest sample has waited {@code maxQueueDelay}. One thread per model replica calls the engine,
 * so the engine never runs on a Vert.x event loop and batches of one replica never overlap.
 */
public final class DynamicBatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

  private record Pending(float[] sample, long enqueuedNanos, CompletableFuture<float[]> result) {}

  private final String name;
  private final List<LoadedModel> replicas;
  private final long[] sampleShape;
  private final int sampleSize;
  private final int maxBatchSize;
  private final long maxDelayNanos;
  private final BatchListener listener;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean closed;

  /**
   * @param replicas one loaded copy of the model per device (one per GPU, or the one CPU copy)
   * @param sampleShape one sample's shape, without the batch dimension
   */
  public DynamicBatcher(String name, List<LoadedModel> replicas, long[] sampleShape, int maxBatchSize,
      Duration maxQueueDelay, BatchListener listener) {
    if (replicas.isEmpty()) throw new IllegalArgumentException("no model replica to run " + name);
    this.name = name;
    this.replicas = List.copyOf(replicas);
    this.sampleShape = sampleShape.clone();
    this.sampleSize = Math.toIntExact(Tensor.elementCount(sampleShape));
    this.maxBatchSize = Math.max(1, maxBatchSize);
    this.maxDelayNanos = Math.max(0, maxQueueDelay.toNanos());
    this.listener = listener;
    for (LoadedModel replica : this.replicas) {
      Thread t = new Thread(() -> loop(replica), "batcher-" + name + "-" + replica.device());
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  public String name() {
    return name;
  }

  /** Queues one sample; the future completes with that sample's slice of the model's output. */
  public CompletableFuture<float[]> submit(float[] sample) {
    CompletableFuture<float[]> result = new CompletableFuture<>();
    if (sample.length != sampleSize) {
      result.completeExceptionally(new InferenceException("sample of " + sample.length + " values, model "
          + name + " takes " + Arrays.toString(sampleShape) + " = " + sampleSize));
      return result;
    }
    if (closed) {
      result.completeExceptionally(new InferenceException("model " + name + " was unloaded"));
      return result;
    }
    queue.add(new Pending(sample, System.nanoTime(), result));
    return result;
  }

  private void loop(LoadedModel model) {
    List<Pending> batch = new ArrayList<>(maxBatchSize);
    while (!closed) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.add(first);
        long deadline = first.enqueuedNanos() + maxDelayNanos;
        while (batch.size() < maxBatchSize) {
          long wait = deadline - System.nanoTime();
          Pending next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) break;
          batch.add(next);
        }
        run(model, batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        // Never let one bad batch stop the replica: its samples fail, the next batch runs.
        for (Pending p : batch) p.result().completeExceptionally(e);
        LOG.warn("event=batch.failed model={} error={}", name, e.toString());
      } finally {
        batch.clear();
      }
    }
  }

  private void run(LoadedModel model, List<Pending> batch) {
    int n = batch.size();
    float[] data = new float[n * sampleSize];
    for (int i = 0; i < n; i++) System.arraycopy(batch.get(i).sample(), 0, data, i * sampleSize, sampleSize);
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = n;
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    long start = System.nanoTime();
    long queued = start - batch.get(0).enqueuedNanos();
    Tensor out;
    try {
      out = model.predict(new Tensor(data, shape));
    } catch (InferenceException e) {
      for (Pending p : batch) p.result().completeExceptionally(e);
      return;
    }
    long engine = System.nanoTime() - start;
    listener.batch(name, n, queued, engine);
    if (out.shape().length == 0 || out.shape()[0] != n || out.data().length % n != 0) {
      InferenceException wrong = new InferenceException("model " + name + " answered a batch of " + n + " with output "
          + Arrays.toString(out.shape()) + " (expected the batch size first)");
      for (Pending p : batch) p.result().completeExceptionally(wrong);
      return;
    }
    int per = out.data().length / n;
    for (int i = 0; i < n; i++) {
      batch.get(i).result().complete(Arrays.copyOfRange(out.data(), i * per, (i + 1) * per));
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread t : threads) t.interrupt();
    for (Pending p; (p = queue.poll()) != null; ) {
      p.result().completeExceptionally(new InferenceException("model " + name + " was unloaded"));
    }
  }
}
