package imago.inference.engine;

import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Keras or DL4J model on ND4J. DL4J networks keep per-call state in the layers, so calls are
 * serialized; the lock also keeps {@link #close()} from freeing memory under a running call.
 */
final class Dl4jModel extends ModelIdentity {

  /** The one operation Imago needs from a MultiLayerNetwork or a ComputationGraph. */
  interface Network extends AutoCloseable {
    INDArray output(INDArray input);

    @Override
    void close();
  }

  static Network network(MultiLayerNetwork net) {
    return new Network() {
      @Override
      public INDArray output(INDArray input) {
        return net.output(input, false);
      }

      @Override
      public void close() {
        net.close();
      }
    };
  }

  static Network network(ComputationGraph graph) {
    return new Network() {
      @Override
      public INDArray output(INDArray input) {
        return graph.output(false, input)[0];
      }

      @Override
      public void close() {
        graph.close();
      }
    };
  }

  private final Network network;
  private boolean closed;

  Dl4jModel(Framework framework, Network network, String engine, Optional<long[]> declaredInputShape) {
    super(framework, engine, "cpu()", declaredInputShape);
    this.network = network;
  }

  @Override
  public synchronized Tensor predict(Tensor input) throws InferenceException {
    if (closed) {
      throw new InferenceException("model is closed");
    }
    INDArray in = Nd4j.create(input.data(), input.shape(), 'c');
    try {
      INDArray out = network.output(in);
      INDArray dense = out.castTo(DataType.FLOAT).dup('c');
      Tensor result = new Tensor(dense.data().asFloat(), dense.shape());
      release(dense);
      release(out);
      return result;
    } catch (RuntimeException e) {
      throw new InferenceException(
          "model rejected input of shape " + input.shapeText() + ": " + EngineMessages.oneLine(e), e);
    } finally {
      release(in);
    }
  }

  /** Frees an array's off-heap buffer now instead of at garbage collection. */
  private static void release(INDArray array) {
    if (array.closeable()) {
      array.close();
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      network.close();
    }
  }
}
