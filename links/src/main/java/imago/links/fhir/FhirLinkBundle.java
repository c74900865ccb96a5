package imago.links.fhir;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Resource;

/**
 * The FHIR face of an FSE image link. Italy's FSE 2.0 radiology report names a study only by UIDs
 * (DiagnosticReport -> ImagingStudy without endpoint); a link answers with a self-contained R4
 * Bundle of type collection: Patient, the ImagingStudy with its WADO-RS and IID Endpoints (IHE
 * MADO style), and, when the study has AI results or running jobs, a DiagnosticReport with one
 * Observation per finding and one Device per model version. No DiagnosticReport when there is
 * neither: an empty report would claim an analysis that never happened.
 *
 * <p>Ids follow from UIDs and job ids and the Bundle carries no timestamp, so identical inputs
 * give identical JSON.
 */
public final class FhirLinkBundle {
  private FhirLinkBundle() {}

  /**
   * The one R4 context of the process. Building it scans the R4 model (a second or more and tens
   * of MB on first use); it is thread-safe and made once, on first use, by the holder idiom.
   */
  public static FhirContext context() {
    return Context.R4;
  }

  private static final class Context {
    static final FhirContext R4 = FhirContext.forR4();
  }

  /** {@link #bundle} as compact FHIR JSON ({@code application/fhir+json}). */
  public static String json(StudyView study, List<JsonObject> aiResults, int pendingJobs, String wadoRsBase,
      String viewerUrl, String bundleId) {
    Bundle bundle = bundle(study, aiResults, pendingJobs, wadoRsBase, viewerUrl, bundleId);
    return context().newJsonParser().encodeResourceToString(bundle);
  }

  /**
   * @param aiResults each a finished job's result JSON, in the order they should appear
   * @param pendingJobs how many of the study's jobs have not finished
   * @param wadoRsBase the link's DICOMweb base, ending in {@code /dicomweb}
   * @param viewerUrl the link's IHE IID viewer URL
   */
  public static Bundle bundle(StudyView study, List<JsonObject> aiResults, int pendingJobs, String wadoRsBase,
      String viewerUrl, String bundleId) {
    String tenant = study.tenantId();
    String patientId = LocalIds.of("Patient", tenant, study.patientId());
    String studyId = LocalIds.of("ImagingStudy", tenant, study.studyUid());
    String wadoId = LocalIds.of("Endpoint", tenant, study.studyUid(), "dicom-wado-rs", wadoRsBase);
    String iidId = LocalIds.of("Endpoint", tenant, study.studyUid(), "ihe-iid", viewerUrl);
    DateTimeType started = DicomDateTime.of(study.studyDate(), study.studyTime());

    Bundle b = new Bundle();
    b.setId(bundleId);
    b.setType(Bundle.BundleType.COLLECTION);
    add(b, StudyResources.patient(patientId, study));
    add(b, StudyResources.imagingStudy(studyId, study, LocalIds.reference(patientId), started,
        List.of(LocalIds.reference(wadoId), LocalIds.reference(iidId))));
    add(b, StudyResources.wadoRs(wadoId, wadoRsBase));
    add(b, StudyResources.iid(iidId, viewerUrl));

    List<JsonObject> results = aiResults == null ? List.of() : aiResults;
    if (results.isEmpty() && pendingJobs <= 0) return b;
    AiReport report = new AiReport(new StudyRefs(tenant, study.studyUid(), patientId, studyId, started, wadoRsBase));
    results.forEach(r -> report.add(AiResult.of(r)));
    add(b, report.report(LocalIds.of("DiagnosticReport", tenant, study.studyUid(), "ai"), pendingJobs));
    report.observations().values().forEach(o -> add(b, o));
    report.devices().values().forEach(d -> add(b, d));
    return b;
  }

  private static void add(Bundle b, Resource r) {
    b.addEntry().setFullUrl(LocalIds.fullUrl(r.getIdElement().getIdPart())).setResource(r);
  }
}
