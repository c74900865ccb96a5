package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import imago.app.QueryFixtures.Study;
import imago.core.testkit.Dcmtk;
import imago.storage.index.AuditEvent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C-FIND from dcmtk's findscu against a real Imago: Patient Root and Study Root, every level,
 * answered from the index and scoped to the calling AE's tenant (AE OTHER never sees demo's
 * studies), each match audited.
 */
class CFindTest {
  static final String PATIENT_ROOT = "-P";
  static final String STUDY_ROOT = "-S";

  @TempDir static Path tmp;
  static TestImago node;
  static Study nicolo;
  static Study mario;
  static Study otherNicolo;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    nicolo = Study.of("CFIND-P1", "Bianchi^Nicolò", "20240105", "083000", "TC TORACE", List.of("CT", "MR"), List.of(2, 1));
    mario = Study.of("CFIND-P2", "Rossi^Mario", "20231231", "235900", "RM ENCEFALO", List.of("MR"), List.of(1));
    otherNicolo = Study.of("CFIND-P9", "Bianchi^Nicolò", "20240110", "090000", "TC TORACE", List.of("CT"), List.of(1));
    QueryFixtures.stow(node, "demo", nicolo);
    QueryFixtures.stow(node, "demo", mario);
    QueryFixtures.stow(node, "other", otherNicolo);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void studyRootStudyLevelReturnsTheAskedKeysWithComputedAttributes() {
    List<AttributeList> r = find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=STUDY", "PatientName=Bianchi*",
        "StudyInstanceUID", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances", "StudyDate", "InstitutionName");
    assertEquals(1, r.size());
    AttributeList study = r.get(0);
    assertEquals(nicolo.uid(), value(study, 0x0020, 0x000D));
    assertEquals("Bianchi^Nicolò", value(study, 0x0010, 0x0010), "UTF-8 (ISO_IR 192) names survive");
    assertEquals("CT\\MR", value(study, 0x0008, 0x0061));
    assertEquals("2", value(study, 0x0020, 0x1206));
    assertEquals("3", value(study, 0x0020, 0x1208));
    assertEquals("20240105", value(study, 0x0008, 0x0020));
    assertEquals("STUDY", value(study, 0x0008, 0x0052));
    assertEquals("", value(study, 0x0008, 0x0080), "a return key the index does not keep comes back empty");
  }

