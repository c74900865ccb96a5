package imago.storage.research;

/**
 * Ground truth in a project's view: a finding present or absent in a study ({@code sopUid} empty)
 * or in one image; for a detector, one lesion's box ({@code box} x0, y0, x1, y1 in the image's
 * pixels; null otherwise). UIDs are the project's own.
 *
 * @param source {@code csv} (uploaded) or {@code sr} (a radiologist's report in the cohort)
 */
public record Label(String studyUid, String sopUid, String finding, boolean present, double[] box, String source) {
  public boolean studyLevel() {
    return sopUid.isEmpty();
  }
}
