package imago.links.fhir;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;

/**
 * One Observation per classification label or segment, the FHIR face of a TID 1500 measurement:
 * coded like the SR, valued as a probability (UCUM "1") or a pixel count (UCUM "{pixels}"), made
 * by the model's Device, derived from the ImagingStudy. R4's Observation.derivedFrom cannot point
 * at a bare URL, so the SR or SEG it came from is named in a note by its WADO-RS URL.
 */
final class AiObservations {
  private AiObservations() {}

  static Observation finding(String id, AiResult.Finding f, StudyRefs refs, String deviceId, List<String> evidence) {
    Observation o = base(id, f.code(), f.label(), refs, deviceId);
    if (!Double.isNaN(f.probability())) {
      o.setValue(new Quantity().setValue(BigDecimal.valueOf(f.probability())).setUnit("1").setSystem(FhirSystems.UCUM)
          .setCode("1"));
    }
    if (f.threshold() != null) {
      o.addInterpretation(f.isPresent() ? interpretation("POS", "Positive") : interpretation("NEG", "Negative"));
      o.addNote(new Annotation().setText("Decision threshold " + number(f.threshold())));
    }
    if (f.sopInstanceUid() != null) {
      o.addNote(new Annotation().setText("Highest probability in SOP Instance " + f.sopInstanceUid()
          + (f.frame() == null ? "" : ", frame " + f.frame())));
    }
    evidence.forEach(url -> o.addNote(new Annotation().setText(url)));
    return o;
  }

  static Observation segment(String id, AiResult.Segment s, StudyRefs refs, String deviceId, List<String> evidence) {
    Observation o = base(id, s.code(), s.label(), refs, deviceId);
    o.setValue(new Quantity().setValue(BigDecimal.valueOf(s.pixels())).setUnit("{pixels}").setSystem(FhirSystems.UCUM)
        .setCode("{pixels}"));
    o.addNote(new Annotation().setText("Segment Number " + s.number()));
    evidence.forEach(url -> o.addNote(new Annotation().setText(url)));
    return o;
  }

  private static Observation base(String id, AiResult.Code code, String label, StudyRefs refs, String deviceId) {
    Observation o = new Observation();
    o.setId(id);
    o.setStatus(Observation.ObservationStatus.FINAL);
    o.addCategory(new CodeableConcept(new Coding(FhirSystems.OBSERVATION_CATEGORY, "imaging", "Imaging")));
    o.setCode(code(code, label));
    o.setSubject(refs.patient());
    if (refs.started() != null) o.setEffective(refs.startedCopy());
    o.setDevice(LocalIds.reference(deviceId));
    o.addDerivedFrom(refs.imagingStudy());
    return o;
  }

  /** The label's code in the system its scheme maps to; a label the worker left uncoded becomes a 99IMAGO one. */
  static CodeableConcept code(AiResult.Code c, String label) {
    CodeableConcept cc = new CodeableConcept().setText(label != null ? label : c == null ? null : c.meaning());
    if (c == null || c.value() == null) {
      if (label != null) cc.addCoding(new Coding(FhirSystems.IMAGO_LABEL, label, label));
      return cc;
    }
    String system = FhirSystems.forScheme(c.scheme());
    if (system != null) cc.addCoding(new Coding(system, c.value(), c.meaning()));
    return cc;
  }

  private static CodeableConcept interpretation(String code, String display) {
    return new CodeableConcept(new Coding(FhirSystems.OBSERVATION_INTERPRETATION, code, display));
  }

  static String number(double d) {
    return String.format(Locale.ROOT, "%.2f", d);
  }
}
