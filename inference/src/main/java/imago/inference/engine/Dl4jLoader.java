package imago.inference.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.bytedeco.hdf5.global.hdf5;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keras HDF5 models (imported by DL4J's Keras import) and DL4J's own model zips, run on ND4J's
 * CPU backend.
 */
final class Dl4jLoader {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final EngineConfig config;
  private String engineName;

  Dl4jLoader(EngineConfig config) {
    this.config = config;
  }

  LoadedModel loadKeras(Path artifact) throws ModelLoadException {
    Artifact.inspect(artifact).require(Framework.KERAS_H5, Artifact.Kind.HDF5);
    String engine = start();
    String file = artifact.toAbsolutePath().toString();
    JsonNode modelConfig = kerasModelConfig(file);
    String modelClass = modelConfig.path("class_name").asText();
    try {
      Dl4jModel.Network network = "Sequential".equals(modelClass)
          ? Dl4jModel.network(KerasModelImport.importKerasSequentialModelAndWeights(file, false))
          : Dl4jModel.network(KerasModelImport.importKerasModelAndWeights(file, false));
      return new Dl4jModel(Framework.KERAS_H5, network, engine, kerasInputShape(modelConfig));
    } catch (Exception e) {
      throw new ModelLoadException("Keras model cannot be imported: " + EngineMessages.oneLine(e), e);
    }
  }

  LoadedModel loadZip(Path artifact) throws ModelLoadException {
    Artifact zip = Artifact.inspect(artifact).require(Framework.DL4J, Artifact.Kind.DL4J_ZIP);
    String engine = start();
    // A ComputationGraph's configuration lists "vertices"; a MultiLayerNetwork's lists "confs".
    boolean graph = zip.dl4jConfiguration().orElse("").contains("\"vertices\"");
    try {
      Dl4jModel.Network network = graph
          ? Dl4jModel.network(ModelSerializer.restoreComputationGraph(artifact.toFile(), false))
          : Dl4jModel.network(ModelSerializer.restoreMultiLayerNetwork(artifact.toFile(), false));
      return new Dl4jModel(Framework.DL4J, network, engine, Optional.empty());
    } catch (Exception e) {
      throw new ModelLoadException("DL4J model cannot be restored: " + EngineMessages.oneLine(e), e);
    }
  }

  /** Starts ND4J and loads HDF5 (Keras files), unpacking their libraries; a failure is the first load's to report. */
  void warmUp() {
    try {
      start();
      org.bytedeco.javacpp.Loader.load(hdf5.class);
    } catch (ModelLoadException | RuntimeException | LinkageError e) {
      // reported by the first model that needs it
    }
  }

  /** Starts ND4J's backend once (unpacking its libraries into the JavaCPP cache) and names it. */
  private synchronized String start() throws ModelLoadException {
    if (engineName == null) {
      try {
        Nd4j.getEnvironment().setMaxMasterThreads(config.threads());
        Nd4j.getEnvironment().setMaxThreads(config.threads());
        engineName = "DL4J " + version() + " cpu()";
      } catch (RuntimeException | LinkageError e) {
        throw new ModelLoadException("the DL4J engine did not start: " + EngineMessages.oneLine(e), e);
      }
    }
    return engineName;
  }

  /** The Keras model's architecture, saved beside the weights by {@code model.save("x.h5")}. */
  private static JsonNode kerasModelConfig(String file) throws ModelLoadException {
    String json;
    // HDF5 prints its error stack to stderr by default; the exception carries what matters.
    hdf5.H5Eset_auto2(hdf5.H5E_DEFAULT, null, null);
    try (Hdf5Archive archive = new Hdf5Archive(file)) {
      if (!archive.hasAttribute("model_config")) {
        throw new ModelLoadException("the HDF5 file holds no Keras model_config: it has weights only"
            + " (model.save_weights); save the whole model with model.save(\"model.h5\")");
      }
      json = archive.readAttributeAsJson("model_config");
    } catch (ModelLoadException e) {
      throw e;
    } catch (Exception e) {
      throw new ModelLoadException("not a readable Keras HDF5 file: " + EngineMessages.oneLine(e), e);
    }
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new ModelLoadException("the Keras model_config is not valid JSON: " + EngineMessages.oneLine(e), e);
    }
  }

  /**
   * The input shape the Keras config declares, batch dimension first, -1 where open: from the one
   * InputLayer, or the first layer's {@code batch_input_shape} (Keras 2) / {@code batch_shape} (3).
   */
  static Optional<long[]> kerasInputShape(JsonNode modelConfig) {
    JsonNode layers = modelConfig.path("config").path("layers");
    List<JsonNode> declared = new ArrayList<>();
    for (JsonNode layer : layers) {
      if ("InputLayer".equals(layer.path("class_name").asText())) {
        declared.add(batchShape(layer.path("config")));
      }
    }
    if (declared.isEmpty() && layers.size() > 0) {
      declared.add(batchShape(layers.get(0).path("config")));
    }
    if (declared.size() != 1 || !declared.get(0).isArray()) {
      return Optional.empty();
    }
    JsonNode shape = declared.get(0);
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = shape.get(i).isNumber() ? shape.get(i).asLong() : -1;
    }
    return Optional.of(dims);
  }

  private static JsonNode batchShape(JsonNode layerConfig) {
    JsonNode shape = layerConfig.path("batch_input_shape");
    return shape.isArray() ? shape : layerConfig.path("batch_shape");
  }

  private static String version() {
    String resource = "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties";
    try (InputStream in = MultiLayerNetwork.class.getResourceAsStream(resource)) {
      if (in != null) {
        Properties properties = new Properties();
        properties.load(in);
        return properties.getProperty("version", "unknown");
      }
    } catch (IOException ignored) {
      // the version only labels results
    }
    return "unknown";
  }
}
