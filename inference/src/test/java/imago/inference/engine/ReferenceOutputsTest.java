package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every engine reproduces what Python torch computed for the reference models, at batch 1 and 4. */
class ReferenceOutputsTest {

  /** Absolute plus relative: logits of the larger benchmark nets reach the tens. */
  private static final double TOLERANCE = 1e-4;

  private static final Map<String, LoadedModel> loaded = new LinkedHashMap<>();

  static List<ReferenceModels.Case> dryRuns() throws IOException {
    return ReferenceModels.cases("dryrun-b1", "dryrun-b4");
  }

  @Test
  void referenceModelsCoverTorchScriptOnnxAndKeras() throws IOException {
    Set<Framework> present = dryRuns().stream()
        .map(ReferenceModels.Case::framework)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Framework.class)));
    assertTrue(present.containsAll(EnumSet.of(Framework.TORCHSCRIPT, Framework.ONNX, Framework.KERAS_H5)),
        "reference models in " + ReferenceModels.root() + " cover only " + present
            + ": rerun models/reference/make.sh");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dryRuns")
  void matchesPythonOutputs(ReferenceModels.Case reference) throws Exception {
    LoadedModel model = model(reference);
    Tensor expected = reference.expectedOut();

    Tensor actual = model.predict(reference.in());

    assertArrayEquals(expected.shape(), actual.shape(), "output shape");
    float[] e = expected.data();
    float[] a = actual.data();
    double worst = 0;
    for (int i = 0; i < e.length; i++) {
      double error = Math.abs(e[i] - a[i]);
      worst = Math.max(worst, error);
      if (error > TOLERANCE + TOLERANCE * Math.abs(e[i])) {
        fail(reference + ": value " + i + " is " + a[i] + ", Python computed " + e[i]);
      }
    }
    System.out.printf("engine-reference case=\"%s\" engine=\"%s\" max_abs_error=%.3g%n",
        reference, model.engine(), worst);
    assertEquals(reference.framework(), model.framework());
  }

  private static synchronized LoadedModel model(ReferenceModels.Case reference) throws ModelLoadException {
    LoadedModel model = loaded.get(reference.model());
    if (model == null) {
      long started = System.nanoTime();
      model = TestEngines.get().load(reference.framework(), reference.artifact(), null);
      System.out.printf("engine-load model=%s framework=%s engine=\"%s\" ms=%d%n", reference.model(),
          reference.framework(), model.engine(), (System.nanoTime() - started) / 1_000_000);
      loaded.put(reference.model(), model);
    }
    return model;
  }

  @AfterAll
  static void closeModels() {
    loaded.values().forEach(LoadedModel::close);
    loaded.clear();
  }
}
