package imago.core.deid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.deid.ConfidentialityProfile.Action;
import imago.core.deid.ConfidentialityProfile.Option;
import imago.core.dicom.Part10;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A checker walks every attribute of the de-identified copies (in sequences too) against PS3.15
 * Table E.1-1 with the project's options, and the encoded bytes for every identifying value of the
 * source; references between the copies still resolve; pseudonyms and UIDs hold within a project
 * and differ across projects.
 */
class DeidentifierTest {
  private static final Set<Option> OPTIONS = EnumSet.of(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES, Option.CLEAN_DESCRIPTORS,
      Option.CLEAN_STRUCTURED_CONTENT);
  private static final byte[] KEY = "project-one-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OTHER_KEY = "project-two-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  /** Identifying values in the sources: none may be found anywhere in a copy's bytes. */
  private static final List<String> IDENTIFYING = List.of("Rossi", "Mario", "RSSMRA50", "19500317", "Niguarda", "Bianchi",
      "Verdi", "ACC-778899", "CT-ROOM-3", "SN-44121", "Via Roma", "+39 02", "OTHER-ID-9", "STUDY-77", "REQ-5521",
      "shoulder pain since the fall", "20260105", "20260108", "1.2.826.0.1.3680043.2.1125.1.1006", "pacs.niguarda.example",
      "Bernardi", "NIG-CODE", "arrow to the Rossi lesion");

  private final String studyUid = "1.2.826.0.1.3680043.2.1125.1.1001";
  private final String seriesUid = "1.2.826.0.1.3680043.2.1125.1.1002";
  private final String imageUid = "1.2.826.0.1.3680043.2.1125.1.1003";
  private final String frameUid = "1.2.826.0.1.3680043.2.1125.1.1004";
  private final String srUid = "1.2.826.0.1.3680043.2.1125.1.1005";

  @Test
  void everyAttributeFollowsTheTableWithTheProjectsOptionsAndNothingIdentifyingIsLeft() throws Exception {
    Deidentifier deid = new Deidentifier(KEY, OPTIONS);
    AttributeList image = image();
    AttributeList sr = report();
    AttributeList imageCopy = deid.apply(image, "niguarda");
    AttributeList srCopy = deid.apply(sr, "niguarda");
    for (AttributeList[] pair : List.of(new AttributeList[] {image, imageCopy}, new AttributeList[] {sr, srCopy})) {
      List<String> wrong = new ArrayList<>();
      check(pair[0], pair[1], "", wrong);
      assertEquals(List.of(), wrong);
      String bytes = new String(Part10.encode(pair[1], "TEST"), StandardCharsets.ISO_8859_1);
      for (String s : IDENTIFYING) assertFalse(bytes.contains(s), "'" + s + "' is still in the copy");
      for (String uid : List.of(studyUid, seriesUid, imageUid, frameUid, srUid)) assertFalse(bytes.contains(uid), uid);
    }
    // what says it was de-identified, and how
    assertEquals("YES", text(imageCopy, TagFromName.PatientIdentityRemoved));
    assertEquals("MODIFIED", text(imageCopy, new AttributeTag(0x0028, 0x0303)));
    List<String> methods = new ArrayList<>();
    SequenceAttribute codes = (SequenceAttribute) imageCopy.get(TagFromName.DeidentificationMethodCodeSequence);
    for (int i = 0; i < codes.getNumberOfItems(); i++) methods.add(text(codes.getItem(i).getAttributeList(), TagFromName.CodeValue));
    assertEquals(Set.of("113100", "113107", "113105", "113104"), Set.copyOf(methods));
  }

