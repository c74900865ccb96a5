package imago.links.fhir;

/** One instance of a {@link SeriesView}. */
public record InstanceView(String sopInstanceUid, String sopClassUid, Integer number) {}
