package imago.links.fhir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;

/**
 * The AI side of a link: every finished job's results become Observations made by a Device,
 * gathered under one DiagnosticReport on the ImagingStudy. Jobs are added in the order given, so
 * the same results always give the same resources in the same order.
 */
final class AiReport {
  /**
   * LOINC 18748-4 "Diagnostic imaging study", the generic imaging-report code. Not 68604-8, the
   * radiology report code FSE 2.0 gives the radiologist's signed report: this one is machine-made
   * and must not be mistaken for it.
   */
  private static final Coding IMAGING_REPORT = new Coding(FhirSystems.LOINC, "18748-4", "Diagnostic imaging study");
  private static final Coding RADIOLOGY = new Coding(FhirSystems.DIAGNOSTIC_SERVICE_SECTION, "RAD", "Radiology");

  private final StudyRefs refs;
  private final Map<String, Device> devices = new LinkedHashMap<>();
  private final Map<String, Observation> observations = new LinkedHashMap<>();
  private final Map<String, Attachment> objects = new LinkedHashMap<>();
  private final List<String> summary = new ArrayList<>();

  AiReport(StudyRefs refs) {
    this.refs = refs;
  }

  void add(AiResult r) {
    String deviceId = ModelDevice.id(r.model());
    devices.computeIfAbsent(deviceId, id -> ModelDevice.of(id, r.model()));
    List<String> evidence = new ArrayList<>();
    for (AiResult.ResultObject o : r.objects()) {
      String url = refs.absolute(o.retrieveUrl());
      if (url == null) continue;
      evidence.add("DICOM " + o.modality() + " " + url);
      objects.computeIfAbsent(url, u -> attachment(o, u, r.model()));
    }
    for (int i = 0; i < r.findings().size(); i++) {
      String id = LocalIds.of("Observation", refs.tenantId(), refs.studyUid(), r.job(), deviceId, "finding", i);
      observations.put(id, AiObservations.finding(id, r.findings().get(i), refs, deviceId, evidence));
    }
    for (AiResult.Segment s : r.segments()) {
      String id = LocalIds.of("Observation", refs.tenantId(), refs.studyUid(), r.job(), deviceId, "segment", s.number());
      observations.put(id, AiObservations.segment(id, s, refs, deviceId, evidence));
    }
    summary.add(summary(r));
  }

  Map<String, Observation> observations() {
    return observations;
  }

  Map<String, Device> devices() {
    return devices;
  }

  /**
   * Status per FHIR R4 DiagnosticReport: preliminary while any job of the study is still running
   * (results will be added), registered when none has finished yet, final otherwise.
   */
  DiagnosticReport report(String id, int pendingJobs) {
    DiagnosticReport d = new DiagnosticReport();
    d.setId(id);
    d.setStatus(pendingJobs <= 0 ? DiagnosticReport.DiagnosticReportStatus.FINAL
        : observations.isEmpty() && objects.isEmpty() ? DiagnosticReport.DiagnosticReportStatus.REGISTERED
        : DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
    d.addCategory(new CodeableConcept(RADIOLOGY.copy()));
    d.setCode(new CodeableConcept(IMAGING_REPORT.copy()).setText("AI analysis"));
    d.setSubject(refs.patient());
    if (refs.started() != null) d.setEffective(refs.startedCopy());
    d.addImagingStudy(refs.imagingStudy());
    observations.keySet().forEach(o -> d.addResult(LocalIds.reference(o)));
    d.setConclusion(conclusion(pendingJobs));
    objects.values().forEach(d::addPresentedForm);
    return d;
  }

  /**
   * The SR or SEG itself as a presented form: R4's DiagnosticReport has no derivedFrom, and media
   * would need a Media resource per object that says nothing the URL does not. Imago's WADO-RS
   * answers an instance URL with a single application/dicom body when asked (WadoRs, PS3.18 §10.4).
   */
  private static Attachment attachment(AiResult.ResultObject o, String url, AiResult.Model m) {
    return new Attachment().setContentType("application/dicom").setUrl(url)
        .setTitle("DICOM " + o.modality() + " by " + m.title());
  }

  private String conclusion(int pendingJobs) {
    StringBuilder text = new StringBuilder("Automated AI analysis, not a medical report.");
    for (String s : summary) text.append(' ').append(s);
    if (pendingJobs > 0) {
      text.append(' ').append(pendingJobs).append(pendingJobs == 1 ? " analysis is" : " analyses are")
          .append(" still running.");
    }
    return text.toString();
  }

  /** What a reader needs first: the labels above their threshold, the segments that were found. */
  private static String summary(AiResult r) {
    List<String> found = new ArrayList<>();
    for (AiResult.Finding f : r.findings()) {
      if (f.threshold() != null && f.isPresent()) {
        found.add(f.label() + " present (probability " + AiObservations.number(f.probability()) + ", threshold "
            + AiObservations.number(f.threshold()) + ")");
      }
    }
    for (AiResult.Segment s : r.segments()) {
      if (s.pixels() > 0) found.add(s.label() + " segmented (" + s.pixels() + " pixels)");
    }
    String none = !r.segments().isEmpty() ? "nothing segmented" : "no label above its threshold";
    return r.model().title() + ": " + (found.isEmpty() ? none : String.join("; ", found)) + ".";
  }
}
