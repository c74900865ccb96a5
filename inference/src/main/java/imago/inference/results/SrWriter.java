package imago.inference.results;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.inference.manifest.Manifest.Code;
import imago.inference.results.CommonModules.SourceRef;
import java.util.List;
import java.util.Map;

/**
 * Classification findings as a Comprehensive 3D SR (PS3.3 A.35.13) holding a TID 1500
 * Measurement Report, the IHE AI Results encoding for findings: a device observer naming the
 * model, the source images in the Image Library (TID 1600) and one Measurement Group (TID 1501)
 * per finding with the probability as a measurement (TID 300), the present/absent evaluation
 * against the threshold and the images it was inferred from.
 */
public final class SrWriter {
  public static final String COMPREHENSIVE_3D_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.34";

  /** Writes the SR as a PS3.10 file; the same arguments always give the same bytes. */
  public byte[] write(Algorithm alg, List<AttributeList> sources, List<Finding> findings, ResultIds ids) {
    return write(alg, sources, findings, ids, null);
  }

  /**
   * A report that amends an earlier one of the same series and model (the series changed after
   * it was written): {@code replaces} is that report's (series, SOP Instance UID), listed in the
   * Predecessor Documents Sequence (PS3.3 C.17.2.1) so a reader shows the newer and knows what it supersedes.
   */
  public byte[] write(Algorithm alg, List<AttributeList> sources, List<Finding> findings, ResultIds ids,
      ResultIds replaces) {
    return write(alg, sources, findings, List.of(), ids, replaces);
  }

  /**
   * A detector's report: one TID 1410 planar ROI group per region (its finding, its box as an
   * SCOORD POLYLINE "Image Region" selected from its source image, and its probability), and a
   * TID 1501 group for each finding no region shows (its best score, and Absent).
   */
  public byte[] writeDetections(Algorithm alg, List<AttributeList> sources, List<Finding> findings, List<Region> regions,
      ResultIds ids, ResultIds replaces) {
    List<Finding> unshown = findings.stream().filter(f -> regions.stream().noneMatch(r -> r.label().equals(f.label())))
        .toList();
    if (unshown.isEmpty() && regions.isEmpty()) throw new IllegalArgumentException("no findings");
    return write(alg, sources, unshown, regions, ids, replaces);
  }

  private byte[] write(Algorithm alg, List<AttributeList> sources, List<Finding> findings, List<Region> regions,
      ResultIds ids, ResultIds replaces) {
    if (findings == null || regions == null || findings.isEmpty() && regions.isEmpty()) {
      throw new IllegalArgumentException("no findings");
    }
    List<SourceRef> refs = CommonModules.checkSources(sources);
    AttributeList l = CommonModules.start(COMPREHENSIVE_3D_SR_STORAGE, "SR", alg, sources.get(0), ids);
    // SR Document Series (PS3.3 C.17.1): type 2
    Datasets.sequence(l, TagFromName.ReferencedPerformedProcedureStepSequence);
    documentGeneral(l, refs, ids);
    if (replaces != null) predecessor(l, replaces);
    SrContent.root(l, Codes.IMAGING_MEASUREMENT_REPORT, "1500");
    reportContext(l, alg, sources.get(0));
    imageLibrary(l, refs);
    AttributeList measurements = SrContent.add(l, SrContent.CONTAINS, SrContent.container(Codes.IMAGING_MEASUREMENTS));
    int group = 0;
    for (Region r : regions) regionGroup(measurements, alg, r, ++group, refs, ids);
    for (Finding f : findings) measurementGroup(measurements, alg, f, ++group, refs, ids);
    return Part10.encode(l, null);
  }

  /** PS3.3 C.17.2 SR Document General: an unverified, complete machine report and its evidence. */
  private static void documentGeneral(AttributeList l, List<SourceRef> refs, ResultIds ids) {
    Datasets.put(l, TagFromName.CompletionFlag, "COMPLETE");
    Datasets.put(l, TagFromName.VerificationFlag, "UNVERIFIED");
    Datasets.put(l, TagFromName.ContentDate, Dataset.date(ids.contentTime()));
    Datasets.put(l, TagFromName.ContentTime, Dataset.time(ids.contentTime()));
    Datasets.sequence(l, TagFromName.PerformedProcedureCodeSequence);
    SequenceAttribute evidence = Datasets.sequence(l, TagFromName.CurrentRequestedProcedureEvidenceSequence);
    AttributeList study = Datasets.item(evidence);
    Datasets.copy(l, study, TagFromName.StudyInstanceUID);
    CommonModules.referencedSeries(study, refs, TagFromName.ReferencedSOPSequence);
  }

  /** Predecessor Documents Sequence: one Hierarchical SOP Instance Reference to the report this one replaces. */
  private static void predecessor(AttributeList l, ResultIds replaced) {
    AttributeList study = Datasets.item(Datasets.sequence(l, TagFromName.PredecessorDocumentsSequence));
    Datasets.copy(l, study, TagFromName.StudyInstanceUID);
    AttributeList series = Datasets.item(Datasets.sequence(study, TagFromName.ReferencedSeriesSequence));
    Datasets.put(series, TagFromName.SeriesInstanceUID, replaced.seriesInstanceUid());
    AttributeList sop = Datasets.item(Datasets.sequence(series, TagFromName.ReferencedSOPSequence));
    Datasets.put(sop, TagFromName.ReferencedSOPClassUID, COMPREHENSIVE_3D_SR_STORAGE);
    Datasets.put(sop, TagFromName.ReferencedSOPInstanceUID, replaced.sopInstanceUid());
  }

