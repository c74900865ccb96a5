package imago.links;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The keys of each directory record (PS3.3 F.5): PATIENT, STUDY and SERIES from the index's
 * metadata, instance records from the metadata and, for non-image records, from the instance's
 * own data set. Type 2 keys the data set lacks are written empty; type 1C keys only when present.
 */
final class InstanceRecords {
  private static final AttributeTag HL7_INSTANCE_IDENTIFIER = new AttributeTag(0x0040, 0xE001);
  private static final AttributeTag MIME_TYPE = new AttributeTag(0x0042, 0x0012);
  private static final Set<AttributeTag> CONDITIONAL = Set.of(TagFromName.VerificationDateTime,
      TagFromName.ReferencedSeriesSequence, HL7_INSTANCE_IDENTIFIER);

  private InstanceRecords() {}

  /** Whether the record for this SOP class takes keys from the instance's data set. */
  static boolean needsHeader(String sopClassUid) {
    ObjectKind kind = ObjectKind.of(sopClassUid);
    return kind.recordType != null && kind != ObjectKind.IMAGE;
  }

  /** PS3.3 F.5 PATIENT record. */
  static AttributeList patient(ZipInstance i) {
    AttributeList r = record("PATIENT");
    Datasets.put(r, TagFromName.PatientName, values(i.patientName()));
    Datasets.put(r, TagFromName.PatientID, values(i.patientId()));
    return withCharset(r);
  }

  /** PS3.3 F.5 STUDY record. */
  static AttributeList study(ZipInstance i) {
    AttributeList r = record("STUDY");
    Datasets.put(r, TagFromName.StudyDate, values(i.studyDate()));
    Datasets.put(r, TagFromName.StudyTime, values(i.studyTime()));
    Datasets.put(r, TagFromName.StudyDescription, values(i.studyDescription()));
    Datasets.put(r, TagFromName.StudyInstanceUID, i.studyUid());
    Datasets.put(r, TagFromName.StudyID, values(i.studyId()));
    Datasets.put(r, TagFromName.AccessionNumber, values(i.accessionNumber()));
    return withCharset(r);
  }

  /** PS3.3 F.5 SERIES record. */
  static AttributeList series(ZipInstance i) {
    AttributeList r = record("SERIES");
    Datasets.put(r, TagFromName.Modality, values(i.modality()));
    Datasets.put(r, TagFromName.SeriesInstanceUID, i.seriesUid());
    Datasets.put(r, TagFromName.SeriesNumber, Integer.toString(i.seriesNumber()));
    return r;
  }

  /**
   * The instance's record with its Referenced File ID and SOP/transfer syntax references (PS3.3
   * F.3.2.2), or null for a SOP class without a record type here.
   */
  static AttributeList instance(FileSet.Member m, AttributeList header) {
    ZipInstance i = m.instance();
    ObjectKind kind = ObjectKind.of(i.sopClassUid());
    if (kind.recordType == null) return null;
    AttributeList r = record(kind.recordType);
    Datasets.put(r, TagFromName.ReferencedFileID, m.fileId().toArray(String[]::new));
    Datasets.put(r, TagFromName.ReferencedSOPClassUIDInFile, i.sopClassUid());
    Datasets.put(r, TagFromName.ReferencedSOPInstanceUIDInFile, i.sopInstanceUid());
    Datasets.put(r, TagFromName.ReferencedTransferSyntaxUIDInFile, i.transferSyntaxUid());
    Datasets.put(r, TagFromName.InstanceNumber, Integer.toString(i.instanceNumber()));
    if (kind != ObjectKind.IMAGE) {
      if (header == null) throw new IllegalArgumentException("no header for " + i.sopInstanceUid());
      for (AttributeTag t : keys(kind)) copy(header, r, t);
      if (kind == ObjectKind.STRUCTURED_REPORT || kind == ObjectKind.KEY_OBJECT_SELECTION) conceptModifiers(header, r);
    }
    return withCharset(r);
  }

  /** PS3.3 F.5: the keys of SR DOCUMENT, KEY OBJECT DOC, PRESENTATION, WAVEFORM and ENCAP DOC records. */
  private static AttributeTag[] keys(ObjectKind kind) {
    return switch (kind) {
      case STRUCTURED_REPORT -> new AttributeTag[] {TagFromName.CompletionFlag, TagFromName.VerificationFlag,
          TagFromName.ContentDate, TagFromName.ContentTime, TagFromName.VerificationDateTime,
          TagFromName.ConceptNameCodeSequence};
      case KEY_OBJECT_SELECTION -> new AttributeTag[] {TagFromName.ContentDate, TagFromName.ContentTime,
          TagFromName.ConceptNameCodeSequence};
      case PRESENTATION_STATE -> new AttributeTag[] {TagFromName.PresentationCreationDate,
          TagFromName.PresentationCreationTime, TagFromName.ContentLabel, TagFromName.ContentDescription,
          TagFromName.ContentCreatorName, TagFromName.ReferencedSeriesSequence};
      case WAVEFORM -> new AttributeTag[] {TagFromName.ContentDate, TagFromName.ContentTime};
      case ENCAPSULATED_DOCUMENT -> new AttributeTag[] {TagFromName.ContentDate, TagFromName.ContentTime,
          TagFromName.DocumentTitle, HL7_INSTANCE_IDENTIFIER, TagFromName.ConceptNameCodeSequence, MIME_TYPE};
      default -> new AttributeTag[0];
    };
  }

  private static void copy(AttributeList header, AttributeList r, AttributeTag t) {
    Attribute a = header.get(t);
    if (a instanceof SequenceAttribute) {
      r.put(a);
    } else if (a != null || !CONDITIONAL.contains(t)) {
      Datasets.copy(header, r, t);
    }
  }

  /**
   * Content Sequence, type 1C in SR DOCUMENT and KEY OBJECT DOC records: the root's HAS CONCEPT
   * MOD items (e.g. a Document Title Modifier), when it has any.
   */
  private static void conceptModifiers(AttributeList header, AttributeList r) {
    if (!(header.get(TagFromName.ContentSequence) instanceof SequenceAttribute content)) return;
    SequenceAttribute modifiers = new SequenceAttribute(TagFromName.ContentSequence);
    for (int k = 0; k < content.getNumberOfItems(); k++) {
      SequenceItem item = content.getItem(k);
      if ("HAS CONCEPT MOD".equals(Datasets.text(item.getAttributeList(), TagFromName.RelationshipType))) {
        modifiers.addItem(item);
      }
    }
    if (modifiers.getNumberOfItems() > 0) r.put(modifiers);
  }

  private static AttributeList record(String type) {
    AttributeList r = new AttributeList();
    Datasets.put(r, TagFromName.DirectoryRecordType, type);
    return r;
  }

  /** Specific Character Set, type 1C: only when a key leaves the default repertoire. */
  private static AttributeList withCharset(AttributeList r) {
    if (hasNonAscii(r)) Datasets.put(r, TagFromName.SpecificCharacterSet, Datasets.ISO_IR_192);
    return r;
  }

  private static boolean hasNonAscii(AttributeList record) {
    for (Attribute a : record.values()) {
      if (a instanceof SequenceAttribute) continue;
      for (String v : Datasets.values(record, a.getTag())) {
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(v)) return true;
      }
    }
    return false;
  }

  private static String[] values(String s) {
    return s.isEmpty() ? new String[0] : new String[] {s};
  }
}