  @Test
  void referencesResolveAndIntervalsHoldInTheCopies() throws Exception {
    Deidentifier deid = new Deidentifier(KEY, OPTIONS);
    AttributeList imageCopy = deid.apply(image(), "niguarda");
    AttributeList srCopy = deid.apply(report(), "niguarda");
    String pseudonym = text(imageCopy, TagFromName.PatientID);
    assertTrue(pseudonym.matches("P[A-Z2-7]{16}"), pseudonym);
    assertEquals(pseudonym, text(srCopy, TagFromName.PatientID), "one patient, one pseudonym");
    assertEquals(pseudonym, text(imageCopy, TagFromName.PatientName));
    assertEquals(text(imageCopy, TagFromName.StudyInstanceUID), text(srCopy, TagFromName.StudyInstanceUID));
    // the report's evidence names the image as it is called in the copy
    AttributeList evidence = item(item(item(srCopy, TagFromName.CurrentRequestedProcedureEvidenceSequence),
        TagFromName.ReferencedSeriesSequence), TagFromName.ReferencedSOPSequence);
    assertEquals(text(imageCopy, TagFromName.SOPInstanceUID), text(evidence, TagFromName.ReferencedSOPInstanceUID));
    assertEquals(text(imageCopy, TagFromName.SeriesInstanceUID), text(item(item(srCopy,
        TagFromName.CurrentRequestedProcedureEvidenceSequence), TagFromName.ReferencedSeriesSequence), TagFromName.SeriesInstanceUID));
    // dates move back by one amount per patient: the image's and the report's still lie 3 days apart
    long shift = days(text(image(), TagFromName.StudyDate), text(imageCopy, TagFromName.StudyDate));
    assertTrue(shift >= 365 && shift <= 3650, "shifted " + shift + " days");
    assertEquals(shift, days(text(report(), TagFromName.ContentDate), text(srCopy, TagFromName.ContentDate)));
    assertEquals(text(image(), TagFromName.StudyTime), text(imageCopy, TagFromName.StudyTime), "times are kept");
    assertEquals("20251231", Deidentifier.shifted("DA", "20260105", 5));
    assertEquals("20251231101010.5+0100", Deidentifier.shifted("DT", "20260105101010.5+0100", 5));
    assertEquals("", Deidentifier.shifted("DT", "2026", 5), "a year alone cannot be moved by days");
    assertEquals("", text(imageCopy, TagFromName.AcquisitionDate), "an empty date stays empty");
    assertTrue(text(imageCopy, TagFromName.SOPClassUID).startsWith("1.2.840.10008."), "DICOM's own UIDs are kept");
  }

  @Test
  void pseudonymsAndUidsHoldWithinAProjectAndDifferAcrossProjects() throws Exception {
    AttributeList once = new Deidentifier(KEY, OPTIONS).apply(image(), "niguarda");
    AttributeList again = new Deidentifier(KEY, OPTIONS).apply(image(), "niguarda");
    AttributeList elsewhere = new Deidentifier(OTHER_KEY, OPTIONS).apply(image(), "niguarda");
    AttributeList otherHospital = new Deidentifier(KEY, OPTIONS).apply(image(), "sacco");
    for (AttributeTag tag : List.of(TagFromName.PatientID, TagFromName.StudyInstanceUID, TagFromName.SOPInstanceUID,
        TagFromName.StudyDate)) {
      assertEquals(text(once, tag), text(again, tag), tag.toString());
      assertNotEquals(text(once, tag), text(elsewhere, tag), "another project: " + tag);
    }
    assertNotEquals(text(once, TagFromName.PatientID), text(otherHospital, TagFromName.PatientID),
        "the same Patient ID at another hospital is another person");
  }

  @Test
  void optionsChangeWhatIsKeptAndUnsafeOnesAreRefused() throws Exception {
    AttributeList basic = new Deidentifier(KEY, Set.of()).apply(image(), "niguarda");
    assertEquals("", text(basic, TagFromName.StudyDate), "the Basic Profile empties dates");
    assertNull(basic.get(new AttributeTag(0x0028, 0x0303)));
    assertNull(basic.get(TagFromName.StudyDescription), "descriptions are removed, not cleaned, without the option");
    AttributeList kept = new Deidentifier(KEY, EnumSet.of(Option.RETAIN_PATIENT_CHARACTERISTICS)).apply(image(), "niguarda");
    assertEquals("M", text(kept, TagFromName.PatientSex));
    assertThrows(IllegalArgumentException.class, () -> new Deidentifier(KEY, EnumSet.of(Option.RETAIN_UIDS)));
    assertThrows(IllegalArgumentException.class, () -> new Deidentifier(KEY, EnumSet.of(Option.RETAIN_SAFE_PRIVATE)));
    assertThrows(IllegalArgumentException.class, () -> new Deidentifier("short".getBytes(StandardCharsets.US_ASCII), OPTIONS));
  }

