package imago.inference.batch;

/** What a batcher reports about each batch it ran, for metrics. */
public interface BatchListener {
  /**
   * @param model the model version, {@code name:version}
   * @param size samples in the batch
   * @param queueNanos how long the oldest sample waited for the batch to form
   * @param engineNanos how long the engine call took
   */
  void batch(String model, int size, long queueNanos, long engineNanos);

  BatchListener NONE = (model, size, queueNanos, engineNanos) -> { };
}