  @Test
  void studyRootMatchesDateRangesAndUidLists() {
    assertEquals(List.of(mario.uid()), studyUids(find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=STUDY",
        "StudyDate=-20231231", "StudyInstanceUID")));
    assertEquals(List.of(nicolo.uid(), mario.uid()), studyUids(find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=STUDY",
        "StudyInstanceUID=" + mario.uid() + "\\" + nicolo.uid())));
  }

  @Test
  void anOptionalKeyTheIndexCannotMatchIsAReturnKeyAndThePendingStatusSaysSo() {
    Dcmtk.FindResult r = Dcmtk.findscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", STUDY_ROOT,
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + mario.uid(), "InstitutionName=Nowhere");
    assertTrue(r.result().ok(), r.result().toString());
    assertEquals(List.of(mario.uid()), studyUids(r.responses()));
    // 0xFF01: matches are continuing, optional keys not supported for matching (PS3.4 C.4.1.1.4)
    assertTrue(r.result().output().contains("(Pending: WarningUnsupportedOptionalKeys)"), r.result().output());
  }

  @Test
  void studyRootSeriesAndImageLevels() {
    List<AttributeList> series = find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=SERIES", "StudyInstanceUID=" + nicolo.uid(),
        "SeriesInstanceUID", "Modality", "NumberOfSeriesRelatedInstances");
    assertEquals(nicolo.seriesUids(), series.stream().map(a -> value(a, 0x0020, 0x000E)).toList());
    assertEquals(List.of("CT", "MR"), series.stream().map(a -> value(a, 0x0008, 0x0060)).toList());
    assertEquals(List.of("2", "1"), series.stream().map(a -> value(a, 0x0020, 0x1209)).toList());

    List<AttributeList> images = find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=IMAGE", "StudyInstanceUID=" + nicolo.uid(),
        "SeriesInstanceUID=" + nicolo.seriesUids().get(0), "SOPInstanceUID", "InstanceNumber", "SOPClassUID");
    assertEquals(nicolo.sopUids().get(0), images.stream().map(a -> value(a, 0x0008, 0x0018)).toList());
    assertEquals(List.of("1", "2"), images.stream().map(a -> value(a, 0x0020, 0x0013)).toList());
    assertEquals("IMAGE", value(images.get(0), 0x0008, 0x0052));
  }

  @Test
  void patientRootAtEveryLevel() {
    List<AttributeList> patients = find("DEMO", PATIENT_ROOT, "QueryRetrieveLevel=PATIENT", "PatientID=CFIND-P*",
        "PatientName", "NumberOfPatientRelatedStudies", "NumberOfPatientRelatedInstances");
    assertEquals(List.of("CFIND-P1", "CFIND-P2"), patients.stream().map(a -> value(a, 0x0010, 0x0020)).toList());
    assertEquals("1", value(patients.get(0), 0x0020, 0x1200));
    assertEquals("3", value(patients.get(0), 0x0020, 0x1204));

    assertEquals(List.of(mario.uid()), studyUids(find("DEMO", PATIENT_ROOT, "QueryRetrieveLevel=STUDY",
        "PatientID=CFIND-P2", "StudyInstanceUID")));
    List<AttributeList> series = find("DEMO", PATIENT_ROOT, "QueryRetrieveLevel=SERIES", "PatientID=CFIND-P1",
        "StudyInstanceUID=" + nicolo.uid(), "SeriesInstanceUID", "Modality=MR");
    assertEquals(List.of(nicolo.seriesUids().get(1)), series.stream().map(a -> value(a, 0x0020, 0x000E)).toList());
    List<AttributeList> images = find("DEMO", PATIENT_ROOT, "QueryRetrieveLevel=IMAGE", "PatientID=CFIND-P2",
        "StudyInstanceUID=" + mario.uid(), "SeriesInstanceUID=" + mario.seriesUids().get(0), "SOPInstanceUID");
    assertEquals(mario.sopUids().get(0), images.stream().map(a -> value(a, 0x0008, 0x0018)).toList());
  }

  @Test
  void theCallingAesTenantScopesEveryAnswer() {
    assertEquals(List.of(nicolo.uid()), studyUids(find("DEMO", STUDY_ROOT, "QueryRetrieveLevel=STUDY",
        "PatientName=Bianchi*", "StudyInstanceUID")));
    assertEquals(List.of(otherNicolo.uid()), studyUids(find("OTHER", STUDY_ROOT, "QueryRetrieveLevel=STUDY",
        "PatientName=Bianchi*", "StudyInstanceUID")));
    assertEquals(List.of(), find("OTHER", STUDY_ROOT, "QueryRetrieveLevel=SERIES", "StudyInstanceUID=" + nicolo.uid(),
        "SeriesInstanceUID"));
    assertEquals(List.of(), find("OTHER", PATIENT_ROOT, "QueryRetrieveLevel=PATIENT", "PatientID=CFIND-P1"));
    assertEquals(List.of(otherNicolo.uid()), studyUids(find("OTHER", STUDY_ROOT, "QueryRetrieveLevel=STUDY",
        "StudyInstanceUID")), "OTHER sees its one study, none of demo's");
  }

  @Test
  void eachMatchLeavesACFindAuditRowForTheCallingAe() throws Exception {
    find("STORESCU", STUDY_ROOT, "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + mario.uid());
    List<AuditEvent> rows = node.imago.index().auditOfStudy("demo", mario.uid()).stream()
        .filter(e -> e.subject().equals("ae:STORESCU")).toList();
    assertEquals(1, rows.size(), rows.toString());
    assertEquals("C_FIND", rows.get(0).via());
    assertEquals("query", rows.get(0).action());
    assertEquals("demo", rows.get(0).tenantId());
  }

  @Test
  void studyRootHasNoPatientLevelAndSaysSo() {
    Dcmtk.FindResult r = Dcmtk.findscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", STUDY_ROOT,
        "QueryRetrieveLevel=PATIENT", "PatientID");
    assertTrue(r.responses().isEmpty());
    // 0xA900: Identifier does not match SOP Class (PS3.4 C.4.1.1.4)
    assertTrue(r.result().output().contains("Final Find Response (Error: DataSetDoesNotMatchSOPClass)"),
        r.result().output());
  }

  static List<AttributeList> find(String callingAe, String model, String... keys) {
    Dcmtk.FindResult r = Dcmtk.findscu("127.0.0.1", node.dicomPort(), callingAe, "IMAGO", model, keys);
    assertTrue(r.result().ok(), r.result().toString());
    assertFalse(r.result().output().contains("Failed"), r.result().output());
    return r.responses();
  }

  static List<String> studyUids(List<AttributeList> responses) {
    return responses.stream().map(a -> value(a, 0x0020, 0x000D)).toList();
  }

  static String value(AttributeList list, int group, int element) {
    Attribute a = list.get(new AttributeTag(group, element));
    assertTrue(a != null, String.format("(%04X,%04X) in the response", group, element));
    String[] values = Attribute.getStringValues(a);
    return values == null ? "" : String.join("\\", values);
  }
}
