package imago.links.fhir;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Endpoint;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.ImagingStudy.ImagingStudySeriesComponent;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;

/**
 * The study side of a link: Patient, ImagingStudy and its two Endpoints, the way IHE MADO and
 * the FHIR R4 ImagingStudy page describe a study a consumer can open by UID.
 */
final class StudyResources {
  private StudyResources() {}

  /** ImagingStudy.subject is 1..1, so even a UID-only FSE link carries who the study is of. */
  static Patient patient(String id, StudyView s) {
    Patient p = new Patient();
    p.setId(id);
    if (present(s.patientId())) p.addIdentifier().setSystem(FhirSystems.patientIds(s.tenantId())).setValue(s.patientId());
    HumanName name = name(s.patientName());
    if (name != null) p.addName(name);
    return p;
  }

  /**
   * DICOM PN (PS3.5 6.2): up to three component groups split by '=' (alphabetic, ideographic,
   * phonetic), each {@code Family^Given^Middle^Prefix^Suffix}; the alphabetic group is used.
   */
  static HumanName name(String pn) {
    if (pn == null) return null;
    String[] c = pn.split("=", -1)[0].split("\\^", -1);
    HumanName name = new HumanName();
    if (present(part(c, 0))) name.setFamily(part(c, 0));
    for (int i : new int[] {1, 2}) {
      if (present(part(c, i))) name.addGiven(part(c, i));
    }
    if (present(part(c, 3))) name.addPrefix(part(c, 3));
    if (present(part(c, 4))) name.addSuffix(part(c, 4));
    return name.isEmpty() ? null : name;
  }

  /** IHE MADO / FHIR R4 ImagingStudy.endpoint: the DICOMweb base a consumer retrieves the study from. */
  static Endpoint wadoRs(String id, String address) {
    Endpoint e = endpoint(id, "dicom-wado-rs", "DICOM WADO-RS", "Imago DICOMweb (WADO-RS)", address);
    e.addPayloadType(new CodeableConcept().setText("DICOM"));
    e.addPayloadMimeType("application/dicom");
    return e;
  }

  /**
   * IHE IID (Invoke Image Display): the viewer a person opens. "ihe-iid" is the R4 code for it
   * (R4's own example Endpoint/example-iid); the HL7 Europe MADO guide carries the same code in
   * its R5 code system, which an R4 Bundle cannot use.
   */
  static Endpoint iid(String id, String address) {
    Endpoint e = endpoint(id, "ihe-iid", "IHE IID", "Imago viewer (IHE Invoke Image Display)", address);
    e.addPayloadType(new CodeableConcept().setText("DICOM IID"));
    e.addPayloadMimeType("text/html");
    return e;
  }

  private static Endpoint endpoint(String id, String code, String display, String name, String address) {
    Endpoint e = new Endpoint();
    e.setId(id);
    e.setStatus(Endpoint.EndpointStatus.ACTIVE);
    e.setConnectionType(new Coding(FhirSystems.ENDPOINT_CONNECTION_TYPE, code, display));
    e.setName(name);
    e.setAddress(address);
    return e;
  }

  static ImagingStudy imagingStudy(String id, StudyView s, Reference subject, DateTimeType started,
      List<Reference> endpoints) {
    ImagingStudy study = new ImagingStudy();
    study.setId(id);
    study.addIdentifier().setSystem(FhirSystems.DICOM_UID).setValue(FhirSystems.oid(s.studyUid()));
    if (present(s.accessionNumber())) {
      study.addIdentifier().setType(new CodeableConcept(new Coding(FhirSystems.IDENTIFIER_TYPE, "ACSN", "Accession ID")))
          .setSystem(FhirSystems.accessionNumbers(s.tenantId())).setValue(s.accessionNumber());
    }
    study.setStatus(ImagingStudy.ImagingStudyStatus.AVAILABLE);
    Set<String> modalities = new LinkedHashSet<>();
    for (SeriesView series : s.series()) modalities.add(modality(series));
    for (String m : modalities) study.addModality(new Coding(FhirSystems.DCM, m, null));
    study.setSubject(subject);
    if (started != null) study.setStartedElement(started);
    endpoints.forEach(study::addEndpoint);
    study.setNumberOfSeries(s.series().size());
    study.setNumberOfInstances(s.series().stream().mapToInt(x -> x.instances().size()).sum());
    if (present(s.description())) study.setDescription(s.description());
    for (SeriesView series : s.series()) study.addSeries(series(series));
    return study;
  }

  private static ImagingStudySeriesComponent series(SeriesView s) {
    ImagingStudySeriesComponent c = new ImagingStudySeriesComponent();
    c.setUid(s.seriesUid());
    if (s.number() != null) c.setNumber(s.number());
    c.setModality(new Coding(FhirSystems.DCM, modality(s), null));
    if (present(s.description())) c.setDescription(s.description());
    c.setNumberOfInstances(s.instances().size());
    // Body Part Examined is a DICOM defined term, not a code of any FHIR system: its text only.
    if (present(s.bodyPart())) c.setBodySite(new Coding().setDisplay(s.bodyPart()));
    for (InstanceView i : s.instances()) {
      var instance = c.addInstance().setUid(i.sopInstanceUid());
      instance.setSopClass(new Coding(FhirSystems.URI, FhirSystems.oid(i.sopClassUid()), null));
      if (i.number() != null) instance.setNumber(i.number());
    }
    return c;
  }

  /** series.modality is 1..1; a series without one is "OT" (Other, PS3.3 C.7.3.1.1.1). */
  private static String modality(SeriesView s) {
    return present(s.modality()) ? s.modality() : "OT";
  }

  private static String part(String[] c, int i) {
    return i < c.length ? c[i].trim() : null;
  }

  static boolean present(String s) {
    return s != null && !s.isBlank();
  }
}
