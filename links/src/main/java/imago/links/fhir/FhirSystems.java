package imago.links.fhir;

/** The code and identifier systems a link Bundle uses, and where each is defined. */
final class FhirSystems {
  /** FHIR R4 ImagingStudy.identifier: a DICOM UID is written {@code urn:oid:<uid>} in this system. */
  static final String DICOM_UID = "urn:dicom:uid";
  /** RFC 3986 URIs, the system FHIR R4 gives a SOP Class UID (ImagingStudy.series.instance.sopClass). */
  static final String URI = "urn:ietf:rfc:3986";
  /** DICOM Controlled Terminology (PS3.16 Annex D), also the modality codes of PS3.3 C.7.3.1.1.1. */
  static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
  static final String SNOMED = "http://snomed.info/sct";
  static final String LOINC = "http://loinc.org";
  static final String UCUM = "http://unitsofmeasure.org";
  static final String ENDPOINT_CONNECTION_TYPE = "http://terminology.hl7.org/CodeSystem/endpoint-connection-type";
  /** HL7 v2 table 0074, Diagnostic Service Section ID: the DiagnosticReport.category binding in R4. */
  static final String DIAGNOSTIC_SERVICE_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074";
  /** HL7 v2 table 0203, Identifier Type (ACSN: accession number). */
  static final String IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203";
  static final String OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  static final String OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
  /** Imago's private labels (coding scheme 99IMAGO: PS3.3 8.2, designators starting "99" are private). */
  static final String IMAGO_LABEL = "urn:imago:label";
  static final String MODEL_SHA256 = "urn:imago:model-sha256";

  private FhirSystems() {}

  /** Patient IDs are unique only within the tenant (hospital) that assigned them. */
  static String patientIds(String tenantId) {
    return "urn:imago:tenant:" + tenantId + ":patient-id";
  }

  static String accessionNumbers(String tenantId) {
    return "urn:imago:tenant:" + tenantId + ":accession-number";
  }

  static String oid(String uid) {
    return "urn:oid:" + uid;
  }

  /**
   * The FHIR system for a DICOM coding scheme designator (PS3.16 Table 8-1); null for a scheme
   * Imago does not know, whose code then travels as text only.
   */
  static String forScheme(String scheme) {
    if (scheme == null) return null;
    return switch (scheme) {
      case "SCT", "SRT" -> SNOMED;
      case "DCM" -> DCM;
      case "LN" -> LOINC;
      case "UCUM" -> UCUM;
      case "99IMAGO" -> IMAGO_LABEL;
      default -> null;
    };
  }
}
