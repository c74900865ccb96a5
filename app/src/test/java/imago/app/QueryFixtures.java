package imago.app;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SpecificCharacterSet;
import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Small made-to-measure CT instances for the query tests: a synthetic 16x16 slice whose patient,
 * study, series and instance attributes are set as the test needs (UTF-8, so "Nicolò" stays
 * "Nicolò"). A {@link Study} names its UIDs so tests can say what they expect to find.
 */
final class QueryFixtures {
  private static final SpecificCharacterSet UTF8 = new SpecificCharacterSet(new String[] {"ISO_IR 192"});

  private QueryFixtures() {}

  /** One study of one patient: series {@code modalities[i]} has {@code counts[i]} instances. */
  record Study(String patientId, String patientName, String date, String time, String accession, String description,
      String uid, List<String> seriesUids, List<List<String>> sopUids, List<String> modalities) {

    static Study of(String patientId, String patientName, String date, String time, String description,
        List<String> modalities, List<Integer> counts) {
      List<String> series = new ArrayList<>();
      List<List<String>> sops = new ArrayList<>();
      for (int s = 0; s < modalities.size(); s++) {
        series.add(Uids.random());
        List<String> instances = new ArrayList<>();
        for (int i = 0; i < counts.get(s); i++) instances.add(Uids.random());
        sops.add(instances);
      }
      return new Study(patientId, patientName, date, time, "ACC-" + patientId, description, Uids.random(), series, sops,
          modalities);
    }

    int instanceCount() {
      return sopUids.stream().mapToInt(List::size).sum();
    }

    /** Every instance as PS3.10 bytes (what STOW-RS carries). */
    List<byte[]> files() throws Exception {
      List<byte[]> out = new ArrayList<>();
      for (int s = 0; s < seriesUids.size(); s++) {
        for (int i = 0; i < sopUids.get(s).size(); i++) out.add(instance(this, s, i));
      }
      return out;
    }
  }

  /** Stores every instance of {@code study} in {@code tenant} over STOW-RS, as a hospital would. */
  static void stow(TestImago node, String tenant, Study study) throws Exception {
    HttpResponse<String> r = node.stow(node.token(tenant, Caller.Role.HOSPITAL), study.uid(), study.files());
    if (r.statusCode() != 200) throw new AssertionError("STOW-RS " + r.statusCode() + ": " + r.body());
  }

  static byte[] instance(Study st, int series, int instance) throws IOException, DicomException {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16);
    AttributeList l = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(SyntheticCt.instance(spec, 1, 1, 1)))) {
      l.read(in);
    }
    String sop = st.sopUids().get(series).get(instance);
    put(l, 0x0008, 0x0005, "ISO_IR 192");
    put(l, 0x0010, 0x0010, st.patientName());
    put(l, 0x0010, 0x0020, st.patientId());
    put(l, 0x0020, 0x000D, st.uid());
    put(l, 0x0008, 0x0020, st.date());
    put(l, 0x0008, 0x0030, st.time());
    put(l, 0x0008, 0x0050, st.accession());
    put(l, 0x0008, 0x1030, st.description());
    put(l, 0x0020, 0x000E, st.seriesUids().get(series));
    put(l, 0x0008, 0x0060, st.modalities().get(series));
    put(l, 0x0020, 0x0011, Integer.toString(series + 1));
    put(l, 0x0008, 0x0018, sop);
    put(l, 0x0020, 0x0013, Integer.toString(instance + 1));
    l.removeGroupLengthAttributes();
    l.removeMetaInformationHeaderAttributes();
    FileMetaInformation.addFileMetaInformation(l, SyntheticCt.CT_IMAGE_STORAGE, sop, Uids.EXPLICIT_VR_LITTLE_ENDIAN,
        "IMAGO_TEST");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    l.write(out, Uids.EXPLICIT_VR_LITTLE_ENDIAN, true, true);
    return out.toByteArray();
  }

  private static void put(AttributeList l, int group, int element, String value) throws DicomException {
    AttributeTag tag = new AttributeTag(group, element);
    byte[] vr = DicomDictionary.StandardDictionary.getValueRepresentationFromTag(tag);
    Attribute a = AttributeFactory.newAttribute(tag, vr, UTF8);
    a.addValue(value);
    l.put(a);
  }
}
