package imago.inference.results;

import static imago.inference.results.ResultFixtures.ALGORITHM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.validate.DicomSRValidator;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SrWriterTest {
  private static final Code LUNG = new Code("SCT", "39607008", "Lung structure");
  private static final Finding NODULE = new Finding("nodule", new Code("SCT", "27925004", "Nodule"), 0.8125, 0.5);
  private static final Finding EFFUSION =
      new Finding("effusion", new Code("SCT", "60046008", "Pleural effusion"), 0.03125, 0.5);
  /** Three sources in two series: the SR's evidence spans both. */
  private static final List<AttributeList> SOURCES =
      Stream.concat(ResultFixtures.slices(1, 1, 2).stream(), ResultFixtures.slices(2, 1).stream()).toList();
  private static final ResultIds IDS = ResultFixtures.ids(901);

  private static byte[] report() {
    return new SrWriter().write(ALGORITHM, SOURCES, List.of(NODULE, EFFUSION), IDS);
  }

  @Test
  void passesDciodvfyAndDsrdumpPrintsTheFindings(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("sr.dcm"), report());
    Dcmtk.Result iod = Dcmtk.dciodvfy(file);
    assertTrue(iod.output().contains("Comprehensive3DSR"), iod::toString);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod::toString);
    Dcmtk.Result dump = Dcmtk.dsrdump(file);
    assertTrue(dump.ok(), dump::toString);
    for (String expected : List.of("\"0.8125\"", "\"0.03125\"", "\"Nodule\"", "\"Pleural effusion\"", "\"Present\"",
        "\"Absent\"", "\"Imaging Measurement Report\"", "\"" + ALGORITHM.deviceUid() + "\"")) {
      assertTrue(dump.output().contains(expected), () -> expected + " missing in\n" + dump);
    }
  }

  @Test
  void namesTheModelInContributingEquipmentAndAsDeviceObserver() {
    AttributeList sr = ResultFixtures.read(report());
    ResultFixtures.assertNamesTheModel(sr);
    assertEquals(SrWriter.COMPREHENSIVE_3D_SR_STORAGE, ResultFixtures.text(sr, TagFromName.SOPClassUID));
    assertEquals("SR", ResultFixtures.text(sr, TagFromName.Modality));
    assertEquals("901", ResultFixtures.text(sr, TagFromName.SeriesNumber));
    assertEquals("COMPLETE", ResultFixtures.text(sr, TagFromName.CompletionFlag));
    assertEquals("UNVERIFIED", ResultFixtures.text(sr, TagFromName.VerificationFlag));
    for (var tag : List.of(TagFromName.PatientID, TagFromName.PatientName, TagFromName.StudyInstanceUID,
        TagFromName.AccessionNumber)) {
      assertEquals(ResultFixtures.text(SOURCES.get(0), tag), ResultFixtures.text(sr, tag));
    }
    List<String> observer = new ArrayList<>();
    for (AttributeList item : children(sr)) {
      if ("HAS OBS CONTEXT".equals(ResultFixtures.text(item, TagFromName.RelationshipType))) {
        observer.add(ResultFixtures.text(item, TagFromName.TextValue) + ResultFixtures.text(item, TagFromName.UID));
      }
    }
    assertTrue(observer.contains(ALGORITHM.deviceUid()), observer::toString);
    assertTrue(observer.contains(ALGORITHM.modelName()), observer::toString);
    assertTrue(observer.contains("sha256:" + ALGORITHM.artifactSha256()), observer::toString);
  }

  @Test
  void referencesEverySourceInEvidenceAndInEachMeasurementGroup() {
    AttributeList sr = ResultFixtures.read(report());
    Set<String> expected = new HashSet<>();
    SOURCES.forEach(s -> expected.add(ResultFixtures.text(s, TagFromName.SOPInstanceUID)));
    AttributeList study = ResultFixtures.onlyItem(sr, TagFromName.CurrentRequestedProcedureEvidenceSequence);
    Set<String> evidence = new HashSet<>();
    SequenceAttribute series = (SequenceAttribute) study.get(TagFromName.ReferencedSeriesSequence);
    assertEquals(2, series.getNumberOfItems(), "two source series");
    for (int i = 0; i < series.getNumberOfItems(); i++) {
      for (AttributeList sop : items(series.getItem(i).getAttributeList(), TagFromName.ReferencedSOPSequence)) {
        evidence.add(ResultFixtures.text(sop, TagFromName.ReferencedSOPInstanceUID));
      }
    }
    assertEquals(expected, evidence);
    AttributeList measurements = children(sr).stream()
        .filter(i -> "126010".equals(conceptValue(i))).findFirst().orElseThrow();
    List<AttributeList> groups = children(measurements);
    assertEquals(2, groups.size());
    for (AttributeList group : groups) {
      Set<String> images = new HashSet<>();
      for (AttributeList item : children(group)) {
        if ("IMAGE".equals(ResultFixtures.text(item, TagFromName.ValueType))) {
          images.add(ResultFixtures.text(ResultFixtures.onlyItem(item, TagFromName.ReferencedSOPSequence),
              TagFromName.ReferencedSOPInstanceUID));
        }
      }
      assertEquals(expected, images);
    }
  }

  /** An amended report (a late series changed the input) names the one it replaces, and still passes dciodvfy. */
  @Test
  void anAmendedReportListsThePredecessorItReplaces(@TempDir Path dir) throws Exception {
    ResultIds earlier = new ResultIds("2.25.1901", "2.25.777", 901, 1, IDS.contentTime());
    byte[] amended = new SrWriter().write(ALGORITHM, SOURCES, List.of(NODULE, EFFUSION), IDS, earlier);
    AttributeList sr = ResultFixtures.read(amended);
    AttributeList study = ResultFixtures.onlyItem(sr, TagFromName.PredecessorDocumentsSequence);
    assertEquals(ResultFixtures.text(sr, TagFromName.StudyInstanceUID), ResultFixtures.text(study, TagFromName.StudyInstanceUID));
    AttributeList series = ResultFixtures.onlyItem(study, TagFromName.ReferencedSeriesSequence);
    assertEquals("2.25.1901", ResultFixtures.text(series, TagFromName.SeriesInstanceUID));
    AttributeList sop = ResultFixtures.onlyItem(series, TagFromName.ReferencedSOPSequence);
    assertEquals("2.25.777", ResultFixtures.text(sop, TagFromName.ReferencedSOPInstanceUID));
    assertEquals(SrWriter.COMPREHENSIVE_3D_SR_STORAGE, ResultFixtures.text(sop, TagFromName.ReferencedSOPClassUID));
    assertEquals(null, ResultFixtures.read(report()).get(TagFromName.PredecessorDocumentsSequence), "a first report has none");
    Dcmtk.Result iod = Dcmtk.dciodvfy(Files.write(dir.resolve("amended.dcm"), amended));
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod::toString);
  }

  @Test
  void sameIdsGiveByteIdenticalReports() {
    assertArrayEquals(report(), report());
  }

  @Test
  void aFindingWithoutThresholdHasNoPresentAbsentEvaluation(@TempDir Path dir) throws Exception {
    Finding unthresholded = new Finding("nodule", NODULE.code(), 0.75, Double.NaN);
    assertFalse(unthresholded.present());
    byte[] sr = new SrWriter().write(ALGORITHM, SOURCES, List.of(unthresholded), IDS);
    Dcmtk.Result dump = Dcmtk.dsrdump(Files.write(dir.resolve("sr.dcm"), sr));
    assertTrue(dump.ok(), dump::toString);
    assertTrue(dump.output().contains("\"0.75\""), dump::toString);
    assertFalse(dump.output().contains("\"Present\"") || dump.output().contains("\"Absent\""), dump::toString);
  }

  @Test
  void rejectsNoFindingsAndSourcesFromTwoStudies() {
    SrWriter writer = new SrWriter();
    assertThrows(IllegalArgumentException.class, () -> writer.write(ALGORITHM, SOURCES, List.of(), IDS));
    AttributeList other = ResultFixtures.read(SyntheticCt.instance(ResultFixtures.SPEC.withSeed(99), 1, 1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> writer.write(ALGORITHM, List.of(SOURCES.get(0), other), List.of(NODULE), IDS));
  }

  /**
   * PixelMed's template validator finds the TID 1500 structure sound: no errors. (It warns that
   * the present/absent CODE in a measurement group is "not in template": its 2022 TID 1501 lacks
   * the qualitative evaluation rows later editions have.)
   */
  /**
   * PixelMed's template validator finds a TID 1500 root and no error. The compiled template
   * stylesheet is larger than the JDK's default XPath limits, which are lifted first.
   */
  private static void assertValidTid1500(AttributeList sr) throws Exception {
    System.setProperty("jdk.xml.xpathExprOpLimit", "0");
    System.setProperty("jdk.xml.xpathExprGrpLimit", "0");
    System.setProperty("jdk.xml.xpathTotalOpLimit", "0");
    String result = new DicomSRValidator().validate(sr);
    assertTrue(result.contains("Found Root Template TID_1500"), result);
    assertEquals(List.of(), result.lines().filter(l -> l.startsWith("Error")).toList(), result);
  }

  @Test
  void followsTid1500ByPixelMedsTemplateValidator() throws Exception {
    assertValidTid1500(ResultFixtures.read(report()));
  }

  /**
   * IHE AIR: each measurement names the algorithm's name, version and parameters (TID 4019), and
   * "Procedure reported" the imaging procedure (the CT sources' modality), not the algorithm.
   */
  @Test
  void namesTheAlgorithmsParametersAndTheImagingProcedure(@TempDir Path dir) throws Exception {
    Algorithm withParameters = new Algorithm(ALGORITHM.modelName(), ALGORITHM.modelVersion(), ALGORITHM.artifactSha256(),
        ALGORITHM.deviceUid(), ALGORITHM.imagoVersion(), "input NCHW 1x64x64 float32; threshold nodule 0.5");
    Path file = Files.write(dir.resolve("air.dcm"), new SrWriter().write(withParameters, SOURCES, List.of(NODULE), IDS));
    Dcmtk.Result dump = Dcmtk.dsrdump(file);
    assertTrue(dump.output().contains("TEXT:(,,\"Algorithm Parameters\")=\"input NCHW 1x64x64"), dump::toString);
    String parameters = ResultFixtures.read(Files.readAllBytes(file)).toString();
    assertTrue(parameters.contains("input NCHW 1x64x64 float32; threshold nodule 0.5"), "the whole text is kept");
    assertTrue(dump.output().contains("CODE:(,,\"Procedure reported\")=(25045-6,LN,\"CT unspecified body region\")"),
        dump::toString);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(file).output()));
  }

  /**
   * A segmenter's report beside its SEG: a segment measured on a CT stack, with the finding site its
   * manifest names, and one that is empty and says no site.
   */
  @Test
  void aSegmentationReportReferencesEachSegmentWithItsVolumeAndLargestArea(@TempDir Path dir) throws Exception {
    List<AttributeList> ct = ResultFixtures.slices(1, 1, 2, 3);
    List<Manifest.Segment> labelMap = List.of(new Manifest.Segment("lesion", NODULE.code(), NODULE.code(), null, LUNG),
        new Manifest.Segment("cyst", null, NODULE.code(), null, null));
    List<SegmentMeasurements> measured = List.of(new SegmentMeasurements(1, 316.40625, 553.7109375),
        new SegmentMeasurements(2, 0.0, 0.0));
    ResultIds seg = ResultFixtures.ids(902);
    byte[] sr = new SrWriter().writeSegmentation(ALGORITHM, ct, labelMap, measured, seg, IDS, null);
    Path file = Files.write(dir.resolve("seg-sr.dcm"), sr);

    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(file).output()));
    Dcmtk.Result dump = Dcmtk.dsrdump(file);
    assertTrue(dump.ok(), dump::toString);
    for (String expected : List.of("IMAGE:(,,\"Referenced Segment\")", "UIDREF:(,,\"Source series for segmentation\")",
        "NUM:(,,\"Volume\")=\"553.7109375\" (mm3,UCUM,\"cubic millimeter\")",
        "NUM:(,,\"Area\")=\"316.40625\" (mm2,UCUM,\"square millimeter\")", "CODE:(,,\"Derivation\")=(56851009,SCT,\"Maximum\")",
        "TEXT:(,,\"Tracking Identifier\")=\"cyst\"", "CODE:(,,\"Finding Site\")=(39607008,SCT,\"Lung structure\")")) {
      assertTrue(dump.output().contains(expected), () -> expected + " missing in\n" + dump);
    }
    assertEquals(1, dump.output().split("Finding Site", -1).length - 1, "only the lesion has a site:\n" + dump);
    AttributeList l = ResultFixtures.read(sr);
    String evidence = l.get(TagFromName.CurrentRequestedProcedureEvidenceSequence).toString();
    assertTrue(evidence.contains(seg.sopInstanceUid()), "the SEG is among the evidence: " + evidence);
    assertValidTid1500(l);
  }

  /** A finding tied to its image: its words as a Comment, its probability inferred from a point on that image. */
  @Test
  void aFindingWithItsImageSaysItselfInWordsOverThatImage(@TempDir Path dir) throws Exception {
    Finding sourced = new Finding("nodule", NODULE.code(), 0.8125, 0.5, 2, null);
    Path file = Files.write(dir.resolve("sourced.dcm"), new SrWriter().write(ALGORITHM, SOURCES, List.of(sourced), IDS));
    Dcmtk.Result dump = Dcmtk.dsrdump(file);
    assertTrue(dump.output().contains("TEXT:(,,\"Comment\")=\"nodule: present, probabilit"), dump::toString);
    assertTrue(ResultFixtures.read(Files.readAllBytes(file)).toString().contains("nodule: present, probability 0.81 (threshold 0.50)"));
    assertTrue(dump.output().contains("SCOORD:(,,\"Image Region\")=(POINT,4/4)"), dump::toString);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(file).output()));
    assertValidTid1500(ResultFixtures.read(Files.readAllBytes(file)));
  }

  /** A detector's report: two boxes on two sources, and a finding no box shows. */
  private static byte[] detections() {
    Region first = new Region("nodule", NODULE.code(), 0.875, 0, null, 10.5f, 12.5f, 20.5f, 24.5f);
    Region second = new Region("nodule", NODULE.code(), 0.625, 2, null, 3.25f, 4.5f, 9.75f, 8.5f);
    return new SrWriter().writeDetections(ALGORITHM, SOURCES, List.of(NODULE, EFFUSION), List.of(first, second), IDS, null);
  }

  @Test
  void detectionsAreImageRegionsSelectedFromTheirSourcesAndPassEveryValidator(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("det.dcm"), detections());
    Dcmtk.Result iod = Dcmtk.dciodvfy(file);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod::toString);
    Dcmtk.Result dump = Dcmtk.dsrdump(file);
    assertTrue(dump.ok(), dump::toString);
    for (String expected : List.of("SCOORD:(,,\"Image Region\")=(POLYLINE,10.5/12.5,...)",
        "SCOORD:(,,\"Image Region\")=(POLYLINE,3.25/4.5,...)", "<selected from IMAGE:=(CT image,)>",
        "\"nodule 1\"", "\"nodule 2\"", "\"0.875\"", "\"0.625\"", "\"Absent\"")) {
      assertTrue(dump.output().contains(expected), () -> expected + " missing in\n" + dump);
    }
    assertValidTid1500(ResultFixtures.read(detections()));
  }



  private static String conceptValue(AttributeList item) {
    Attribute a = item.get(TagFromName.ConceptNameCodeSequence);
    return a == null ? "" : ResultFixtures.text(ResultFixtures.onlyItem(item, TagFromName.ConceptNameCodeSequence),
        TagFromName.CodeValue);
  }

  private static List<AttributeList> children(AttributeList item) {
    return items(item, TagFromName.ContentSequence);
  }

  private static List<AttributeList> items(AttributeList l, AttributeTag tag) {
    List<AttributeList> out = new ArrayList<>();
    if (l.get(tag) instanceof SequenceAttribute s) {
      for (int i = 0; i < s.getNumberOfItems(); i++) out.add(s.getItem(i).getAttributeList());
    }
    return out;
  }
}
