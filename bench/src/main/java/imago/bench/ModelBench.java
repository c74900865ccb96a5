package imago.bench;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.Engines;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.Tensor;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.ManifestParser;
import imago.models.validation.DryRunInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Loads each reference and benchmark model in the engine its artifact is for and prints load time,
 * resident-memory growth, first-call and steady latency at batch 1 and at the manifest's
 * maxBatchSize, and images/s. Where one architecture is exported for two engines (TorchScript and
 * ONNX), the second engine's figures are also printed as a ratio to the first, measured in the same
 * process on the same input.
 *
 * <p>usage: ModelBench REFERENCE_DIR CACHE_DIR [SECONDS_PER_POINT] [MODEL_DIR...]
 */
public final class ModelBench {
  private static final List<String> DEFAULT = List.of("lesion-cls-torchscript", "lesion-cls-onnx", "lesion-cls-keras",
      "lesion-seg-torchscript", "lesion-seg-onnx", "resnet18-torchscript", "resnet18-onnx", "densenet121-torchscript",
      "densenet121-onnx");

  private record Point(double firstMs, double p50Ms, double p99Ms, double imagesPerSecond) {}

  private record Row(String model, String engine, long loadMs, long rssMb, Point b1, int n, Point bn) {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Path cache = Path.of(args[1]);
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;
    List<String> models = args.length > 3 ? Arrays.asList(args).subList(3, args.length) : DEFAULT;
    int threads = Runtime.getRuntime().availableProcessors();
    Engines engines = new Engines(new EngineConfig(threads, cache, true));
    ManifestParser parser = new ManifestParser();
    System.out.printf(Locale.ROOT, "bench/models: %d cores, %d engine threads, devices %s, %.0f s per point%n%n",
        Runtime.getRuntime().availableProcessors(), threads, engines.devices(), seconds);
    System.out.printf(Locale.ROOT, "%-24s %-26s %8s %7s %9s %9s %9s %8s %9s %9s %9s%n", "model", "engine", "load ms",
        "+rss MB", "first ms", "b1 p50", "b1 p99", "batch", "bN p50", "bN p99", "img/s bN");
    List<Row> rows = new ArrayList<>();
    for (String name : models) {
      Path m = dir.resolve(name);
      if (!Files.isDirectory(m)) {
        System.out.printf("%-24s missing (run models/reference/make.sh)%n", name);
        continue;
      }
      Manifest manifest = parser.parse(Files.readAllBytes(m.resolve("manifest.json")));
      Path artifact;
      try (var files = Files.list(m)) {
        artifact = files.filter(f -> f.getFileName().toString().startsWith("model.")).findFirst().orElseThrow();
      }
      long rss = rss();
      long t0 = System.nanoTime();
      try (LoadedModel model = engines.load(manifest.framework(), artifact, manifest.input().name())) {
        long loadMs = (System.nanoTime() - t0) / 1_000_000;
        Point b1 = measure(model, DryRunInput.of(manifest.input().shape(1)), seconds);
        int n = manifest.batching().maxBatchSize();
        Point bn = measure(model, DryRunInput.of(manifest.input().shape(n)), seconds);
        // Growth of the process's resident set over load and both runs (weights, arenas, workspaces);
        // memory a closed model gave back is reused by the next, so later rows can read low.
        long rssMb = Math.max(0, rss() - rss) >> 20;
        String engine = model.engine().contains(model.device()) ? model.engine() : model.engine() + " " + model.device();
        Row row = new Row(name, engine, loadMs, rssMb, b1, n, bn);
        rows.add(row);
        System.out.printf(Locale.ROOT, "%-24s %-26s %8d %7d %9.1f %9.2f %9.2f %8d %9.2f %9.2f %9.1f%n", name, row.engine(),
            loadMs, rssMb, b1.firstMs(), b1.p50Ms(), b1.p99Ms(), n, bn.p50Ms(), bn.p99Ms(), bn.imagesPerSecond());
      }
    }
    System.out.println();
    System.out.println("same architecture, second engine vs first (images/s at batch N; >1: faster):");
    for (Row a : rows) {
      if (!a.model().endsWith("-torchscript")) continue;
      String arch = a.model().substring(0, a.model().length() - "-torchscript".length());
      for (Row b : rows) {
        if (b != a && b.model().startsWith(arch + "-")) {
          System.out.printf(Locale.ROOT, "  %-14s %s / %s: %.2fx (batch 1 latency %.2fx)%n", arch, b.engine().split(" ")[0],
              a.engine().split(" ")[0], b.bn().imagesPerSecond() / a.bn().imagesPerSecond(), a.b1().p50Ms() / b.b1().p50Ms());
        }
      }
    }
    System.out.println("batching gain, images/s at batch N vs batch 1:");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "  %-24s %-12s %.2fx%n", r.model(), r.engine().split(" ")[0],
          r.bn().imagesPerSecond() / (1000.0 / r.b1().p50Ms()));
    }
  }

  /** The first call, then as many calls as fit in {@code seconds}: p50, p99 and images/s. */
  private static Point measure(LoadedModel model, Tensor input, double seconds) throws Exception {
    long s = System.nanoTime();
    model.predict(input);
    double first = (System.nanoTime() - s) / 1e6;
    List<Double> times = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    while (System.nanoTime() < end || times.size() < 3) {
      long c = System.nanoTime();
      model.predict(input);
      times.add((System.nanoTime() - c) / 1e6);
    }
    double wall = (System.nanoTime() - start) / 1e9;
    double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double p50 = sorted[sorted.length / 2];
    double p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
    return new Point(first, p50, p99, times.size() * input.batchSize() / wall);
  }

  private static long rss() {
    try {
      String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
      return Long.parseLong(statm[1]) * 4096L;
    } catch (Exception e) {
      return 0;
    }
  }
}
