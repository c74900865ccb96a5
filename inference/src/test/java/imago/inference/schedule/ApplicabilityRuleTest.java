package imago.inference.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.manifest.Manifest.Applicability;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApplicabilityRuleTest {
  static final String CT = "1.2.840.10008.5.1.4.1.1.2";

  static JsonObject attr(String vr, Object value) {
    return new JsonObject().put("vr", vr).put("Value", new JsonArray().add(value));
  }

  static SeriesFacts series(String modality, String bodyPart, int frames, String manufacturer) {
    JsonObject first = new JsonObject().put("00080060", attr("CS", modality)).put("00280004", attr("CS", "MONOCHROME2"))
        .put("00180050", attr("DS", 2.5));
    if (manufacturer != null) first.put("00080070", attr("LO", manufacturer));
    return new SeriesFacts("t", "1.2", "1.2.3", modality, bodyPart, Set.of(CT), frames, frames, first, "k");
  }

  @Test
  void everyRuleMustHold() {
    Applicability a = new Applicability(List.of("CT"), List.of("CHEST"), List.of(CT), 10, 300,
        Map.of("PhotometricInterpretation", "MONOCHROME2", "00180050", "2.5"));
    assertNull(ApplicabilityRule.mismatch(a, series("CT", "chest", 120, null)), "body part matches case-insensitively");
    assertEquals("modality MR", ApplicabilityRule.mismatch(a, series("MR", "CHEST", 120, null)));
    assertEquals("body part HEAD", ApplicabilityRule.mismatch(a, series("CT", "HEAD", 120, null)));
    assertEquals("5 slices < 10", ApplicabilityRule.mismatch(a, series("CT", "CHEST", 5, null)));
    assertEquals("400 slices > 300", ApplicabilityRule.mismatch(a, series("CT", "CHEST", 400, null)));
    Applicability tag = new Applicability(List.of("CT"), null, null, null, null, Map.of("PhotometricInterpretation", "MONOCHROME1"));
    assertEquals("PhotometricInterpretation is MONOCHROME2", ApplicabilityRule.mismatch(tag, series("CT", null, 1, null)));
  }

  @Test
  void imagosOwnResultsAreNeverInputs() {
    Applicability sr = new Applicability(List.of("SR"), null, null, null, null, null);
    assertTrue(ApplicabilityRule.mismatch(sr, series("SR", null, 1, "Imago")).contains("Imago result"));
    assertNull(ApplicabilityRule.mismatch(sr, series("SR", null, 1, "Other vendor")));
  }
}
