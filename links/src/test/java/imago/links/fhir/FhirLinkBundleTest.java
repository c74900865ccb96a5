package imago.links.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.parser.IParser;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Endpoint;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/**
 * The link Bundle as a FHIR consumer sees it: serialised by {@link FhirLinkBundle#json}, parsed
 * back with HAPI's R4 JSON parser, and read through its references.
 */
class FhirLinkBundleTest {
  private static final String WADO = "https://imago.example/l/tok3n/dicomweb";
  private static final String VIEWER = "https://imago.example/l/tok3n/";
  private static final String STUDY = "1.2.840.99.1";
  private static final String CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
  private static final String SR_URL = "/dicomweb/studies/" + STUDY + "/series/2.25.9/instances/2.25.10";
  private static final String SEG_URL = "/dicomweb/studies/" + STUDY + "/series/2.25.19/instances/2.25.20";

  static StudyView study() {
    return new StudyView("demo", "PAT-7", "Rossi^Maria^Luisa", STUDY, "ACC-42", "20240305", "102233.5", "CT torace",
        List.of(
            new SeriesView(STUDY + ".1", "CT", 1, "Assiale", "CHEST", List.of(
                new InstanceView(STUDY + ".1.1", CT_IMAGE, 1), new InstanceView(STUDY + ".1.2", CT_IMAGE, 2))),
            new SeriesView(STUDY + ".2", "CT", 2, "Coronale", null, List.of(
                new InstanceView(STUDY + ".2.1", CT_IMAGE, 1)))));
  }

  static JsonObject classification() {
    return new JsonObject().put("job", 12).put("tenant", "demo").put("studyInstanceUID", STUDY)
        .put("seriesInstanceUID", STUDY + ".1").put("task", "classification")
        .put("model", model("lesion-cls", "1.0.0", "2.25.326200001", "0a".repeat(32)))
        .put("instances", 2).put("notDecodable", List.of())
        .put("findings", List.of(
            finding("no lesion", "17621005", "Normal", 0.97, null, false, STUDY + ".1.1"),
            finding("lesion", "52988006", "Lesion", 0.99, 0.5, true, STUDY + ".1.2")))
        .put("images", List.of(new JsonObject().put("sopInstanceUID", STUDY + ".1.1").put("frame", 1)
            .put("probabilities", List.of(0.97, 0.03))))
        .put("objects", List.of(object("SR", "2.25.9", "2.25.10", "1.2.840.10008.5.1.4.1.1.88.34", SR_URL)))
        .put("millis", 140);
  }

  static JsonObject segmentation() {
    return new JsonObject().put("job", 13).put("tenant", "demo").put("studyInstanceUID", STUDY)
        .put("seriesInstanceUID", STUDY + ".1").put("task", "segmentation")
        .put("model", model("lesion-seg", "2.1.0", "2.25.326200002", "1b".repeat(32)))
        .put("instances", 2).put("notDecodable", List.of())
        .put("segments", List.of(new JsonObject().put("segmentNumber", 1).put("label", "lesion")
            .put("code", new JsonObject().put("scheme", "SCT").put("value", "52988006").put("meaning", "Lesion"))
            .put("pixels", 123)))
        .put("objects", List.of(object("SEG", "2.25.19", "2.25.20", "1.2.840.10008.5.1.4.1.1.66.4", SEG_URL)))
        .put("millis", 210);
  }

  private static JsonObject model(String name, String version, String deviceUid, String sha256) {
    return new JsonObject().put("name", name).put("version", version).put("sha256", sha256).put("deviceUID", deviceUid)
        .put("engine", "PyTorch 2.7.1 cpu()");
  }

  private static JsonObject finding(String label, String code, String meaning, double p, Double threshold,
      boolean present, String sop) {
    return new JsonObject().put("label", label)
        .put("code", new JsonObject().put("scheme", "SCT").put("value", code).put("meaning", meaning))
        .put("probability", p).put("threshold", threshold).put("present", present).put("sopInstanceUID", sop)
        .put("frame", 1);
  }

  private static JsonObject object(String modality, String series, String sop, String sopClass, String url) {
    return new JsonObject().put("modality", modality).put("studyInstanceUID", STUDY).put("seriesInstanceUID", series)
        .put("sopInstanceUID", sop).put("sopClassUID", sopClass).put("retrieveURL", url);
  }

  /** The Bundle as a consumer gets it: our JSON, parsed back by HAPI. */
  static Parsed parse(List<JsonObject> results, int pending) {
    String json = FhirLinkBundle.json(study(), results, pending, WADO, VIEWER, "link-1");
    IParser parser = FhirLinkBundle.context().newJsonParser();
    return new Parsed(parser.parseResource(Bundle.class, json));
  }

  record Parsed(Bundle bundle) {
    <T extends Resource> List<T> all(Class<T> type) {
      return bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
          .map(type::cast).toList();
    }

    <T extends Resource> T one(Class<T> type) {
      List<T> all = all(type);
      assertEquals(1, all.size(), type.getSimpleName());
      return all.get(0);
    }

