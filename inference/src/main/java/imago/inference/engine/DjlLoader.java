package imago.inference.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TorchScript through DJL's PyTorch engine (libtorch) and ONNX through its ONNX Runtime engine.
 *
 * <p>Models are made with {@link Model#newInstance} and loaded from the artifact's folder by file
 * name, the call {@code Criteria.loadModel()} ends in, without its repository layer: that layer
 * unpacks a {@code .zip}-named artifact into the cache and walks the folder for
 * {@code metadata.json}, neither of which an uploaded file should trigger.
 */
final class DjlLoader {

  static final String PYTORCH = "PyTorch";
  static final String ONNX_RUNTIME = "OnnxRuntime";

  private final EngineConfig config;
  private final AtomicInteger nextGpu = new AtomicInteger();
  /** GPUs each engine can use, asked once: the engines log a warning every time they probe CUDA. */
  private final Map<String, Integer> usableGpus = new ConcurrentHashMap<>();

  DjlLoader(EngineConfig config) {
    this.config = config;
  }

  LoadedModel loadTorchScript(Path artifact) throws ModelLoadException {
    Artifact.inspect(artifact).require(Framework.TORCHSCRIPT, Artifact.Kind.TORCHSCRIPT);
    Engine engine = engine(PYTORCH);
    Device device = device(engine);
    // mapLocation: a module saved on a GPU loads onto the device chosen here.
    Model model = load(engine, device, artifact, Map.of("mapLocation", "true"), "TorchScript archive");
    return new DjlModel(Framework.TORCHSCRIPT, model, describe(engine, device), device.toString(),
        Optional.empty(), null);
  }

  LoadedModel loadOnnx(Path artifact, String inputName) throws ModelLoadException {
    // ONNX has no signature; the header check only catches files that are clearly something else.
    Artifact.inspect(artifact).require(Framework.ONNX, Artifact.Kind.ONNX, Artifact.Kind.OTHER);
    Engine engine = engine(ONNX_RUNTIME); // before OnnxGraph: DJL must create the OrtEnvironment
    OnnxGraph.Input input = OnnxGraph.read(artifact).select(inputName);
    Device device = device(engine);
    Map<String, String> options = Map.of("disablePerSessionThreads", "true");
    Model model = load(engine, device, artifact, options, "ONNX model");
    return new DjlModel(Framework.ONNX, model, describe(engine, device), device.toString(),
        Optional.of(input.shape()), input.name());
  }

  /** The devices models load on: every GPU the PyTorch engine can use, else the CPU. */
  List<String> devices() {
    try {
      Engine engine = engine(PYTORCH);
      List<String> devices = new ArrayList<>();
      int gpus = usableGpus(engine);
      if (gpus > 0) {
        for (int i = 0; i < gpus; i++) {
          devices.add(Device.gpu(i).toString());
        }
      } else {
        devices.add(Device.cpu().toString());
      }
      return devices;
    } catch (ModelLoadException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private Model load(Engine engine, Device device, Path artifact, Map<String, ?> options, String what)
      throws ModelLoadException {
    Path file = artifact.toAbsolutePath();
    String fileName = file.getFileName().toString();
    Model model = Model.newInstance(stem(fileName), device, engine.getEngineName());
    try {
      model.load(file.getParent(), fileName, options);
      return model;
    } catch (Exception e) {
      model.close();
      throw new ModelLoadException(what + " cannot be loaded: " + EngineMessages.oneLine(e), e);
    }
  }

  /** Starts PyTorch and ONNX Runtime, unpacking their libraries; a failure is the first load's to report. */
  void warmUp() {
    for (String name : new String[] {PYTORCH, ONNX_RUNTIME}) {
      try {
        engine(name);
      } catch (ModelLoadException e) {
        // reported by the first model that needs it
      }
    }
  }

  /** Starts the engine on first use; its native libraries come from the cache, never the network. */
  private Engine engine(String name) throws ModelLoadException {
    if (ONNX_RUNTIME.equals(name)) {
      NativeLibraries.prepareOnnxRuntime();
    }
    try {
      return Engine.getEngine(name);
    } catch (RuntimeException | LinkageError e) {
      throw new ModelLoadException("the " + name + " engine did not start: " + EngineMessages.oneLine(e), e);
    }
  }

  /** The CPU, or the next GPU in turn so that models spread over the GPUs there are. */
  private Device device(Engine engine) {
    int gpus = usableGpus(engine);
    return gpus == 0 ? Device.cpu() : Device.gpu(Math.floorMod(nextGpu.getAndIncrement(), gpus));
  }

  /** A GPU counts only if the engine's native build can use it (a CPU libtorch on a GPU host cannot). */
  private int usableGpus(Engine engine) {
    if (!config.useGpu()) {
      return 0;
    }
    return usableGpus.computeIfAbsent(engine.getEngineName(),
        name -> engine.getGpuCount() > 0 && engine.hasCapability(StandardCapabilities.CUDA)
            ? engine.getGpuCount()
            : 0);
  }

  private static String describe(Engine engine, Device device) {
    return engine.getEngineName() + " " + engine.getVersion() + " " + device;
  }

  private static String stem(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot > 0 ? fileName.substring(0, dot) : fileName;
  }
}
