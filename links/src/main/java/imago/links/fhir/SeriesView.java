package imago.links.fhir;

import java.util.List;

/** One series of a {@link StudyView}; {@code bodyPart} is DICOM Body Part Examined (0018,0015). */
public record SeriesView(String seriesUid, String modality, Integer number, String description, String bodyPart,
    List<InstanceView> instances) {
  public SeriesView {
    instances = instances == null ? List.of() : List.copyOf(instances);
  }
}
