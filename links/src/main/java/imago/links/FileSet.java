package imago.links;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A download's instances as a PS3.10 file-set tree, patient, study, series (first-seen order) and
 * instance (by Instance Number), each instance with its File ID. File IDs follow PS3.10 8.2 and
 * the PS3.11 general purpose profiles: at most 8 components of at most 8 characters from A-Z, 0-9
 * and '_', no extension: {@code DICOM/PAT0001/STU0001/SER0001/IMG00001}.
 */
final class FileSet {
  record Member(ZipInstance instance, List<String> fileId) {
    String zipPath() {
      return String.join("/", fileId);
    }
  }

  record Series(ZipInstance first, List<Member> members) {}

  record Study(ZipInstance first, List<Series> series) {}

  record Patient(ZipInstance first, List<Study> studies) {}

  private FileSet() {}

  static List<Patient> layout(List<ZipInstance> instances) {
    Set<String> seen = new HashSet<>();
    for (ZipInstance i : instances) {
      if (!seen.add(i.sopInstanceUid())) throw new IllegalArgumentException("SOP Instance UID twice: " + i.sopInstanceUid());
    }
    List<Patient> patients = new ArrayList<>();
    for (List<ZipInstance> p : group(instances, ZipInstance::patientId)) {
      String pat = component("PAT", patients.size() + 1, 4);
      List<Study> studies = new ArrayList<>();
      for (List<ZipInstance> st : group(p, ZipInstance::studyUid)) {
        String stu = component("STU", studies.size() + 1, 4);
        List<Series> series = new ArrayList<>();
        for (List<ZipInstance> se : group(st, ZipInstance::seriesUid)) {
          String ser = component("SER", series.size() + 1, 4);
          List<ZipInstance> ordered = se.stream().sorted(Comparator.comparingInt(ZipInstance::instanceNumber)).toList();
          List<Member> members = new ArrayList<>();
          for (ZipInstance i : ordered) {
            members.add(new Member(i, List.of("DICOM", pat, stu, ser, component("IMG", members.size() + 1, 5))));
          }
          series.add(new Series(se.get(0), members));
        }
        studies.add(new Study(st.get(0), series));
      }
      patients.add(new Patient(p.get(0), studies));
    }
    return patients;
  }

  /** Every member, in tree order: the order files go into the zip. */
  static List<Member> members(List<Patient> patients) {
    List<Member> all = new ArrayList<>();
    for (Patient p : patients) {
      for (Study st : p.studies()) {
        for (Series se : st.series()) all.addAll(se.members());
      }
    }
    return all;
  }

  private static List<List<ZipInstance>> group(List<ZipInstance> instances, Function<ZipInstance, String> key) {
    Map<String, List<ZipInstance>> groups = new LinkedHashMap<>();
    for (ZipInstance i : instances) groups.computeIfAbsent(key.apply(i), k -> new ArrayList<>()).add(i);
    return new ArrayList<>(groups.values());
  }

  private static String component(String prefix, int n, int digits) {
    String c = prefix + String.format(Locale.ROOT, "%0" + digits + "d", n);
    if (c.length() > 8) throw new IllegalArgumentException("too many entries for a file-set level: " + prefix + " " + n);
    return c;
  }
}
