package imago.inference.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The inputs an ONNX graph declares: names, element types and shapes (-1 where dynamic). DJL's
 * ONNX model reports names only, so the graph is opened once more through ONNX Runtime itself,
 * unoptimized, and closed at once.
 */
record OnnxGraph(List<Input> inputs) {

  record Input(String name, long[] shape, OnnxJavaType type) {
    @Override
    public String toString() {
      return name + Arrays.toString(shape);
    }
  }

  /**
   * Reads the graph's inputs. Call it only once DJL's OnnxRuntime engine has started: DJL creates
   * the process's one OrtEnvironment with its thread pools and fails if another exists already.
   */
  static OnnxGraph read(Path file) throws ModelLoadException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.disablePerSessionThreads();
      try (OrtSession session = env.createSession(file.toString(), options)) {
        List<Input> inputs = new ArrayList<>();
        for (Map.Entry<String, NodeInfo> entry : session.getInputInfo().entrySet()) {
          if (!(entry.getValue().getInfo() instanceof TensorInfo tensor)) {
            throw new ModelLoadException("ONNX input '" + entry.getKey() + "' is not a tensor");
          }
          inputs.add(new Input(entry.getKey(), tensor.getShape(), tensor.type));
        }
        return new OnnxGraph(List.copyOf(inputs));
      }
    } catch (OrtException e) {
      String reason = EngineMessages.oneLine(e).replaceFirst("^Load model from .* failed:\\s*", "");
      throw new ModelLoadException("not a valid ONNX model: " + reason, e);
    }
  }

  /**
   * The input Imago feeds. DJL's ONNX Runtime engine feeds every graph input on each call, so a
   * graph must have exactly one; the manifest's name, when given, must be that one.
   */
  Input select(String inputName) throws ModelLoadException {
    if (inputs.isEmpty()) {
      throw new ModelLoadException("the ONNX graph declares no inputs");
    }
    if (inputs.size() > 1) {
      throw new ModelLoadException("the ONNX graph has " + inputs.size() + " inputs " + inputs
          + "; Imago feeds one image tensor, so export the model with a single input");
    }
    Input input = inputs.get(0);
    if (inputName != null && !inputName.equals(input.name())) {
      throw new ModelLoadException("the manifest names input '" + inputName
          + "' but the ONNX graph's input is " + input);
    }
    if (input.type() != OnnxJavaType.FLOAT) {
      throw new ModelLoadException("ONNX input " + input + " holds " + input.type()
          + "; Imago feeds float32 tensors");
    }
    return input;
  }
}