  @Test
  void imagesThatMayShowBurnedInTextAreTold() throws Exception {
    AttributeList ct = image();
    assertFalse(Deidentifier.mayShowBurnedInText(ct), "a CT that says nothing");
    put(ct, TagFromName.BurnedInAnnotation, "YES");
    assertTrue(Deidentifier.mayShowBurnedInText(ct));
    AttributeList us = image();
    put(us, TagFromName.Modality, "US");
    assertTrue(Deidentifier.mayShowBurnedInText(us), "ultrasound without Burned In Annotation");
    put(us, TagFromName.BurnedInAnnotation, "NO");
    assertFalse(Deidentifier.mayShowBurnedInText(us));
  }

  @Test
  void theTableIsPs315sWithItsRepeatingGroups() {
    ConfidentialityProfile t = ConfidentialityProfile.table();
    assertTrue(t.rows().size() > 600, "Table E.1-1 has over 600 rows: " + t.rows().size());
    assertEquals(Action.Z, t.action(0x00100010, Set.of()), "Patient's Name");
    assertEquals(Action.U, t.action(0x0020000D, Set.of()), "Study Instance UID");
    assertEquals(Action.C, t.action(0x00080020, EnumSet.of(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES)), "Study Date");
    assertEquals(Action.X, t.action(0x60023000, Set.of()), "Overlay Data in group 6002");
    assertEquals(Action.X, t.action(0x50001234, Set.of()), "curve data in group 5000");
    assertNull(t.action(0x00080016, Set.of()), "SOP Class UID is not in the table: kept");
  }

  // --- the checker: every attribute of the copy against the table, with the source beside it ---

  private static void check(AttributeList source, AttributeList copy, String path, List<String> wrong) {
    ConfidentialityProfile table = ConfidentialityProfile.table();
    for (Attribute a : copy.values()) {
      AttributeTag tag = a.getTag();
      String where = path + tag;
      if (tag.getGroup() % 2 == 1) wrong.add(where + ": a private attribute");
      Action action = table.action((tag.getGroup() << 16) | tag.getElement(), OPTIONS);
      Attribute before = source == null ? null : source.get(tag);
      if (isIdentityStatement(tag)) continue;
      if (action == Action.X) wrong.add(where + ": present, the table removes it");
      if (action == Action.Z && a.getVL() > 0 && !(a instanceof SequenceAttribute)) wrong.add(where + ": not empty");
      if ((action == Action.D || action == Action.U) && before != null && !(a instanceof SequenceAttribute)
          && a.getDelimitedStringValuesOrEmptyString().equals(before.getDelimitedStringValuesOrEmptyString())) {
        wrong.add(where + ": the source's value is still there");
      }
      if (action == Action.U) {
        for (String v : strings(a)) if (!v.startsWith("2.25.")) wrong.add(where + ": not a replaced UID: " + v);
      }
      if (a instanceof SequenceAttribute sq) {
        SequenceAttribute original = before instanceof SequenceAttribute s ? s : null;
        for (int i = 0; i < sq.getNumberOfItems(); i++) {
          AttributeList from = original != null && i < original.getNumberOfItems() ? original.getItem(i).getAttributeList() : null;
          check(from, sq.getItem(i).getAttributeList(), where + "[" + i + "]", wrong);
        }
      }
    }
    // and what the table removes is gone, wherever it was in the source
    if (source == null) return;
    for (Attribute a : source.values()) {
      AttributeTag tag = a.getTag();
      if (table.action((tag.getGroup() << 16) | tag.getElement(), OPTIONS) == Action.X && copy.get(tag) != null
          && !isIdentityStatement(tag)) {
        wrong.add(path + tag + ": kept, the table removes it");
      }
    }
  }