  /** TID 1500 rows 2-4: language (TID 1204), device observer (TID 1002/1004), procedure reported. */
  private static void reportContext(AttributeList root, Algorithm alg, AttributeList first) {
    SrContent.add(root, SrContent.HAS_CONCEPT_MOD, SrContent.code(Codes.LANGUAGE, Codes.ENGLISH_US));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT, SrContent.code(Codes.OBSERVER_TYPE, Codes.DEVICE));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT, SrContent.uidRef(Codes.DEVICE_OBSERVER_UID, alg.deviceUid()));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.DEVICE_OBSERVER_NAME, alg.modelName()));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT,
        SrContent.text(Codes.DEVICE_OBSERVER_MANUFACTURER, CommonModules.MANUFACTURER));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.DEVICE_OBSERVER_MODEL_NAME, alg.modelName()));
    SrContent.add(root, SrContent.HAS_OBS_CONTEXT,
        SrContent.text(Codes.DEVICE_OBSERVER_SERIAL_NUMBER, alg.artifactDigest()));
    SrContent.add(root, SrContent.HAS_CONCEPT_MOD, SrContent.code(Codes.PROCEDURE_REPORTED, procedure(first)));
  }

  /** The source's own procedure code when it has one, else CID 100's generic "Imaging procedure". */
  private static Code procedure(AttributeList first) {
    if (first.get(TagFromName.ProcedureCodeSequence) instanceof SequenceAttribute s && s.getNumberOfItems() > 0) {
      AttributeList item = s.getItem(0).getAttributeList();
      String value = Datasets.text(item, TagFromName.CodeValue);
      if (value.isEmpty()) value = Datasets.text(item, Datasets.LONG_CODE_VALUE);
      String scheme = Datasets.text(item, TagFromName.CodingSchemeDesignator);
      String meaning = Datasets.text(item, TagFromName.CodeMeaning);
      if (!value.isEmpty() && !scheme.isEmpty() && !meaning.isEmpty()) return new Code(scheme, value, meaning);
    }
    return Codes.IMAGING_PROCEDURE;
  }

  /** TID 1600: one Image Library Group per source series, one entry (TID 1601) per image. */
  private static void imageLibrary(AttributeList root, List<SourceRef> refs) {
    AttributeList library = SrContent.add(root, SrContent.CONTAINS, SrContent.container(Codes.IMAGE_LIBRARY));
    for (Map.Entry<String, List<SourceRef>> series : CommonModules.bySeries(refs).entrySet()) {
      AttributeList group = SrContent.add(library, SrContent.CONTAINS, SrContent.container(Codes.IMAGE_LIBRARY_GROUP));
      for (SourceRef r : series.getValue()) SrContent.add(group, SrContent.CONTAINS, SrContent.image(null, r));
    }
  }

  /**
   * TID 1410 for one detected region: tracking identifier ("lesion 2") and UID, the finding, the
   * box as an Image Region SCOORD selected from its source image (the frame of a multi-frame one),
   * and the probability with the algorithm that gave it.
   */
  private static void regionGroup(AttributeList parent, Algorithm alg, Region r, int index, List<SourceRef> refs,
      ResultIds ids) {
    AttributeList group = SrContent.add(parent, SrContent.CONTAINS, SrContent.container(Codes.MEASUREMENT_GROUP));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.TRACKING_IDENTIFIER, r.label() + " " + index));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT,
        SrContent.uidRef(Codes.TRACKING_UID, CommonModules.derivedUid(ids, "tracking:" + index)));
    SrContent.add(group, SrContent.CONTAINS, SrContent.code(Codes.FINDING, r.code()));
    AttributeList region = SrContent.add(group, SrContent.CONTAINS, SrContent.scoord(Codes.IMAGE_REGION, r.polyline()));
    SrContent.add(region, SrContent.SELECTED_FROM, SrContent.image(null, refs.get(r.source()), r.referencedFrame()));
    AttributeList num = SrContent.add(group, SrContent.CONTAINS,
        SrContent.num(Codes.CERTAINTY_OF_FINDING, r.probability(), Codes.NO_UNITS));
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_NAME, alg.modelName()));
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_VERSION, alg.modelVersion()));
  }

  /**
   * TID 1501 for one finding: tracking identifier and UID (derived from the result's UID and
   * the finding's position, so stable across re-writes), the finding, the probability (TID 300
   * with TID 4019 naming the algorithm), the qualitative evaluation when there is a threshold
   * and the source images (row 10b).
   */
  private static void measurementGroup(AttributeList parent, Algorithm alg, Finding f, int index, List<SourceRef> refs,
                                       ResultIds ids) {
    AttributeList group = SrContent.add(parent, SrContent.CONTAINS, SrContent.container(Codes.MEASUREMENT_GROUP));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.TRACKING_IDENTIFIER, f.label()));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT,
        SrContent.uidRef(Codes.TRACKING_UID, CommonModules.derivedUid(ids, "tracking:" + index)));
    SrContent.add(group, SrContent.CONTAINS, SrContent.code(Codes.FINDING, f.code()));
    AttributeList num = SrContent.add(group, SrContent.CONTAINS,
        SrContent.num(Codes.CERTAINTY_OF_FINDING, f.probability(), Codes.NO_UNITS));
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_NAME, alg.modelName()));
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_VERSION, alg.modelVersion()));
    if (f.hasThreshold()) {
      SrContent.add(group, SrContent.CONTAINS, SrContent.code(f.code(), f.present() ? Codes.PRESENT : Codes.ABSENT));
    }
    for (SourceRef r : refs) SrContent.add(group, SrContent.CONTAINS, SrContent.image(Codes.SOURCE_OF_MEASUREMENT, r));
  }
}
