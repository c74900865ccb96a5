package imago.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomDirectory;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study download: a zip that unpacks into a file-set dcmtk, dicom3tools and PixelMed accept. */
class DicomZipWriterTest {
  static final String BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11";
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(1, 2, 2).withSize(32, 32);

  @TempDir static Path dir;
  static final List<Path> files = new ArrayList<>();
  static final Map<String, byte[]> inputs = new LinkedHashMap<>();

  @BeforeAll
  static void study() throws Exception {
    files.addAll(SyntheticCt.write(SPEC, dir.resolve("ct")));
    files.add(manifest(files.get(0)));
    files.add(report(files.get(0)));
    for (Path f : files) inputs.put(header(f).sopInstance(), Files.readAllBytes(f));
  }

  /** A KOS of the study: an SR-family object, listed as KEY OBJECT DOC. */
  static Path manifest(Path first) throws Exception {
    AttributeList h = new AttributeList();
    h.read(first.toString(), TagFromName.PixelData);
    String study = SyntheticCt.studyInstanceUid(SPEC, 1);
    KosReference ref = new KosReference(study, SyntheticCt.seriesInstanceUid(SPEC, 1, 1),
        SyntheticCt.CT_IMAGE_STORAGE, SyntheticCt.sopInstanceUid(SPEC, 1, 1, 1));
    byte[] kos = new KosWriter().write(h, List.of(ref), new KosIds("2.25.31", "2.25.32", 900, 1,
        Instant.parse("2024-03-05T10:15:30Z")), "2.25.33", "https://imago.example/dicomweb/studies/" + study);
    return Files.write(dir.resolve("kos.dcm"), kos);
  }

  /** A Basic Text SR with a root HAS CONCEPT MOD item, listed as SR DOCUMENT with that item. */
  static Path report(Path first) throws Exception {
    AttributeList h = new AttributeList();
    h.read(first.toString(), TagFromName.PixelData);
    AttributeList sr = new AttributeList();
    for (var t : List.of(TagFromName.PatientID, TagFromName.PatientName, TagFromName.StudyInstanceUID,
        TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.StudyID, TagFromName.AccessionNumber)) {
      Datasets.copy(h, sr, t);
    }
    Datasets.put(sr, TagFromName.SOPClassUID, BASIC_TEXT_SR);
    Datasets.put(sr, TagFromName.SOPInstanceUID, "2.25.41");
    Datasets.put(sr, TagFromName.SeriesInstanceUID, "2.25.42");
    Datasets.put(sr, TagFromName.Modality, "SR");
    Datasets.put(sr, TagFromName.SeriesNumber, "901");
    Datasets.put(sr, TagFromName.InstanceNumber, "1");
    Datasets.put(sr, TagFromName.CompletionFlag, "COMPLETE");
    Datasets.put(sr, TagFromName.VerificationFlag, "UNVERIFIED");
    Datasets.put(sr, TagFromName.ContentDate, "20240305");
    Datasets.put(sr, TagFromName.ContentTime, "101530");
    Datasets.put(sr, TagFromName.ValueType, "CONTAINER");
    Datasets.putCode(sr, TagFromName.ConceptNameCodeSequence, "LN", "18748-4", "Diagnostic imaging report");
    var content = Datasets.sequence(sr, TagFromName.ContentSequence);
    AttributeList language = Datasets.item(content);
    Datasets.put(language, TagFromName.RelationshipType, "HAS CONCEPT MOD");
    Datasets.put(language, TagFromName.ValueType, "CODE");
    Datasets.putCode(language, TagFromName.ConceptNameCodeSequence, "DCM", "121049", "Language of Content Item and Descendants");
    Datasets.putCode(language, TagFromName.ConceptCodeSequence, "RFC5646", "it-IT", "Italian (Italy)");
    AttributeList text = Datasets.item(content);
    Datasets.put(text, TagFromName.RelationshipType, "CONTAINS");
    Datasets.put(text, TagFromName.ValueType, "TEXT");
    Datasets.putCode(text, TagFromName.ConceptNameCodeSequence, "DCM", "121071", "Finding");
    Datasets.put(text, TagFromName.TextValue, "Nessun reperto");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(Part10.fileMetaInformation(BASIC_TEXT_SR, "2.25.41", Uids.EXPLICIT_VR_LITTLE_ENDIAN, null));
    out.writeBytes(Attrs.encode(sr, Uids.EXPLICIT_VR_LITTLE_ENDIAN));
    return Files.write(dir.resolve("sr.dcm"), out.toByteArray());
  }

  record Header(String sopInstance, ZipInstance instance) {}

  static Header header(Path f) throws Exception {
    AttributeList l = new AttributeList();
    l.read(f.toString(), TagFromName.PixelData);
    ZipInstance z = new ZipInstance(Datasets.text(l, TagFromName.PatientID), Datasets.text(l, TagFromName.PatientName),
        Datasets.text(l, TagFromName.StudyInstanceUID), Datasets.text(l, TagFromName.StudyDate),
        Datasets.text(l, TagFromName.StudyTime), Datasets.text(l, TagFromName.StudyID),
        Datasets.text(l, TagFromName.AccessionNumber), Datasets.text(l, TagFromName.StudyDescription),
        Datasets.text(l, TagFromName.SeriesInstanceUID), Datasets.text(l, TagFromName.Modality),
        Integer.parseInt(Datasets.text(l, TagFromName.SeriesNumber)), Datasets.text(l, TagFromName.SOPClassUID),
        Datasets.text(l, TagFromName.SOPInstanceUID), Datasets.text(l, TagFromName.TransferSyntaxUID),
        Integer.parseInt(Datasets.text(l, TagFromName.InstanceNumber)), () -> Files.newInputStream(f));
    return new Header(z.sopInstanceUid(), z);
  }

