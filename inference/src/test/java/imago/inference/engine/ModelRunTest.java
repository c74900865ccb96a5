package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Running loaded models: wrong inputs, concurrent callers, declared shapes, closing. */
class ModelRunTest {

  @ParameterizedTest
  @EnumSource(value = Framework.class, names = {"TORCHSCRIPT", "ONNX", "KERAS_H5"})
  void reportsAnInputOfTheWrongShapeWithItsShape(Framework framework) throws Exception {
    ReferenceModels.Case reference = ReferenceModels.any(framework);
    long[] shape = reference.inShape().clone();
    shape[1] += 1; // one more channel (NCHW) or row (NHWC): no model here accepts it
    Tensor wrong = new Tensor(new float[(int) Tensor.elementCount(shape)], shape);

    try (LoadedModel model = TestEngines.get().load(framework, reference.artifact(), null)) {
      InferenceException e = assertThrows(InferenceException.class, () -> model.predict(wrong));

      System.out.printf("inference-error framework=%s message=\"%s\"%n", framework, e.getMessage());
      assertTrue(e.getMessage().startsWith("model rejected input of shape " + wrong.shapeText() + ": "),
          e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      // the model still works after a rejected call
      assertArrayEquals(reference.expectedOut().shape(), model.predict(reference.in()).shape());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Framework.class, names = {"TORCHSCRIPT", "ONNX", "KERAS_H5"})
  void answersConcurrentCallersAsItAnswersOne(Framework framework) throws Exception {
    ReferenceModels.Case small = ReferenceModels.any(framework);
    ReferenceModels.Case reference = ReferenceModels.cases("dryrun-b4").stream()
        .filter(c -> c.model().equals(small.model())).findFirst().orElseThrow();
    Tensor input = reference.in();
    try (LoadedModel model = TestEngines.get().load(framework, reference.artifact(), null)) {
      Tensor alone = model.predict(input);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Tensor>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          answers.add(pool.submit(() -> model.predict(input)));
        }
        for (Future<Tensor> answer : answers) {
          Tensor concurrent = answer.get();
          assertArrayEquals(alone.shape(), concurrent.shape());
          assertArrayEquals(alone.data(), concurrent.data(), 1e-6f);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void onnxDeclaresItsInputShapeWithADynamicBatch() throws Exception {
    ReferenceModels.Case reference = ReferenceModels.any(Framework.ONNX);
    try (LoadedModel model = TestEngines.get().load(Framework.ONNX, reference.artifact(), null)) {
      long[] declared = model.declaredInputShape().orElseThrow();

      long[] expected = reference.inShape().clone();
      expected[0] = -1;
      assertArrayEquals(expected, declared);
    }
  }

  @Test
  void kerasDeclaresItsInputShapeAndTorchScriptNone() throws Exception {
    ReferenceModels.Case keras = ReferenceModels.any(Framework.KERAS_H5);
    try (LoadedModel model = TestEngines.get().load(Framework.KERAS_H5, keras.artifact(), null)) {
      long[] expected = keras.inShape().clone();
      expected[0] = -1;
      assertArrayEquals(expected, model.declaredInputShape().orElseThrow());
    }
    ReferenceModels.Case torchScript = ReferenceModels.any(Framework.TORCHSCRIPT);
    try (LoadedModel model = TestEngines.get().load(Framework.TORCHSCRIPT, torchScript.artifact(), null)) {
      assertTrue(model.declaredInputShape().isEmpty());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Framework.class, names = {"TORCHSCRIPT", "ONNX", "KERAS_H5"})
  void refusesToRunOnceClosed(Framework framework) throws Exception {
    ReferenceModels.Case reference = ReferenceModels.any(framework);
    LoadedModel model = TestEngines.get().load(framework, reference.artifact(), null);
    model.predict(reference.in());

    model.close();
    model.close(); // closing twice is harmless

    assertEquals("model is closed",
        assertThrows(InferenceException.class, () -> model.predict(reference.in())).getMessage());
  }

  @Test
  void runsOnADeviceTheEnginesList() throws Exception {
    List<String> devices = TestEngines.get().devices();
    assertFalse(devices.isEmpty());
    devices.forEach(d -> assertTrue(d.matches("cpu\\(\\)|gpu\\(\\d+\\)"), d));
    try (LoadedModel model = TestEngines.get().load(
        Framework.TORCHSCRIPT, ReferenceModels.any(Framework.TORCHSCRIPT).artifact(), null)) {
      assertTrue(devices.contains(model.device()), model.device() + " not in " + devices);
      assertTrue(model.engine().matches("PyTorch \\d+\\.\\d+\\.\\d+ .+"), model.engine());
    }
  }
}
