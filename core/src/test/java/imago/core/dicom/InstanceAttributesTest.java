package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import imago.core.synthetic.SyntheticCt;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class InstanceAttributesTest {
  private static final SyntheticCt.Spec SPEC = new SyntheticCt.Spec(2, 2, 3, 64, 48, 11, "IA");

  @Test
  void readsIdentityAndPatientFieldsFromTheDataSet() throws MalformedDicomException {
    byte[] file = SyntheticCt.instance(SPEC, 2, 1, 3);
    ByteBuffer b = ByteBuffer.wrap(file);
    Part10.Header h = Part10.parse(b);
    InstanceAttributes a = InstanceAttributes.read(b.position(h.datasetOffset()), h.transferSyntaxUid());

    assertEquals(SyntheticCt.CT_IMAGE_STORAGE, a.sopClassUid());
    assertEquals(SyntheticCt.sopInstanceUid(SPEC, 2, 1, 3), a.sopInstanceUid());
    assertEquals(h.sopInstanceUid(), a.sopInstanceUid());
    assertEquals(SyntheticCt.studyInstanceUid(SPEC, 2), a.studyInstanceUid());
    assertEquals(SyntheticCt.seriesInstanceUid(SPEC, 2, 1), a.seriesInstanceUid());
    assertEquals(SyntheticCt.patientId(SPEC, 2), a.patientId());
    assertTrue(a.patientName().matches("[A-Z][a-z]+( [A-Z][a-z]+)?\\^[A-Z][a-z]+"), a.patientName());
    assertTrue(a.patientSex().equals("M") || a.patientSex().equals("F"), a.patientSex());
    assertEquals(8, a.patientBirthDate().length());
    assertEquals(8, a.studyDate().length());
    assertEquals("ISO_IR 100", a.specificCharacterSet());
    assertEquals("CT", a.modality());
    assertEquals("CHEST", a.bodyPartExamined());
    assertEquals("1", a.seriesNumber());
    assertEquals("3", a.instanceNumber());
    assertEquals(64, a.rows());
    assertEquals(48, a.columns());
    assertEquals(0, a.numberOfFrames());
    assertEquals(16, a.bitsAllocated());
    assertDoesNotThrow(a::requireIdentity);
  }

  @Test
  void readsImplicitVrLittleEndian() throws Exception {
    AttributeList list = Part10Files.read(SyntheticCt.instance(SPEC, 1, 1, 1));
    list.removeGroupLengthAttributes();
    list.removeMetaInformationHeaderAttributes();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    list.write(out, Uids.IMPLICIT_VR_LITTLE_ENDIAN, false, true);
    ByteBuffer dataset = ByteBuffer.wrap(out.toByteArray());
    DatasetWalker.validate(dataset, Uids.IMPLICIT_VR_LITTLE_ENDIAN);
    InstanceAttributes a = InstanceAttributes.read(dataset, Uids.IMPLICIT_VR_LITTLE_ENDIAN);
    assertEquals(SyntheticCt.sopInstanceUid(SPEC, 1, 1, 1), a.sopInstanceUid());
    assertEquals(SyntheticCt.patientId(SPEC, 1), a.patientId());
  }

  @Test
  void requireIdentityRejectsAMissingSopInstanceUid() {
    AttributeList list = Part10Files.read(SyntheticCt.instance(SPEC, 1, 1, 1));
    list.remove(Part10Files.SOP_INSTANCE_UID);
    InstanceAttributes a = InstanceAttributes.from(list);
    assertEquals("", a.sopInstanceUid());
    MalformedDicomException e = assertThrows(MalformedDicomException.class, a::requireIdentity);
    assertEquals(DicomStatus.CANNOT_UNDERSTAND_UID, e.status());
    assertTrue(e.getMessage().contains("SOP Instance UID"), e.getMessage());
  }

  @Test
  void requireIdentityRejectsAMalformedStudyUid() throws Exception {
    AttributeList list = Part10Files.read(SyntheticCt.instance(SPEC, 1, 1, 1));
    Part10Files.put(list, 0x0020, 0x000D, "1.2..3");
    MalformedDicomException e = assertThrows(MalformedDicomException.class, InstanceAttributes.from(list)::requireIdentity);
    assertEquals(DicomStatus.CANNOT_UNDERSTAND_UID, e.status());
    assertTrue(e.getMessage().contains("Study Instance UID"), e.getMessage());
  }
}