  static List<ZipInstance> instances() throws Exception {
    List<ZipInstance> list = new ArrayList<>();
    for (Path f : files) list.add(header(f).instance());
    return list;
  }

  static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) entries.put(e.getName(), in.readAllBytes());
    }
    return entries;
  }

  static Path unzipTo(Map<String, byte[]> entries, Path root) throws IOException {
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      Path p = root.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
    return root;
  }

  static byte[] zip(List<ZipInstance> instances) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new DicomZipWriter().write(instances, out);
    return out.toByteArray();
  }

  @Test
  void unpackedFileSetPassesDcmdumpAndDciodvfy() throws Exception {
    Path root = unzipTo(unzip(zip(instances())), dir.resolve("unpacked-tools"));
    Path dicomdir = root.resolve("DICOMDIR");
    Dcmtk.Result dump = Dcmtk.dcmdump(dicomdir);
    assertTrue(dump.ok(), dump.toString());
    for (String uid : inputs.keySet()) assertTrue(dump.output().contains(uid), uid + " not in\n" + dump.output());
    assertTrue(dump.output().contains("KEY OBJECT DOC"), dump.output());
    assertTrue(dump.output().contains("SR DOCUMENT"), dump.output());
    assertTrue(dump.output().contains("it-IT"), "the SR record carries the root's concept modifier");
    try (var walk = Files.walk(root.resolve("DICOM"))) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        Dcmtk.Result r = Dcmtk.dcmdump(f);
        assertTrue(r.ok(), f + ": " + r);
      }
    }
    Dcmtk.Result iod = Dcmtk.dciodvfy(dicomdir);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod.output());
    System.out.println("dciodvfy DICOMDIR:\n" + iod.output());
  }

  @Test
  void dicomDirectoryNamesEveryInstanceAndItsUnchangedFile() throws Exception {
    Path root = unzipTo(unzip(zip(instances())), dir.resolve("unpacked-pixelmed"));
    AttributeList list = new AttributeList();
    list.read(root.resolve("DICOMDIR").toString());
    Map<String, String> named = new DicomDirectory(list).getMapOfSOPInstanceUIDToReferencedFileName(root.toString());
    assertEquals(inputs.keySet(), named.keySet());
    for (Map.Entry<String, String> e : named.entrySet()) {
      Path file = Path.of(e.getValue());
      assertTrue(Files.isRegularFile(file), e.getValue());
      assertArrayEquals(inputs.get(e.getKey()), Files.readAllBytes(file), e.getKey());
    }
  }

  @Test
  void entriesAreReadmeThenInstancesUnderConformantFileIdsThenDicomdir() throws Exception {
    Map<String, byte[]> entries = unzip(zip(instances()));
    List<String> names = new ArrayList<>(entries.keySet());
    assertEquals("README.TXT", names.get(0));
    assertEquals("DICOMDIR", names.get(names.size() - 1));
    assertEquals(inputs.size() + 2, names.size());
    for (String name : names.subList(1, names.size() - 1)) {
      assertTrue(name.matches("DICOM(/[A-Z0-9_]{1,8}){4}"), name);
    }
    assertTrue(names.contains("DICOM/PAT0001/STU0001/SER0002/IMG00002"), names.toString());
    assertTrue(new String(entries.get("README.TXT")).contains("DICOMDIR"));
  }

  @Test
  void sameInstancesGiveTheSameDicomdir() throws Exception {
    assertArrayEquals(unzip(zip(instances())).get("DICOMDIR"), unzip(zip(instances())).get("DICOMDIR"));
  }

  @Test
  void opensOneInstanceAtATimeAndClosesItBeforeTheNext() throws Exception {
    List<String> events = new ArrayList<>();
    int[] open = {0};
    List<ZipInstance> tracked = new ArrayList<>();
    for (ZipInstance z : instances()) {
      tracked.add(new ZipInstance(z.patientId(), z.patientName(), z.studyUid(), z.studyDate(), z.studyTime(),
          z.studyId(), z.accessionNumber(), z.studyDescription(), z.seriesUid(), z.modality(), z.seriesNumber(),
          z.sopClassUid(), z.sopInstanceUid(), z.transferSyntaxUid(), z.instanceNumber(), () -> {
            assertEquals(0, open[0], "an instance was opened while another was still open");
            open[0]++;
            events.add("open " + z.sopInstanceUid());
            return new FilterInputStream(z.content().open()) {
              @Override
              public void close() throws IOException {
                open[0]--;
                events.add("close " + z.sopInstanceUid());
                super.close();
              }
            };
          }));
    }
    zip(tracked);
    assertEquals(0, open[0]);
    assertEquals(2 * inputs.size(), events.size(), "each instance opened exactly once: " + events);
    assertFalse(events.stream().anyMatch(e -> e.startsWith("open") && events.indexOf(e) % 2 == 1), events.toString());
  }
}
