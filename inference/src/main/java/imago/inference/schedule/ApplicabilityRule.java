package imago.inference.schedule;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import imago.inference.manifest.Manifest;
import java.util.Locale;
import java.util.Map;

/** A manifest's applicability (modality, body part, SOP class, slice counts, tags) against a series. */
public final class ApplicabilityRule {
  private static final DicomDictionary DICTIONARY = new DicomDictionary();

  private ApplicabilityRule() {}

  /** Null when the model applies to the series, else why not (for the log). */
  public static String mismatch(Manifest.Applicability a, SeriesFacts s) {
    if (s.isImagoResult()) return "an Imago result series";
    if (a.modalities() != null && !a.modalities().contains(s.modality())) return "modality " + s.modality();
    if (a.bodyParts() != null && !a.bodyParts().isEmpty()
        && (s.bodyPart() == null || !a.bodyParts().contains(s.bodyPart().toUpperCase(Locale.ROOT)))) {
      return "body part " + s.bodyPart();
    }
    if (a.sopClasses() != null && !a.sopClasses().isEmpty() && !a.sopClasses().containsAll(s.sopClasses())) {
      return "SOP classes " + s.sopClasses();
    }
    if (a.minSlices() != null && s.frames() < a.minSlices()) return s.frames() + " slices < " + a.minSlices();
    if (a.maxSlices() != null && s.frames() > a.maxSlices()) return s.frames() + " slices > " + a.maxSlices();
    if (a.tags() != null) {
      for (Map.Entry<String, String> t : a.tags().entrySet()) {
        String tag = hexTag(t.getKey());
        String got = tag == null ? null : s.value(tag);
        if (got == null || !got.trim().equals(t.getValue().trim())) return t.getKey() + " is " + got;
      }
    }
    return null;
  }

  /** An 8-hex-digit tag as given, or a keyword's tag from PixelMed's dictionary; null if unknown. */
  static String hexTag(String keyOrTag) {
    if (keyOrTag.matches("[0-9A-Fa-f]{8}")) return keyOrTag.toUpperCase(Locale.ROOT);
    AttributeTag tag = DICTIONARY.getTagFromName(keyOrTag);
    return tag == null ? null : String.format("%04X%04X", tag.getGroup(), tag.getElement());
  }
}