    Map<String, Resource> byFullUrl() {
      return bundle.getEntry().stream().collect(Collectors.toMap(Bundle.BundleEntryComponent::getFullUrl,
          Bundle.BundleEntryComponent::getResource));
    }

    <T extends Resource> T resolve(Reference r, Class<T> type) {
      Resource target = byFullUrl().get(r.getReference());
      assertNotNull(target, "unresolved " + r.getReference());
      return type.cast(target);
    }

    String fullUrlOf(Resource r) {
      return bundle.getEntry().stream().filter(e -> e.getResource() == r).findFirst().orElseThrow().getFullUrl();
    }
  }

  private static Parsed both() {
    return parse(List.of(classification(), segmentation()), 0);
  }

  @Test
  void imagingStudyNamesTheStudyByUidAndOffersWadoRsAndIidEndpoints() {
    Parsed p = both();
    assertEquals(Bundle.BundleType.COLLECTION, p.bundle().getType());
    ImagingStudy s = p.one(ImagingStudy.class);
    assertEquals("urn:dicom:uid", s.getIdentifierFirstRep().getSystem());
    assertEquals("urn:oid:" + STUDY, s.getIdentifierFirstRep().getValue());
    assertEquals("ACSN", s.getIdentifier().get(1).getType().getCodingFirstRep().getCode());
    assertEquals("ACC-42", s.getIdentifier().get(1).getValue());
    assertEquals(ImagingStudy.ImagingStudyStatus.AVAILABLE, s.getStatus());
    assertEquals(List.of("CT"), s.getModality().stream().map(Coding::getCode).toList());
    assertEquals(2, s.getNumberOfSeries());
    assertEquals(3, s.getNumberOfInstances());
    assertEquals(List.of(2, 1), s.getSeries().stream().map(x -> x.getInstance().size()).toList());
    assertEquals("urn:oid:" + CT_IMAGE, s.getSeriesFirstRep().getInstanceFirstRep().getSopClass().getCode());
    assertEquals("CHEST", s.getSeriesFirstRep().getBodySite().getDisplay());
    assertEquals("2024-03-05T10:22:33.500+01:00", s.getStartedElement().getValueAsString());

    Map<String, String> addresses = s.getEndpoint().stream().map(r -> p.resolve(r, Endpoint.class))
        .collect(Collectors.toMap(e -> e.getConnectionType().getCode(), Endpoint::getAddress));
    assertEquals(Map.of("dicom-wado-rs", WADO, "ihe-iid", VIEWER), addresses);
    for (Endpoint e : p.all(Endpoint.class)) {
      assertEquals("http://terminology.hl7.org/CodeSystem/endpoint-connection-type", e.getConnectionType().getSystem());
    }
  }

  @Test
  void patientCarriesTheTenantScopedIdAndTheDicomName() {
    Parsed p = both();
    Patient patient = p.resolve(p.one(ImagingStudy.class).getSubject(), Patient.class);
    assertEquals("urn:imago:tenant:demo:patient-id", patient.getIdentifierFirstRep().getSystem());
    assertEquals("PAT-7", patient.getIdentifierFirstRep().getValue());
    assertEquals("Rossi", patient.getNameFirstRep().getFamily());
    assertEquals("Maria Luisa", patient.getNameFirstRep().getGivenAsSingleString());
    assertFalse(p.fullUrlOf(patient).contains("PAT-7"), "patient id must not leak into the resource id");
  }

  @Test
  void diagnosticReportReferencesTheStudyAndEveryObservation() {
    Parsed p = both();
    DiagnosticReport r = p.one(DiagnosticReport.class);
    assertEquals(DiagnosticReport.DiagnosticReportStatus.FINAL, r.getStatus());
    assertEquals("RAD", r.getCategoryFirstRep().getCodingFirstRep().getCode());
    assertEquals("18748-4", r.getCode().getCodingFirstRep().getCode());
    assertEquals(p.fullUrlOf(p.one(ImagingStudy.class)), r.getImagingStudyFirstRep().getReference());
    Set<String> observations = p.all(Observation.class).stream().map(p::fullUrlOf).collect(Collectors.toSet());
    assertEquals(3, observations.size());
    assertEquals(observations, r.getResult().stream().map(Reference::getReference).collect(Collectors.toSet()));
    assertTrue(r.getConclusion().contains("lesion present (probability 0.99, threshold 0.50)"), r.getConclusion());
    assertTrue(r.getConclusion().contains("lesion segmented (123 pixels)"), r.getConclusion());
    assertEquals(2, p.all(Device.class).size());
  }

  @Test
  void lesionObservationCarriesProbabilityInterpretationAndModelDevice() {
    Parsed p = both();
    Observation lesion = p.all(Observation.class).stream()
        .filter(o -> o.getValueQuantity().getUnit().equals("1"))
        .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("52988006"))
        .findFirst().orElseThrow();
    assertEquals(Observation.ObservationStatus.FINAL, lesion.getStatus());
    assertEquals("http://snomed.info/sct", lesion.getCode().getCodingFirstRep().getSystem());
    assertEquals(0.99, lesion.getValueQuantity().getValue().doubleValue(), 1e-9);
    assertEquals("http://unitsofmeasure.org", lesion.getValueQuantity().getSystem());
    assertEquals("1", lesion.getValueQuantity().getCode());
    assertEquals("POS", lesion.getInterpretationFirstRep().getCodingFirstRep().getCode());
    assertEquals(p.fullUrlOf(p.one(ImagingStudy.class)), lesion.getDerivedFromFirstRep().getReference());

