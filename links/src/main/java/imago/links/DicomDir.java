package imago.links;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The DICOMDIR of a download (PS3.3 Annex F Basic Directory IOD, PS3.10 8.6): PATIENT, STUDY,
 * SERIES and one record per instance of the type its SOP class takes (PS3.3 Table F.4-1), linked
 * by byte offsets from the start of the file (PS3.3 F.3.2.2). Records are encoded one by one so
 * each one's offset is known: offsets are fixed-size UL values, so filling them in changes no length.
 */
final class DicomDir {
  static final String MEDIA_STORAGE_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10";
  static final String FILE_SET_ID = "IMAGO";
  private static final String TS = Uids.EXPLICIT_VR_LITTLE_ENDIAN;
  private static final int RECORD_IN_USE = 0xFFFF;

  /** A directory record and its links. */
  private static final class Node {
    final AttributeList record;
    Node next;
    Node lower;
    long offset;

    Node(AttributeList record) {
      this.record = record;
    }
  }

  private DicomDir() {}

  /**
   * @param headers the data set (up to its pixel data) of every instance whose record takes keys
   *     the index does not hold (see {@link InstanceRecords#needsHeader}), by SOP Instance UID
   */
  static byte[] encode(List<FileSet.Patient> patients, Map<String, AttributeList> headers) {
    List<Node> order = new ArrayList<>();
    List<Node> roots = new ArrayList<>();
    for (FileSet.Patient p : patients) {
      Node patient = add(order, InstanceRecords.patient(p.first()));
      roots.add(patient);
      List<Node> studies = new ArrayList<>();
      for (FileSet.Study st : p.studies()) {
        Node study = add(order, InstanceRecords.study(st.first()));
        studies.add(study);
        List<Node> series = new ArrayList<>();
        for (FileSet.Series se : st.series()) {
          Node s = add(order, InstanceRecords.series(se.first()));
          series.add(s);
          List<Node> instances = new ArrayList<>();
          for (FileSet.Member m : se.members()) {
            AttributeList r = InstanceRecords.instance(m, headers.get(m.instance().sopInstanceUid()));
            if (r != null) instances.add(add(order, r));
          }
          link(s, instances);
        }
        link(study, series);
      }
      link(patient, studies);
    }
    link(null, roots);
    return write(order, roots, fileSetUid(patients));
  }

  private static Node add(List<Node> order, AttributeList record) {
    Node n = new Node(record);
    order.add(n);
    return n;
  }

  private static void link(Node parent, List<Node> children) {
    if (parent != null && !children.isEmpty()) parent.lower = children.get(0);
    for (int i = 0; i + 1 < children.size(); i++) children.get(i).next = children.get(i + 1);
  }

  private static byte[] write(List<Node> order, List<Node> roots, String fileSetUid) {
    byte[] meta = Part10.fileMetaInformation(MEDIA_STORAGE_DIRECTORY_STORAGE, fileSetUid, TS, null);
    // PS3.3 F.3.2.1: offsets count from the first byte of the file (the preamble); the records
    // follow the File Meta Information, the header keys and the 12-byte SQ header
    long sequenceStart = meta.length + Attrs.encode(header(0, 0), TS).length + 12;
    long position = sequenceStart;
    List<byte[]> encoded = new ArrayList<>(order.size());
    for (Node n : order) {
      offsets(n.record, 0, 0);
      n.offset = position;
      position += 8 + Attrs.encode(n.record, TS).length;
    }
    long sequenceLength = position - sequenceStart;
    for (Node n : order) {
      offsets(n.record, n.next == null ? 0 : n.next.offset, n.lower == null ? 0 : n.lower.offset);
      encoded.add(Attrs.encode(n.record, TS));
    }
    long first = roots.isEmpty() ? 0 : roots.get(0).offset;
    long last = roots.isEmpty() ? 0 : roots.get(roots.size() - 1).offset;
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) position);
    out.writeBytes(meta);
    out.writeBytes(Attrs.encode(header(first, last), TS));
    out.writeBytes(directoryRecordSequenceHeader(sequenceLength));
    for (byte[] record : encoded) {
      out.writeBytes(itemHeader(record.length));
      out.writeBytes(record);
    }
    return out.toByteArray();
  }

  /** PS3.3 F.3.2.1 File-set Identification and the root directory offsets. */
  private static AttributeList header(long firstRoot, long lastRoot) {
    AttributeList l = new AttributeList();
    Datasets.put(l, TagFromName.FileSetID, FILE_SET_ID);
    Datasets.putLong(l, TagFromName.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, firstRoot);
    Datasets.putLong(l, TagFromName.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, lastRoot);
    Datasets.putLong(l, TagFromName.FileSetConsistencyFlag, 0);
    return l;
  }

  private static void offsets(AttributeList record, long next, long lower) {
    Datasets.putLong(record, TagFromName.OffsetOfTheNextDirectoryRecord, next);
    Datasets.putLong(record, TagFromName.RecordInUseFlag, RECORD_IN_USE);
    Datasets.putLong(record, TagFromName.OffsetOfReferencedLowerLevelDirectoryEntity, lower);
  }

  /** (0004,1220) SQ with a defined length, explicit VR little endian (PS3.5 7.1.2, 7.5). */
  private static byte[] directoryRecordSequenceHeader(long length) {
    ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0x0004).putShort((short) 0x1220).put((byte) 'S').put((byte) 'Q');
    b.putShort((short) 0).putInt((int) length);
    return b.array();
  }

  /** Item (FFFE,E000) with a defined length (PS3.5 7.5.1). */
  private static byte[] itemHeader(int length) {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(length);
    return b.array();
  }

  /** The same instances always give the same File-set UID, so the same bytes (PS3.5 B.2). */
  private static String fileSetUid(List<FileSet.Patient> patients) {
    StringBuilder name = new StringBuilder("imago:dicomdir");
    for (FileSet.Member m : FileSet.members(patients)) name.append(':').append(m.instance().sopInstanceUid());
    return Uids.fromUuid(UUID.nameUUIDFromBytes(name.toString().getBytes(StandardCharsets.US_ASCII)));
  }
}
