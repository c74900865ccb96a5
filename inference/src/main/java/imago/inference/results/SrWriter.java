package imago.inference.results;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.inference.manifest.Manifest;
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
   * A detector's report: one measurement group per region (its finding, its box as an SCOORD
   * POLYLINE "Image Region" selected from its source image, and its probability), and one for
   * each finding no region shows (its best score, and Absent).
   */
  public byte[] writeDetections(Algorithm alg, List<AttributeList> sources, List<Finding> findings, List<Region> regions,
      ResultIds ids, ResultIds replaces) {
    List<Finding> unshown = findings.stream().filter(f -> regions.stream().noneMatch(r -> r.label().equals(f.label())))
        .toList();
    return write(alg, sources, unshown, regions, ids, replaces);
  }

  private byte[] write(Algorithm alg, List<AttributeList> sources, List<Finding> findings, List<Region> regions,
      ResultIds ids, ResultIds replaces) {
    if (findings == null || regions == null || findings.isEmpty() && regions.isEmpty()) {
      throw new IllegalArgumentException("no findings");
    }
    return document(alg, sources, null, ids, replaces, (measurements, refs) -> {
      int group = 0;
      for (Region r : regions) regionGroup(measurements, alg, r, ++group, refs, ids);
      for (Finding f : findings) measurementGroup(measurements, alg, f, ++group, refs, sources, ids);
    });
  }

  /**
   * A segmenter's report beside its SEG ({@code seg}: the SEG's series and SOP Instance UIDs): one
   * TID 1411 volumetric ROI group per segment, referencing the segment in the SEG and the source
   * series, with the segment's volume and largest cross-section where the sources' geometry
   * gives them (each with the algorithm that measured it).
   */
  public byte[] writeSegmentation(Algorithm alg, List<AttributeList> sources, List<Manifest.Segment> labelMap,
      List<SegmentMeasurements> measured, ResultIds seg, ResultIds ids, ResultIds replaces) {
    if (labelMap.isEmpty() || labelMap.size() != measured.size()) throw new IllegalArgumentException("one measurement per segment");
    SourceRef segRef = new SourceRef(seg.seriesInstanceUid(), SegWriter.SEGMENTATION_STORAGE, seg.sopInstanceUid());
    return document(alg, sources, segRef, ids, replaces, (measurements, refs) -> {
      for (int k = 1; k <= labelMap.size(); k++) {
        volumeGroup(measurements, alg, labelMap.get(k - 1), measured.get(k - 1), segRef, refs, ids);
      }
    });
  }

  /** Fills the measurement groups of a report. */
  private interface Groups {
    void fill(AttributeList imagingMeasurements, List<SourceRef> refs);
  }

  /** TID 1500: the document around its measurement groups; {@code alsoReferenced} joins the evidence (a SEG). */
  private static byte[] document(Algorithm alg, List<AttributeList> sources, SourceRef alsoReferenced, ResultIds ids,
      ResultIds replaces, Groups groups) {
    List<SourceRef> refs = CommonModules.checkSources(sources);
    AttributeList l = CommonModules.start(COMPREHENSIVE_3D_SR_STORAGE, "SR", alg, sources.get(0), ids);
    // SR Document Series (PS3.3 C.17.1): type 2
    Datasets.sequence(l, TagFromName.ReferencedPerformedProcedureStepSequence);
    List<SourceRef> evidence = new java.util.ArrayList<>(refs);
    if (alsoReferenced != null) evidence.add(alsoReferenced);
    documentGeneral(l, evidence, ids);
    if (replaces != null) predecessor(l, replaces);
    SrContent.root(l, Codes.IMAGING_MEASUREMENT_REPORT, "1500");
    reportContext(l, alg, sources.get(0));
    imageLibrary(l, refs);
    groups.fill(SrContent.add(l, SrContent.CONTAINS, SrContent.container(Codes.IMAGING_MEASUREMENTS)), refs);
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

  /**
   * The imaging procedure the report is about (AIR: the procedure, not the algorithm): the
   * source's own Procedure Code when it has one, else the CID 100 procedure its modality names
   * (CT, MR, NM, PET), else CID 100's generic "Imaging procedure".
   */
  private static Code procedure(AttributeList first) {
    if (first.get(TagFromName.ProcedureCodeSequence) instanceof SequenceAttribute s && s.getNumberOfItems() > 0) {
      AttributeList item = s.getItem(0).getAttributeList();
      String value = Datasets.text(item, TagFromName.CodeValue);
      if (value.isEmpty()) value = Datasets.text(item, Datasets.LONG_CODE_VALUE);
      String scheme = Datasets.text(item, TagFromName.CodingSchemeDesignator);
      String meaning = Datasets.text(item, TagFromName.CodeMeaning);
      if (!value.isEmpty() && !scheme.isEmpty() && !meaning.isEmpty()) return new Code(scheme, value, meaning);
    }
    return Codes.procedureOf(Datasets.text(first, TagFromName.Modality));
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
   * One detected region: tracking identifier ("lesion 2") and UID, the finding, the box as an
   * Image Region SCOORD POLYLINE selected from its source image (the frame of a multi-frame one),
   * and the probability (TID 300, with the algorithm that gave it). The box is written twice, at
   * group level (TID 1410: what OHIF 3.13.2's SR viewport draws) and as the region the probability
   * is inferred from (what OHIF's loader turns into a RectangleROI it lists as a measurement).
   */
  private static void regionGroup(AttributeList parent, Algorithm alg, Region r, int index, List<SourceRef> refs,
      ResultIds ids) {
    AttributeList group = SrContent.add(parent, SrContent.CONTAINS, SrContent.container(Codes.MEASUREMENT_GROUP));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.TRACKING_IDENTIFIER, r.label() + " " + index));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT,
        SrContent.uidRef(Codes.TRACKING_UID, CommonModules.derivedUid(ids, "tracking:" + index)));
    SrContent.add(group, SrContent.CONTAINS, SrContent.code(Codes.FINDING, r.code()));
    AttributeList region = SrContent.add(group, SrContent.CONTAINS, SrContent.scoord(Codes.IMAGE_REGION, "POLYLINE", r.polyline()));
    SrContent.add(region, SrContent.SELECTED_FROM, SrContent.image(null, refs.get(r.source()), r.referencedFrame()));
    AttributeList num = SrContent.add(group, SrContent.CONTAINS,
        SrContent.num(Codes.CERTAINTY_OF_FINDING, r.probability(), Codes.NO_UNITS));
    algorithm(num, alg);
    AttributeList inferred = SrContent.add(num, SrContent.INFERRED_FROM, SrContent.scoord(Codes.IMAGE_REGION, "POLYLINE", r.polyline()));
    SrContent.add(inferred, SrContent.SELECTED_FROM, SrContent.image(null, refs.get(r.source()), r.referencedFrame()));
  }

  /**
   * TID 1411 for one segment: tracking identifier and UID, the finding, the segment in the SEG
   * (Referenced Segment), the source series, the finding site when the manifest names one, then
   * its volume (mm³) and largest cross-section (mm², derivation Maximum) when the sources'
   * geometry gives them.
   */
  private static void volumeGroup(AttributeList parent, Algorithm alg, Manifest.Segment segment, SegmentMeasurements m,
      SourceRef seg, List<SourceRef> refs, ResultIds ids) {
    AttributeList group = SrContent.add(parent, SrContent.CONTAINS, SrContent.container(Codes.MEASUREMENT_GROUP));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.TRACKING_IDENTIFIER, segment.name()));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT,
        SrContent.uidRef(Codes.TRACKING_UID, CommonModules.derivedUid(ids, "segment:" + m.segmentNumber())));
    Code finding = segment.code() != null ? segment.code() : new Code("99IMAGO", "S" + m.segmentNumber(), segment.name());
    SrContent.add(group, SrContent.CONTAINS, SrContent.code(Codes.FINDING, finding));
    SrContent.add(group, SrContent.CONTAINS, SrContent.segment(Codes.REFERENCED_SEGMENT, seg, m.segmentNumber()));
    SrContent.add(group, SrContent.CONTAINS,
        SrContent.uidRef(Codes.SOURCE_SERIES_FOR_SEGMENTATION, refs.get(0).seriesInstanceUid()));
    if (segment.findingSite() != null) {
      SrContent.add(group, SrContent.HAS_CONCEPT_MOD, SrContent.code(Codes.FINDING_SITE, segment.findingSite()));
    }
    if (m.volumeMm3() != null) {
      algorithm(SrContent.add(group, SrContent.CONTAINS, SrContent.num(Codes.VOLUME, m.volumeMm3(), Codes.CUBIC_MM)), alg);
    }
    if (m.largestAreaMm2() != null) {
      AttributeList area = SrContent.add(group, SrContent.CONTAINS, SrContent.num(Codes.AREA, m.largestAreaMm2(), Codes.SQUARE_MM));
      SrContent.add(area, SrContent.HAS_CONCEPT_MOD, SrContent.code(Codes.DERIVATION, Codes.MAXIMUM));
      algorithm(area, alg);
    }
  }

  /** TID 4019 Algorithm Identification under a measurement: name, version and (when told) parameters. */
  private static void algorithm(AttributeList num, Algorithm alg) {
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_NAME, alg.modelName()));
    SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_VERSION, alg.modelVersion()));
    if (alg.parameters() != null) {
      SrContent.add(num, SrContent.HAS_CONCEPT_MOD, SrContent.text(Codes.ALGORITHM_PARAMETERS, alg.parameters()));
    }
  }

  /**
   * TID 1501 for one finding: tracking identifier and UID (derived from the result's UID and
   * the finding's position, so stable across re-writes), the finding, the probability (TID 300
   * with TID 4019 naming the algorithm), the qualitative evaluation when there is a threshold
   * and the source images (row 10b). When the image that gave the probability is known, a
   * Comment (DCM 121106) says the finding in words and the probability is inferred from that
   * image (a POINT near its top left corner): OHIF 3.13.2 shows nothing for a group without a
   * region, and with one draws the point labelled with the comment and the probability.
   */
  private static void measurementGroup(AttributeList parent, Algorithm alg, Finding f, int index, List<SourceRef> refs,
                                       List<AttributeList> sources, ResultIds ids) {
    AttributeList group = SrContent.add(parent, SrContent.CONTAINS, SrContent.container(Codes.MEASUREMENT_GROUP));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT, SrContent.text(Codes.TRACKING_IDENTIFIER, f.label()));
    SrContent.add(group, SrContent.HAS_OBS_CONTEXT,
        SrContent.uidRef(Codes.TRACKING_UID, CommonModules.derivedUid(ids, "tracking:" + index)));
    SrContent.add(group, SrContent.CONTAINS, SrContent.code(Codes.FINDING, f.code()));
    if (f.source() != null) SrContent.add(group, SrContent.CONTAINS, SrContent.text(Codes.COMMENT, comment(f)));
    AttributeList num = SrContent.add(group, SrContent.CONTAINS,
        SrContent.num(Codes.CERTAINTY_OF_FINDING, f.probability(), Codes.NO_UNITS));
    algorithm(num, alg);
    if (f.source() != null) {
      // the probability is inferred from the image that gave it, marked by a point near its top
      // left corner: viewers draw the point with the group's comment beside it, inside the image
      // (a whole-image outline puts the label past the image's right edge, off a viewport's side)
      AttributeList image = sources.get(f.source());
      float columns = Attribute.getSingleIntegerValueOrDefault(image, TagFromName.Columns, 0);
      float rows = Attribute.getSingleIntegerValueOrDefault(image, TagFromName.Rows, 0);
      if (columns > 0 && rows > 0) {
        AttributeList region = SrContent.add(num, SrContent.INFERRED_FROM,
            SrContent.scoord(Codes.IMAGE_REGION, "POINT", new float[] {columns / 16, rows / 16}));
        SrContent.add(region, SrContent.SELECTED_FROM, SrContent.image(null, refs.get(f.source()), f.referencedFrame()));
      }
    }
    if (f.hasThreshold()) {
      SrContent.add(group, SrContent.CONTAINS, SrContent.code(f.code(), f.present() ? Codes.PRESENT : Codes.ABSENT));
    }
    for (SourceRef r : refs) SrContent.add(group, SrContent.CONTAINS, SrContent.image(Codes.SOURCE_OF_MEASUREMENT, r));
  }

  /** The finding in words, as a viewer shows it beside the image: "lesion: present, probability 0.97 (threshold 0.5)". */
  static String comment(Finding f) {
    String p = String.format(java.util.Locale.ROOT, "%.2f", f.probability());
    if (!f.hasThreshold()) return f.label() + ": probability " + p;
    return f.label() + ": " + (f.present() ? "present" : "absent") + ", probability " + p + " (threshold "
        + String.format(java.util.Locale.ROOT, "%.2f", f.threshold()) + ")";
  }
}