    Device d = p.resolve(lesion.getDevice(), Device.class);
    assertEquals("lesion-cls", d.getDeviceNameFirstRep().getName());
    assertEquals("1.0.0", d.getVersionFirstRep().getValue());
    Map<String, String> ids = d.getIdentifier().stream()
        .collect(Collectors.toMap(i -> i.getSystem(), i -> i.getValue()));
    assertEquals("urn:oid:2.25.326200001", ids.get("urn:ietf:rfc:3986"));
    assertEquals("0a".repeat(32), ids.get("urn:imago:model-sha256"));

    Observation normal = p.all(Observation.class).stream()
        .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("17621005")).findFirst().orElseThrow();
    assertTrue(normal.getInterpretation().isEmpty(), "no threshold, no interpretation");
  }

  @Test
  void segmentObservationCountsPixels() {
    Parsed p = both();
    Observation seg = p.all(Observation.class).stream().filter(o -> o.getValueQuantity().getUnit().equals("{pixels}"))
        .findFirst().orElseThrow();
    assertEquals(123, seg.getValueQuantity().getValue().intValue());
    assertEquals("{pixels}", seg.getValueQuantity().getCode());
    assertEquals("lesion-seg", p.resolve(seg.getDevice(), Device.class).getDeviceNameFirstRep().getName());
  }

  @Test
  void resultObjectsAreLinkedByAbsoluteWadoRsUrls() {
    Parsed p = both();
    List<String> forms = p.one(DiagnosticReport.class).getPresentedForm().stream().map(a -> a.getUrl()).toList();
    assertEquals(List.of(WADO + SR_URL.substring("/dicomweb".length()), WADO + SEG_URL.substring("/dicomweb".length())),
        forms);
    Observation lesion = p.all(Observation.class).get(1);
    assertTrue(lesion.getNote().stream().anyMatch(n -> n.getText().equals("DICOM SR " + forms.get(0))),
        "the Observation names its SR");
  }

  @Test
  void reportIsPreliminaryWhileJobsArePending() {
    assertEquals(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY,
        parse(List.of(classification()), 1).one(DiagnosticReport.class).getStatus());
  }

  @Test
  void reportIsRegisteredWhenNoJobHasFinished() {
    Parsed p = parse(List.of(), 2);
    DiagnosticReport r = p.one(DiagnosticReport.class);
    assertEquals(DiagnosticReport.DiagnosticReportStatus.REGISTERED, r.getStatus());
    assertTrue(r.getResult().isEmpty());
    assertTrue(r.getConclusion().contains("2 analyses are still running"), r.getConclusion());
  }

  @Test
  void noResultsAndNothingPendingMeansNoDiagnosticReport() {
    Parsed p = parse(List.of(), 0);
    assertTrue(p.all(DiagnosticReport.class).isEmpty());
    assertTrue(p.all(Observation.class).isEmpty());
    assertEquals(4, p.bundle().getEntry().size(), "Patient, ImagingStudy, two Endpoints");
  }

  @Test
  void identicalInputsGiveIdenticalJson() {
    String a = FhirLinkBundle.json(study(), List.of(classification(), segmentation()), 0, WADO, VIEWER, "link-1");
    String b = FhirLinkBundle.json(study(), List.of(classification(), segmentation()), 0, WADO, VIEWER, "link-1");
    assertEquals(a, b);
  }

  @Test
  void everyReferenceResolvesInsideTheBundle() {
    Parsed p = both();
    Map<String, Resource> entries = p.byFullUrl();
    var terser = FhirLinkBundle.context().newTerser();
    for (Resource r : entries.values()) {
      for (Reference ref : terser.getAllPopulatedChildElementsOfType(r, Reference.class)) {
        assertTrue(entries.containsKey(ref.getReference()), r.fhirType() + " -> " + ref.getReference());
      }
    }
    assertEquals(entries.size(), p.bundle().getEntry().size(), "fullUrls are unique");
    assertTrue(entries.keySet().stream().allMatch(u -> u.startsWith("urn:uuid:")));
  }

  @Test
  void studyStartIsHospitalWallClockWithItsOffset() {
    Function<String[], String> started = dt -> DicomDateTime.of(dt[0], dt[1]).getValueAsString();
    assertEquals("2024-07-05T10:22:00+02:00", started.apply(new String[] {"20240705", "1022"}));
    assertEquals("2024-01-05T08:00:00+01:00", started.apply(new String[] {"20240105", "08"}));
    assertEquals("2024-01-05", started.apply(new String[] {"20240105", null}));
    assertEquals(null, DicomDateTime.of("2024", "1022"));
  }
}
