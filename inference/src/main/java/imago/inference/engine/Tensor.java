package imago.inference.engine;

import java.util.Arrays;
import java.util.List;

/**
 * A dense float32 tensor, row-major (C order). The first dimension is the batch.
 *
 * <p>Records compare arrays by identity; use {@link #sameAs(Tensor)} for value equality.
 */
public record Tensor(float[] data, long[] shape) {

  public Tensor {
    if (data == null || shape == null) {
      throw new IllegalArgumentException("tensor data and shape are required");
    }
    long size = elementCount(shape);
    if (size != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + size + " values, data has " + data.length);
    }
  }

  /** Number of values a tensor of {@code shape} holds; negative dimensions are rejected. */
  public static long elementCount(long[] shape) {
    long size = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      size = Math.multiplyExact(size, dim);
    }
    return size;
  }

  /** The first dimension; a scalar counts as a batch of one. */
  public int batchSize() {
    return shape.length == 0 ? 1 : Math.toIntExact(shape[0]);
  }

  /** The {@code n}-th item of the batch, with the batch dimension kept (size 1). */
  public Tensor slice(int n) {
    int batch = batchSize();
    if (shape.length == 0 || n < 0 || n >= batch) {
      throw new IndexOutOfBoundsException("item " + n + " of a batch of " + batch);
    }
    int itemSize = data.length / batch;
    long[] itemShape = shape.clone();
    itemShape[0] = 1;
    return new Tensor(Arrays.copyOfRange(data, n * itemSize, (n + 1) * itemSize), itemShape);
  }

  /** One batch from tensors of equal shape, concatenated along the first dimension. */
  public static Tensor stack(List<Tensor> items) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("nothing to stack");
    }
    long[] itemShape = items.get(0).shape();
    if (itemShape.length == 0) {
      throw new IllegalArgumentException("cannot stack scalars");
    }
    long batch = 0;
    int size = 0;
    for (Tensor item : items) {
      long[] s = item.shape();
      if (s.length != itemShape.length
          || !Arrays.equals(s, 1, s.length, itemShape, 1, itemShape.length)) {
        throw new IllegalArgumentException(
            "cannot stack shape " + Arrays.toString(s) + " with " + Arrays.toString(itemShape));
      }
      batch += s[0];
      size = Math.addExact(size, item.data().length);
    }
    float[] data = new float[size];
    int offset = 0;
    for (Tensor item : items) {
      System.arraycopy(item.data(), 0, data, offset, item.data().length);
      offset += item.data().length;
    }
    long[] shape = itemShape.clone();
    shape[0] = batch;
    return new Tensor(data, shape);
  }

  /** Same shape and bit-identical values. */
  public boolean sameAs(Tensor other) {
    return Arrays.equals(shape, other.shape) && Arrays.equals(data, other.data);
  }

  /** The shape as the engines and messages print it: {@code [1, 3, 64, 64]}. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public String toString() {
    return "Tensor" + shapeText();
  }
}
