package imago.inference.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.engine.Framework;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
  private final ManifestParser parser = new ManifestParser();

  /** A complete, valid classification manifest, as a researcher would write it. */
  static JsonObject valid() {
    return new JsonObject("""
        {"schemaVersion": 1, "name": "lesion-cls", "version": "1.2.0", "framework": "torchscript",
         "task": "classification", "description": "Flags lesion-like blobs", "intendedUse": "Research use only",
         "authors": ["A. Researcher"], "licence": "Apache-2.0", "contact": "mailto:a@example.org",
         "input": {"layout": "NCHW", "channels": 1, "height": 64, "width": 64, "dtype": "float32"},
         "preprocessing": {"rescale": true, "percentileClip": {"low": 0.5, "high": 99.5}, "resize": "bilinear",
                           "normalise": {"mean": [0.5], "std": [0.25]}, "stacking": "per-instance"},
         "output": {"activation": "softmax", "labels": [
            {"name": "no lesion", "code": {"scheme": "SCT", "value": "17621005", "meaning": "Normal"}},
            {"name": "lesion", "code": {"scheme": "SCT", "value": "52988006", "meaning": "Lesion"}, "threshold": 0.6}]},
         "applicability": {"modalities": ["CR", "DX"], "bodyParts": ["CHEST"], "minSlices": 1, "maxSlices": 1,
                           "tags": {"PhotometricInterpretation": "MONOCHROME2"}},
         "batching": {"maxBatchSize": 8, "maxQueueDelayMs": 20}}
        """);
  }

  private List<ManifestError> errors(Consumer<JsonObject> change) {
    JsonObject m = valid();
    change.accept(m);
    InvalidManifestException e = assertThrows(InvalidManifestException.class,
        () -> parser.parse(m.encode().getBytes(StandardCharsets.UTF_8)));
    return e.errors();
  }

  private static void assertError(List<ManifestError> errors, String path, String fragment) {
    assertTrue(errors.stream().anyMatch(e -> e.path().equals(path) && e.message().contains(fragment)),
        "expected an error at " + path + " containing '" + fragment + "', got " + errors);
  }

  @Test
  void readsEverySectionOfAValidManifest() throws Exception {
    Manifest m = parser.parse(valid().encode().getBytes(StandardCharsets.UTF_8));
    assertEquals(Framework.TORCHSCRIPT, m.framework());
    assertEquals(Manifest.Task.CLASSIFICATION, m.task());
    assertArrayEquals(new long[] {4, 1, 64, 64}, m.input().shape(4));
    assertArrayEquals(new long[] {4, 2}, m.outputShape(4));
    assertEquals(0.6, m.output().labels().get(1).threshold());
    assertEquals(0.5, m.output().labels().get(0).threshold());
    assertEquals("52988006", m.output().labels().get(1).code().value());
    assertEquals(Manifest.Stacking.PER_INSTANCE, m.preprocessing().stacking());
    assertEquals("MONOCHROME2", m.applicability().tags().get("PhotometricInterpretation"));
    assertEquals(8, m.batching().maxBatchSize());
  }

  @Test
  void missingFieldsAreNamed() {
    List<ManifestError> errors = errors(m -> {
      m.remove("name");
      m.getJsonObject("input").remove("dtype");
    });
    assertError(errors, "", "name");
    assertError(errors, "/input", "dtype");
  }

  @Test
  void wrongTypesAreReportedWithTheirPath() {
    assertError(errors(m -> m.getJsonObject("input").put("channels", "one")), "/input/channels", "integer");
    assertError(errors(m -> m.put("authors", "A. Researcher")), "/authors", "array");
  }

  @Test
  void unknownFrameworkIsRefused() {
    assertError(errors(m -> m.put("framework", "tensorflow")), "/framework", "");
  }

  @Test
  void versionMustBeSemantic() {
    assertError(errors(m -> m.put("version", "v2")), "/version", "");
  }

  @Test
  void crossFieldChecksSayExpectedAndGot() {
    assertError(errors(m -> m.getJsonObject("preprocessing").getJsonObject("normalise").put("mean", new JsonArray().add(0.4).add(0.5))),
        "/preprocessing/normalise/mean", "expected 1 or 1 values (one per input channel), got 2");
    assertError(errors(m -> m.getJsonObject("applicability").put("minSlices", 10).put("maxSlices", 2)),
        "/applicability/minSlices", "exceeds maxSlices");
    assertError(errors(m -> m.getJsonObject("preprocessing").put("percentileClip", new JsonObject().put("low", 90).put("high", 10))),
        "/preprocessing/percentileClip", "must be below");
    assertError(errors(m -> m.getJsonObject("output").getJsonArray("labels").getJsonObject(1).put("name", "no lesion")),
        "/output/labels/1/name", "duplicate");
  }

  @Test
  void segmentationNeedsALabelMap() {
    assertError(errors(m -> m.put("task", "segmentation")), "/output", "labelMap");
  }

  @Test
  void windowAndPercentileClipExcludeEachOther() {
    List<ManifestError> errors = errors(m -> m.getJsonObject("preprocessing")
        .put("window", new JsonObject().put("center", 40).put("width", 400)));
    assertTrue(errors.stream().anyMatch(e -> e.path().equals("/preprocessing")), errors.toString());
  }

  @Test
  void notJsonIsAClearError() {
    InvalidManifestException e = assertThrows(InvalidManifestException.class,
        () -> parser.parse("{\"name\": ".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().startsWith("/: not a JSON object"), e.getMessage());
  }
}
