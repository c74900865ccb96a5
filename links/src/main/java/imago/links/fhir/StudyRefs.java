package imago.links.fhir;

import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Reference;

/** What every AI resource of a link points back to: the study's Patient and ImagingStudy, and where its objects live. */
record StudyRefs(String tenantId, String studyUid, String patientId, String imagingStudyId, DateTimeType started,
    String wadoRsBase) {
  private static final String DICOMWEB = "/dicomweb";

  Reference patient() {
    return LocalIds.reference(patientId);
  }

  Reference imagingStudy() {
    return LocalIds.reference(imagingStudyId);
  }

  DateTimeType startedCopy() {
    return started == null ? null : started.copy();
  }

  /**
   * A result object's retrieveURL (relative to Imago's root, {@code /dicomweb/studies/...}) under
   * this link's WADO-RS base, which ends in {@code /dicomweb} too: a link-scoped base keeps its
   * token and the consumer needs no other credential.
   */
  String absolute(String retrieveUrl) {
    if (retrieveUrl == null) return null;
    if (retrieveUrl.startsWith("http://") || retrieveUrl.startsWith("https://")) return retrieveUrl;
    String base = wadoRsBase.replaceAll("/+$", "");
    int at = retrieveUrl.indexOf(DICOMWEB + "/");
    String tail = at >= 0 ? retrieveUrl.substring(at + DICOMWEB.length()) : retrieveUrl;
    return base + (tail.startsWith("/") ? tail : "/" + tail);
  }
}
