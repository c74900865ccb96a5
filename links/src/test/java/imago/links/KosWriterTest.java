package imago.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The XDS-I.b manifest, checked by dicom3tools, dcmtk and PixelMed. */
class KosWriterTest {
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(1, 2, 2).withSize(32, 32);
  static final String STUDY = SyntheticCt.studyInstanceUid(SPEC, 1);
  static final String STUDY_URL = "https://imago.example/l/TOKEN/dicomweb/studies/" + STUDY;
  static final String LOCATION = "2.25.1234567";
  static final String SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.34";
  static final KosIds IDS = new KosIds("2.25.11", "2.25.12", 900, 1, Instant.parse("2024-03-05T10:15:30.250Z"));

  @TempDir static Path dir;
  static AttributeList header;
  static List<KosReference> references = new ArrayList<>();

  @BeforeAll
  static void study() throws Exception {
    List<Path> files = SyntheticCt.write(SPEC, dir.resolve("ct"));
    header = new AttributeList();
    header.read(files.get(0).toString(), TagFromName.PixelData);
    for (int series = 1; series <= 2; series++) {
      for (int instance = 1; instance <= 2; instance++) {
        references.add(new KosReference(STUDY, SyntheticCt.seriesInstanceUid(SPEC, 1, series),
            SyntheticCt.CT_IMAGE_STORAGE, SyntheticCt.sopInstanceUid(SPEC, 1, series, instance)));
      }
    }
    // an AI result object beside the images: a COMPOSITE reference
    references.add(new KosReference(STUDY, "2.25.77", SR_CLASS, "2.25.78"));
  }

  static byte[] kos() {
    return new KosWriter().write(header, references, IDS, LOCATION, STUDY_URL);
  }

  @Test
  void manifestIsAValidKeyObjectSelectionDocument() throws Exception {
    Path file = Files.write(dir.resolve("kos.dcm"), kos());
    Dcmtk.Result iod = Dcmtk.dciodvfy(file);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod.output());
    Process dsrdump = new ProcessBuilder("dsrdump", file.toString()).redirectErrorStream(true).start();
    String out = new String(dsrdump.getInputStream().readAllBytes());
    assertEquals(0, dsrdump.waitFor(), out);
    assertTrue(out.contains("Manifest"), out);
    System.out.println("dciodvfy KOS:\n" + iod.output());
  }

  @Test
  void everyReferenceAndEverySeriesRetrieveUrlReadsBack() throws Exception {
    AttributeList kos = new AttributeList();
    kos.read(new DicomInputStream(new ByteArrayInputStream(kos())));
    assertEquals("KO", Datasets.text(kos, TagFromName.Modality));
    assertEquals("Imago", Datasets.text(kos, TagFromName.Manufacturer));
    assertEquals(Datasets.text(header, TagFromName.PatientID), Datasets.text(kos, TagFromName.PatientID));
    AttributeList study = ((SequenceAttribute) kos.get(TagFromName.CurrentRequestedProcedureEvidenceSequence))
        .getItem(0).getAttributeList();
    assertEquals(STUDY, Datasets.text(study, TagFromName.StudyInstanceUID));
    SequenceAttribute series = (SequenceAttribute) study.get(TagFromName.ReferencedSeriesSequence);
    Map<String, String> urls = new TreeMap<>();
    List<String> evidence = new ArrayList<>();
    for (int i = 0; i < series.getNumberOfItems(); i++) {
      AttributeList s = series.getItem(i).getAttributeList();
      String uid = Datasets.text(s, TagFromName.SeriesInstanceUID);
      urls.put(uid, Datasets.text(s, Attrs.RETRIEVE_URL));
      assertEquals(LOCATION, Datasets.text(s, Attrs.RETRIEVE_LOCATION_UID));
      SequenceAttribute sops = (SequenceAttribute) s.get(TagFromName.ReferencedSOPSequence);
      for (int j = 0; j < sops.getNumberOfItems(); j++) {
        evidence.add(Datasets.text(sops.getItem(j).getAttributeList(), TagFromName.ReferencedSOPInstanceUID));
      }
    }
    assertEquals(references.stream().map(KosReference::sopInstanceUid).toList(), evidence);
    assertEquals(3, urls.size(), "one Referenced Series item per series");
    urls.forEach((uid, url) -> assertEquals(STUDY_URL + "/series/" + uid, url));
    SequenceAttribute content = (SequenceAttribute) kos.get(TagFromName.ContentSequence);
    assertEquals(references.size(), content.getNumberOfItems());
    assertEquals("COMPOSITE", Datasets.text(content.getItem(4).getAttributeList(), TagFromName.ValueType));
  }

  @Test
  void sameIdsGiveSameBytes() {
    assertArrayEquals(kos(), kos());
  }

  @Test
  void refusesAReferenceOutsideTheHeadersStudy() {
    List<KosReference> mixed = new ArrayList<>(references);
    mixed.add(new KosReference("2.25.99", "2.25.98", SyntheticCt.CT_IMAGE_STORAGE, "2.25.97"));
    assertThrows(IllegalArgumentException.class,
        () -> new KosWriter().write(header, mixed, IDS, LOCATION, STUDY_URL));
  }
}
