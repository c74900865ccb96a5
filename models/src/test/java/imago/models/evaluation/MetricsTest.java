package imago.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imago's figures against scikit-learn's (Debian's python3-sklearn), on the same cases: AUC,
 * the ROC curve, sensitivity and specificity at a threshold, a bootstrap interval (NumPy's own
 * resampling: the bounds agree within sampling noise), and FROC against a plain Python count.
 */
class MetricsTest {
  @TempDir Path tmp;

  private static final String SCRIPT = """
      import json, sys
      import numpy as np
      from sklearn.metrics import roc_auc_score, roc_curve, confusion_matrix
      cases = json.load(open(sys.argv[1]))
      out = {}
      for name, c in cases["classification"].items():
          s = np.array(c["scores"]); y = np.array(c["truth"]).astype(int); t = c["threshold"]
          tn, fp, fn, tp = confusion_matrix(y, (s >= t).astype(int), labels=[0, 1]).ravel()
          fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
          rng = np.random.default_rng(7); draws = []
          for _ in range(4000):
              k = rng.integers(0, len(s), len(s))
              if len(set(y[k])) == 2: draws.append(roc_auc_score(y[k], s[k]))
          out[name] = {"auc": roc_auc_score(y, s), "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
                       "fpr": fpr.tolist(), "tpr": tpr.tolist(),
                       "low": float(np.percentile(draws, 2.5)), "high": float(np.percentile(draws, 97.5))}
      # FROC: every distinct score as a threshold, counted from scratch
      d = cases["detection"]; images = len(d); lesions = sum(len(i["lesions"]) for i in d)
      scores = sorted({p["score"] for i in d for p in i["predictions"]}, reverse=True)
      points = []
      for t in scores:
          hits = fps = 0
          for i in d:
              found = [False] * len(i["lesions"])
              for p in sorted([p for p in i["predictions"] if p["score"] >= t], key=lambda p: -p["score"]):
                  cx = (p["box"][0] + p["box"][2]) / 2; cy = (p["box"][1] + p["box"][3]) / 2
                  on = [k for k, l in enumerate(i["lesions"]) if l[0] <= cx <= l[2] and l[1] <= cy <= l[3]]
                  if not on: fps += 1; continue
                  new = [k for k in on if not found[k]]
                  if new: found[new[0]] = True; hits += 1
          points.append([fps / images, hits / lesions])
      at = [max([p[1] for p in points if p[0] <= r] or [0]) for r in [0.125, 0.25, 0.5, 1, 2, 4, 8]]
      out["froc"] = {"points": points, "at": at}
      print(json.dumps(out))
      """;

  @Test
  void classificationAndDetectionFiguresAgreeWithScikitLearn() throws Exception {
    Random random = new Random(42);
    JsonObject classification = new JsonObject();
    // a good classifier, a poor one, and one whose scores are coarse (many ties)
    for (String name : List.of("good", "poor", "ties")) {
      int n = 120;
      double[] scores = new double[n];
      boolean[] truth = new boolean[n];
      JsonArray s = new JsonArray();
      JsonArray t = new JsonArray();
      for (int i = 0; i < n; i++) {
        truth[i] = random.nextDouble() < 0.4;
        double signal = name.equals("poor") ? 0.3 : 1.5;
        scores[i] = 1 / (1 + Math.exp(-(random.nextGaussian() + (truth[i] ? signal : -signal))));
        if (name.equals("ties")) scores[i] = Math.round(scores[i] * 5) / 5.0;
        s.add(scores[i]);
        t.add(truth[i]);
      }
      classification.put(name, new JsonObject().put("scores", s).put("truth", t).put("threshold", 0.5));
    }
    JsonArray detection = new JsonArray();
    List<Metrics.DetectionCase> cases = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      List<double[]> lesions = new ArrayList<>();
      List<Metrics.ScoredBox> predictions = new ArrayList<>();
      JsonArray l = new JsonArray();
      JsonArray p = new JsonArray();
      for (int k = random.nextInt(3); k > 0; k--) {
        double x = random.nextInt(200);
        double y = random.nextInt(200);
        double[] lesion = {x, y, x + 20, y + 20};
        lesions.add(lesion);
        l.add(new JsonArray().add(lesion[0]).add(lesion[1]).add(lesion[2]).add(lesion[3]));
        if (random.nextDouble() < 0.8) { // found, with a score that tends to be high
          double[] box = {x + 2, y + 3, x + 18, y + 16};
          double score = Math.round((0.5 + random.nextDouble() / 2) * 100) / 100.0;
          predictions.add(new Metrics.ScoredBox(box, score));
          p.add(new JsonObject().put("box", new JsonArray().add(box[0]).add(box[1]).add(box[2]).add(box[3])).put("score", score));
        }
      }
      for (int k = random.nextInt(3); k > 0; k--) { // false positives, lower scores
        double x = 300 + random.nextInt(100);
        double[] box = {x, x, x + 10, x + 10};
        double score = Math.round(random.nextDouble() * 0.7 * 100) / 100.0;
        predictions.add(new Metrics.ScoredBox(box, score));
        p.add(new JsonObject().put("box", new JsonArray().add(box[0]).add(box[1]).add(box[2]).add(box[3])).put("score", score));
      }
      cases.add(new Metrics.DetectionCase(lesions, predictions));
      detection.add(new JsonObject().put("lesions", l).put("predictions", p));
    }
    Path input = tmp.resolve("cases.json");
    Files.writeString(input, new JsonObject().put("classification", classification).put("detection", detection).encode());
    Path script = tmp.resolve("metrics.py");
    Files.writeString(script, SCRIPT);
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), input.toString()).redirectErrorStream(true).start();
    String printed = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(python.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, python.exitValue(), printed);
    JsonObject sklearn = new JsonObject(printed.lines().reduce((a, b) -> b).orElseThrow());

    for (String name : classification.fieldNames()) {
      JsonObject c = classification.getJsonObject(name);
      double[] scores = c.getJsonArray("scores").stream().mapToDouble(o -> ((Number) o).doubleValue()).toArray();
      boolean[] truth = new boolean[scores.length];
      for (int i = 0; i < truth.length; i++) truth[i] = c.getJsonArray("truth").getBoolean(i);
      JsonObject expected = sklearn.getJsonObject(name);
      assertEquals(expected.getDouble("auc"), Metrics.auc(scores, truth), 1e-12, name + " AUC");
      assertEquals(expected.getDouble("sensitivity"), Metrics.sensitivity(scores, truth, 0.5), 1e-12, name);
      assertEquals(expected.getDouble("specificity"), Metrics.specificity(scores, truth, 0.5), 1e-12, name);
      List<double[]> roc = Metrics.roc(scores, truth);
      assertEquals(expected.getJsonArray("fpr").size(), roc.size(), name + " ROC points");
      for (int i = 0; i < roc.size(); i++) {
        assertEquals(expected.getJsonArray("fpr").getDouble(i), roc.get(i)[0], 1e-12);
        assertEquals(expected.getJsonArray("tpr").getDouble(i), roc.get(i)[1], 1e-12);
      }
      Metrics.Interval ci = Metrics.bootstrap(scores, truth, Metrics::auc, 4000, 7);
      assertTrue(ci.low() < ci.value() && ci.value() < ci.high(), name + ": " + ci);
      assertEquals(expected.getDouble("low"), ci.low(), 0.02, name + " lower bound");
      assertEquals(expected.getDouble("high"), ci.high(), 0.02, name + " upper bound");
    }

    Metrics.Froc froc = Metrics.froc(cases);
    JsonArray points = sklearn.getJsonObject("froc").getJsonArray("points");
    assertEquals(points.size(), froc.points().size());
    for (int i = 0; i < points.size(); i++) {
      assertEquals(points.getJsonArray(i).getDouble(0), froc.points().get(i)[0], 1e-12, "FP/image at point " + i);
      assertEquals(points.getJsonArray(i).getDouble(1), froc.points().get(i)[1], 1e-12, "sensitivity at point " + i);
    }
    for (int r = 0; r < Metrics.FP_RATES.length; r++) {
      assertEquals(sklearn.getJsonObject("froc").getJsonArray("at").getDouble(r), froc.atRates()[r], 1e-12);
    }
  }

  @Test
  void undefinedFiguresAreNotANumber() {
    double[] scores = {0.1, 0.9};
    boolean[] none = {false, false};
    assertTrue(Double.isNaN(Metrics.auc(scores, none)));
    assertTrue(Double.isNaN(Metrics.sensitivity(scores, none, 0.5)));
    assertEquals(0.5, Metrics.specificity(scores, none, 0.5));
  }
}