  /** Attributes the de-identifier writes itself: the pseudonym and the statements of what was done. */
  private static boolean isIdentityStatement(AttributeTag tag) {
    return tag.equals(TagFromName.PatientID) || tag.equals(TagFromName.PatientName)
        || tag.equals(TagFromName.PatientIdentityRemoved) || tag.equals(TagFromName.DeidentificationMethod)
        || tag.equals(TagFromName.DeidentificationMethodCodeSequence);
  }

  private static List<String> strings(Attribute a) {
    try {
      String[] v = a.getStringValues();
      return v == null ? List.of() : List.of(v);
    } catch (DicomException e) {
      return List.of();
    }
  }

  // --- the sources: a CT image and the SR that reports on it, with identifying data everywhere ---

  private AttributeList image() throws DicomException {
    AttributeList l = patient();
    put(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
    put(l, TagFromName.SOPInstanceUID, imageUid);
    put(l, TagFromName.Modality, "CT");
    put(l, TagFromName.SeriesInstanceUID, seriesUid);
    put(l, TagFromName.FrameOfReferenceUID, frameUid);
    put(l, TagFromName.SeriesDescription, "Torace Rossi controllo");
    put(l, TagFromName.SeriesDate, "20260105");
    put(l, TagFromName.AcquisitionDateTime, "20260105101010");
    put(l, TagFromName.StationName, "CT-ROOM-3");
    put(l, TagFromName.DeviceSerialNumber, "SN-44121");
    put(l, TagFromName.ImageComments, "Rossi moved during the scan");
    put(l, TagFromName.AcquisitionDate, ""); // empty: stays empty
    // not in Table E.1-1: a URL naming the original UIDs, a requesting physician, an alternative-calendar birth date
    put(l, new AttributeTag(0x0008, 0x1190), "https://pacs.niguarda.example/wado/" + studyUid);
    put(l, new AttributeTag(0x0032, 0x1032), "Bernardi^Carla"); // Requesting Physician
    put(l, new AttributeTag(0x0010, 0x0033), "20260105"); // Patient's Birth Date in Alternative Calendar (DA here)
    SequenceAttribute institution = new SequenceAttribute(new AttributeTag(0x0008, 0x0082)); // Institution Code Sequence (D)
    AttributeList code = new AttributeList();
    put(code, TagFromName.CodeValue, "NIG-CODE");
    put(code, TagFromName.CodingSchemeDesignator, "99LOCAL");
    put(code, TagFromName.CodeMeaning, "Ospedale Niguarda");
    institution.addItem(code);
    l.put(institution);
    SequenceAttribute graphics = new SequenceAttribute(new AttributeTag(0x0070, 0x0001)); // Graphic Annotation Sequence (D)
    AttributeList annotation = new AttributeList();
    SequenceAttribute texts = new SequenceAttribute(new AttributeTag(0x0070, 0x0008)); // Text Object Sequence
    AttributeList textObject = new AttributeList();
    put(textObject, new AttributeTag(0x0070, 0x0006), "arrow to the Rossi lesion"); // Unformatted Text Value
    texts.addItem(textObject);
    annotation.put(texts);
    graphics.addItem(annotation);
    l.put(graphics);
    put(l, new AttributeTag(0x0009, 0x0010), "ACME private");
    put(l, new AttributeTag(0x0009, 0x1001), "Rossi Mario RSSMRA50");
    SequenceAttribute request = new SequenceAttribute(TagFromName.RequestAttributesSequence);
    AttributeList r = new AttributeList();
    put(r, TagFromName.RequestedProcedureID, "REQ-5521");
    put(r, TagFromName.ReasonForTheRequestedProcedure, "shoulder pain since the fall");
    put(r, new AttributeTag(0x0040, 0x0009), "REQ-5521-1"); // Scheduled Procedure Step ID
    request.addItem(r);
    l.put(request);
    return l;
  }

  private AttributeList report() throws DicomException {
    AttributeList l = patient();
    put(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.88.22");
    put(l, TagFromName.SOPInstanceUID, srUid);
    put(l, TagFromName.Modality, "SR");
    put(l, TagFromName.SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.1.1006");
    put(l, TagFromName.ContentDate, "20260108");
    put(l, TagFromName.ContentTime, "091500");
    SequenceAttribute evidence = new SequenceAttribute(TagFromName.CurrentRequestedProcedureEvidenceSequence);
    AttributeList study = new AttributeList();
    put(study, TagFromName.StudyInstanceUID, studyUid);
    SequenceAttribute series = new SequenceAttribute(TagFromName.ReferencedSeriesSequence);
    AttributeList s = new AttributeList();
    put(s, TagFromName.SeriesInstanceUID, seriesUid);
    SequenceAttribute sops = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
    AttributeList sop = new AttributeList();
    put(sop, TagFromName.ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
    put(sop, TagFromName.ReferencedSOPInstanceUID, imageUid);
    sops.addItem(sop);
    s.put(sops);
    series.addItem(s);
    study.put(series);
    evidence.addItem(study);
    l.put(evidence);
    SequenceAttribute content = new SequenceAttribute(TagFromName.ContentSequence);
    AttributeList observer = new AttributeList();
    put(observer, TagFromName.ValueType, "PNAME");
    put(observer, TagFromName.PersonName, "Verdi^Anna");
    content.addItem(observer);
    AttributeList text = new AttributeList();
    put(text, TagFromName.ValueType, "TEXT");
    put(text, TagFromName.TextValue, "Compared with the study of Mario Rossi from Via Roma");
    content.addItem(text);
    l.put(content);
    return l;
  }

  private AttributeList patient() throws DicomException {
    AttributeList l = new AttributeList();
    put(l, TagFromName.PatientName, "Rossi^Mario");
    put(l, TagFromName.PatientID, "RSSMRA50");
    put(l, TagFromName.PatientBirthDate, "19500317");
    put(l, TagFromName.PatientSex, "M");
    put(l, TagFromName.PatientAddress, "Via Roma 1, Milano");
    put(l, TagFromName.PatientTelephoneNumbers, "+39 02 5555 1234");
    SequenceAttribute others = new SequenceAttribute(TagFromName.OtherPatientIDsSequence);
    AttributeList o = new AttributeList();
    put(o, TagFromName.PatientID, "OTHER-ID-9");
    others.addItem(o);
    l.put(others);
    put(l, TagFromName.StudyInstanceUID, studyUid);
    put(l, TagFromName.StudyDate, "20260105");
    put(l, TagFromName.StudyTime, "101000");
    put(l, TagFromName.StudyID, "STUDY-77");
    put(l, TagFromName.AccessionNumber, "ACC-778899");
    put(l, TagFromName.StudyDescription, "TC TORACE Rossi");
    put(l, TagFromName.InstitutionName, "Ospedale Niguarda");
    put(l, TagFromName.InstitutionAddress, "Piazza Ospedale Maggiore 3");
    put(l, TagFromName.ReferringPhysicianName, "Bianchi^Laura");
    return l;
  }

  private static void put(AttributeList l, AttributeTag tag, String value) throws DicomException {
    Attribute a = tag.getGroup() % 2 == 1
        ? AttributeFactory.newAttribute(tag, tag.getElement() < 0x100 ? "LO".getBytes(StandardCharsets.US_ASCII)
            : "LT".getBytes(StandardCharsets.US_ASCII))
        : AttributeFactory.newAttribute(tag);
    a.addValue(value);
    l.put(a);
  }

  private static String text(AttributeList l, AttributeTag tag) {
    return Attribute.getDelimitedStringValuesOrEmptyString(l, tag);
  }

  private static AttributeList item(AttributeList l, AttributeTag sequence) {
    return ((SequenceAttribute) l.get(sequence)).getItem(0).getAttributeList();
  }

  private static long days(String from, String to) {
    DateTimeFormatter da = DateTimeFormatter.BASIC_ISO_DATE;
    return ChronoUnit.DAYS.between(LocalDate.parse(to, da), LocalDate.parse(from, da));
  }
}
