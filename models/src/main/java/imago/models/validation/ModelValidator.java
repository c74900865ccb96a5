package imago.models.validation;

import imago.inference.engine.ModelLoader;
import imago.inference.engine.InferenceException;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import imago.inference.engine.Tensor;
import imago.inference.manifest.Manifest;
import imago.models.validation.ValidationReport.DryRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Proves a registered artifact does what its manifest says: it loads in its engine, accepts the
 * declared input at batch 1 and batch N, and answers the declared output shape (labels, label map).
 * Failures name the check and say expected versus got; they never carry a stack trace.
 */
public final class ModelValidator {
  private static final int STEADY_CALLS = 5;
  private static final int HEAD = 8;
  /** The largest input a model may take, at its largest batch: 64 Mi float values, 256 MiB. */
  static final long MAX_DRY_RUN_ELEMENTS = 64L << 20;

  private final ModelLoader engines;
  private final int batchN;

  public ModelValidator(ModelLoader engines, int batchN) {
    this.engines = engines;
    this.batchN = Math.max(2, batchN);
  }

  public ValidationReport validate(Manifest manifest, Path artifact) {
    int batch = Math.min(batchN, manifest.batching().maxBatchSize());
    // At the largest batch the batcher will build, not only the dry run's: that is what serving allocates.
    int largest = manifest.batching().maxBatchSize();
    long elements = Arrays.stream(manifest.input().shape(largest)).reduce(1, Math::multiplyExact);
    if (elements > MAX_DRY_RUN_ELEMENTS) {
      // Refused before anything is allocated: the schema allows 512 x 4096 x 4096, which no server holds.
      return ValidationReport.failed("input-size", "the declared input " + Arrays.toString(manifest.input().shape(largest))
          + " at batching.maxBatchSize " + largest + " is " + elements + " values; at most " + MAX_DRY_RUN_ELEMENTS
          + " are run");
    }
    long rssBefore = residentBytes();
    long t0 = System.nanoTime();
    LoadedModel model;
    try {
      model = engines.load(manifest.framework(), artifact, manifest.input().name());
    } catch (ModelLoadException e) {
      return ValidationReport.failed("load", "artifact does not load in " + manifest.framework().id() + ": " + e.getMessage());
    } catch (RuntimeException | LinkageError e) {
      return ValidationReport.failed("load", "artifact does not load in " + manifest.framework().id() + ": " + describe(e));
    }
    try (model) {
      long loadMillis = (System.nanoTime() - t0) / 1_000_000;
      String declared = declaredShapeMismatch(manifest, model);
      if (declared != null) return ValidationReport.failed("input-shape", declared);
      List<DryRun> runs = new ArrayList<>();
      for (int n : batch > 1 ? new int[] {1, batch} : new int[] {1}) {
        long[] inShape = manifest.input().shape(n);
        Tensor input = DryRunInput.of(inShape);
        Tensor out;
        double first;
        try {
          long s = System.nanoTime();
          out = model.predict(input);
          first = (System.nanoTime() - s) / 1e6;
        } catch (InferenceException | RuntimeException e) {
          return ValidationReport.failed("dry-run", "batch " + n + " with input " + Arrays.toString(inShape) + ": "
              + (e instanceof InferenceException ? e.getMessage() : describe(e)));
        }
        String shape = outputMismatch(manifest, n, out.shape());
        if (shape != null) return ValidationReport.failed("output-shape", shape);
        for (float v : out.data()) {
          if (!Float.isFinite(v)) return ValidationReport.failed("dry-run", "batch " + n + ": output contains NaN or infinity");
        }
        double[] steady = new double[STEADY_CALLS];
        for (int i = 0; i < STEADY_CALLS; i++) {
          long s = System.nanoTime();
          try {
            model.predict(input);
          } catch (InferenceException | RuntimeException e) {
            return ValidationReport.failed("dry-run", "batch " + n + ", repeated call: " + e.getMessage());
          }
          steady[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(steady);
        runs.add(new DryRun(n, inShape, out.shape(), first, steady[STEADY_CALLS / 2],
            Arrays.copyOf(out.data(), Math.min(HEAD, out.data().length))));
      }
      // A sandbox's resident set (its JVM, engine and model), else this process's growth over load and both dry
      // runs (weights, arenas, workspaces): approximate, but what the host must have free to serve the model.
      long memory = model.processResidentBytes().orElse(Math.max(0, residentBytes() - rssBefore));
      return new ValidationReport(Instant.now(), null, null, model.engine(), model.device(), loadMillis, memory, runs);
    }
  }

  /** ONNX graphs declare their input shape: it must agree with the manifest's. */
  private static String declaredShapeMismatch(Manifest manifest, LoadedModel model) {
    var declared = model.declaredInputShape();
    if (declared.isEmpty()) return null;
    long[] d = declared.get();
    long[] want = manifest.input().shape(1);
    if (d.length != want.length) {
      return "manifest input " + manifest.input().layout() + " " + Arrays.toString(want) + " has " + want.length
          + " dimensions; the model's input has " + d.length + " " + Arrays.toString(d);
    }
    for (int i = 1; i < d.length; i++) {
      if (d[i] >= 0 && d[i] != want[i]) {
        return "manifest input " + manifest.input().layout() + " " + Arrays.toString(Arrays.copyOfRange(want, 1, want.length))
            + " does not match the model's declared input " + Arrays.toString(Arrays.copyOfRange(d, 1, d.length))
            + " (dimension " + i + ": manifest " + want[i] + ", model " + d[i] + ")";
      }
    }
    return null;
  }

  private static String outputMismatch(Manifest manifest, int n, long[] got) {
    long[] want = manifest.outputShape(n);
    boolean ok = want.length == got.length;
    for (int i = 0; ok && i < want.length; i++) ok = want[i] < 0 || want[i] == got[i];
    if (ok) return null;
    String what = switch (manifest.task()) {
      case CLASSIFICATION -> "[batch, labels] with " + manifest.output().labels().size() + " labels in output.labels";
      case SEGMENTATION -> "[batch, 1 + " + manifest.output().labelMap().size() + " segments of output.labelMap, height, width]";
      case DETECTION -> "[batch, boxes, 6]";
    };
    return "expected output " + Arrays.toString(want).replace("-1", "*") + " (" + what + "), got " + Arrays.toString(got);
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null) return e.getClass().getSimpleName();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** Resident set size of this process (Linux), 0 where unknown. */
  static long residentBytes() {
    try {
      String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
      return Long.parseLong(statm[1]) * 4096L;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
