package imago.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;

/**
 * {@link Tensor} in, the model's first output out. Arrays live in the predictor's per-call
 * manager, so their native memory is freed when the call returns; only heap copies leave.
 * Batching is the caller's: the tensor already is the batch.
 */
final class TensorTranslator implements NoBatchifyTranslator<Tensor, Tensor> {

  /** The graph input the tensor feeds (ONNX), or null to feed by position. */
  private final String inputName;

  TensorTranslator(String inputName) {
    this.inputName = inputName;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Tensor input) {
    NDArray array = ctx.getNDManager().create(FloatBuffer.wrap(input.data()), new Shape(input.shape()));
    if (inputName != null) {
      array.setName(inputName);
    }
    return new NDList(array);
  }

  @Override
  public Tensor processOutput(TranslatorContext ctx, NDList outputs) {
    if (outputs.isEmpty()) {
      throw new IllegalStateException("the model returned no output");
    }
    NDArray first = outputs.get(0);
    long[] shape = first.getShape().getShape();
    if (first.getDataType() == DataType.FLOAT32) {
      return new Tensor(first.toFloatArray(), shape);
    }
    // Class indices (int64) or masks (bool/uint8) come out as float32, the one type Imago passes on.
    if (first.getDataType() == DataType.BOOLEAN) {
      boolean[] flags = first.toBooleanArray();
      float[] data = new float[flags.length];
      for (int i = 0; i < flags.length; i++) {
        data[i] = flags[i] ? 1f : 0f;
      }
      return new Tensor(data, shape);
    }
    Number[] values = first.toArray();
    float[] data = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      data[i] = values[i].floatValue();
    }
    return new Tensor(data, shape);
  }
}
