package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** A network saved by DL4J's ModelSerializer loads through Engines and answers as it did before saving. */
class Dl4jZipTest {

  @TempDir
  Path dir;

  @BeforeAll
  static void configureEnginesBeforeNd4jStarts() {
    TestEngines.get(); // the JavaCPP cache folder must be set before ND4J loads its natives
  }

  @Test
  void multiLayerNetworkRoundTrips() throws Exception {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(7).weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    Path file = dir.resolve("mlp.zip");
    ModelSerializer.writeModel(net, file.toFile(), false);
    INDArray input = Nd4j.rand(5, 4);

    assertSameAnswers(net.output(input), file, input);
  }

  @Test
  void computationGraphRoundTrips() throws Exception {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(11).weightInit(WeightInit.XAVIER).graphBuilder()
        .addInputs("in")
        .addLayer("hidden", new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nIn(6).nOut(2)
            .activation(Activation.IDENTITY).build(), "hidden")
        .setOutputs("out")
        .build();
    ComputationGraph graph = new ComputationGraph(conf);
    graph.init();
    Path file = dir.resolve("graph.zip");
    ModelSerializer.writeModel(graph, file.toFile(), false);
    INDArray input = Nd4j.rand(3, 4);

    assertSameAnswers(graph.outputSingle(input), file, input);
  }

  private static void assertSameAnswers(INDArray expected, Path zip, INDArray input) throws Exception {
    Tensor tensor = new Tensor(input.dup('c').data().asFloat(), input.shape());
    try (LoadedModel model = TestEngines.get().load(Framework.DL4J, zip, null)) {
      Tensor actual = model.predict(tensor);

      assertEquals(Framework.DL4J, model.framework());
      assertArrayEquals(expected.shape(), actual.shape());
      assertArrayEquals(expected.dup('c').data().asFloat(), actual.data(), 1e-6f);
    }
  }
}
