package imago.inference.engine;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A TorchScript or ONNX model held by DJL. DJL predictors are not thread-safe but the model is:
 * each call borrows an idle predictor or makes one, so concurrent callers never share one. A
 * read-write lock keeps {@link #close()} from freeing native memory under a running call.
 */
final class DjlModel extends ModelIdentity {

  private final Model model;
  private final String inputName;
  private final TensorTranslator translator;
  private final ConcurrentLinkedQueue<Predictor<Tensor, Tensor>> idle = new ConcurrentLinkedQueue<>();
  private final List<Predictor<Tensor, Tensor>> created = new ArrayList<>();
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  DjlModel(Framework framework, Model model, String engine, String device,
      Optional<long[]> declaredInputShape, String inputName) {
    super(framework, engine, device, declaredInputShape);
    this.model = model;
    this.inputName = inputName;
    this.translator = new TensorTranslator(inputName);
  }

  @Override
  public Tensor predict(Tensor input) throws InferenceException {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new InferenceException("model is closed");
      }
      checkDeclaredShape(input);
      Predictor<Tensor, Tensor> predictor = borrow();
      try {
        return predictor.predict(input);
      } catch (Exception e) {
        throw new InferenceException(
            "model rejected input of shape " + input.shapeText() + ": " + EngineMessages.oneLine(e), e);
      } finally {
        idle.offer(predictor);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Compares the input with the graph's declared shape first: ORT's own message names no shapes. */
  private void checkDeclaredShape(Tensor input) throws InferenceException {
    Optional<long[]> declaredShape = declaredInputShape();
    if (declaredShape.isEmpty()) {
      return;
    }
    long[] declared = declaredShape.get();
    long[] given = input.shape();
    boolean fits = declared.length == given.length;
    for (int i = 0; fits && i < declared.length; i++) {
      fits = declared[i] < 0 || declared[i] == given[i];
    }
    if (!fits) {
      throw new InferenceException("model rejected input of shape " + input.shapeText()
          + ": the graph declares input '" + inputName + "' as " + Arrays.toString(declared)
          + " (-1 = any size)");
    }
  }

  private Predictor<Tensor, Tensor> borrow() {
    Predictor<Tensor, Tensor> predictor = idle.poll();
    if (predictor == null) {
      predictor = model.newPredictor(translator);
      synchronized (created) {
        created.add(predictor);
      }
    }
    return predictor;
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      synchronized (created) {
        created.forEach(Predictor::close);
        created.clear();
      }
      idle.clear();
      model.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
