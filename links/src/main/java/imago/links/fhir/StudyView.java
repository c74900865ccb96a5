package imago.links.fhir;

import java.util.List;

/**
 * What a link shows of one study, as the index knows it: the DICOM attributes the FHIR
 * ImagingStudy and Patient are made from. Dates and times are DICOM DA ({@code YYYYMMDD}) and
 * TM ({@code HHMMSS.FFFFFF}) strings; the patient name is a DICOM PN ({@code Family^Given^...}).
 */
public record StudyView(String tenantId, String patientId, String patientName, String studyUid, String accessionNumber,
    String studyDate, String studyTime, String description, List<SeriesView> series) {
  public StudyView {
    series = series == null ? List.of() : List.copyOf(series);
  }
}
