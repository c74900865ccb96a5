package imago.core.synthetic;

import com.pixelmed.dicom.AttributeList;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Deterministic synthetic CT studies as DICOM PS3.10 files (CT Image Storage, explicit VR little
 * endian, signed 16-bit pixels in a chest-like phantom). The same {@link Spec} always gives the
 * same UIDs and the same bytes, so tests and benchmarks can name what they expect to find.
 *
 * <p>Numbering is 1-based everywhere (study, series and instance numbers, and file names
 * {@code <study>/<series>/<instance>.dcm}). UIDs are a function of (seed, patientPrefix, study,
 * series, instance); the patient (ID, name, birth date, sex) is a function of (patientPrefix,
 * study) only, so two seeds with the same prefix give the same patients different studies.
 */
public final class SyntheticCt {
  public static final String CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
  /** A made-up SOP Class UID no standard defines, under the 2.25 (UUID) root. */
  public static final String PRIVATE_SOP_CLASS = Uids.fromUuid(UUID.nameUUIDFromBytes(
      "imago:synthetic:private-sop-class".getBytes(StandardCharsets.US_ASCII)));
  private static final String SOURCE_AE = "IMAGO_SYNTH";

  private SyntheticCt() {}

  /**
   * What to generate. {@code seed} decides the UIDs, dates and noise; {@code patientPrefix}
   * starts every Patient ID (1-10 characters; the ID is the prefix and six digits).
   */
  public record Spec(int studies, int seriesPerStudy, int instancesPerSeries, int rows, int columns, long seed,
                     String patientPrefix) {
    public Spec {
      if (studies < 1 || seriesPerStudy < 1 || instancesPerSeries < 1) {
        throw new IllegalArgumentException("studies, series and instances must each be at least 1");
      }
      if (rows < 16 || columns < 16 || rows > 4096 || columns > 4096) {
        throw new IllegalArgumentException("rows and columns must be within 16..4096");
      }
      if (patientPrefix == null || patientPrefix.isEmpty() || patientPrefix.length() > 10
          || !patientPrefix.chars().allMatch(c -> c > ' ' && c < 127 && c != '\\')) {
        throw new IllegalArgumentException("patientPrefix must be 1-10 printable ASCII characters");
      }
    }

    /** {@code studies} x {@code series} x {@code instances} slices of 512x512, seed 1, prefix "SYN". */
    public static Spec of(int studies, int seriesPerStudy, int instancesPerSeries) {
      return new Spec(studies, seriesPerStudy, instancesPerSeries, 512, 512, 1L, "SYN");
    }

    /** One study, one series of 10 slices, 512x512. */
    public static Spec defaults() {
      return of(1, 1, 10);
    }

    public Spec withSeed(long newSeed) {
      return new Spec(studies, seriesPerStudy, instancesPerSeries, rows, columns, newSeed, patientPrefix);
    }

    public Spec withSize(int newRows, int newColumns) {
      return new Spec(studies, seriesPerStudy, instancesPerSeries, newRows, newColumns, seed, patientPrefix);
    }

    public Spec withPatientPrefix(String prefix) {
      return new Spec(studies, seriesPerStudy, instancesPerSeries, rows, columns, seed, prefix);
    }

    public int totalInstances() {
      return studies * seriesPerStudy * instancesPerSeries;
    }
  }

  /** Writes every instance of {@code spec} under {@code dir}; returns the paths in generation order. */
  public static List<Path> write(Spec spec, Path dir) throws IOException {
    List<Path> paths = new ArrayList<>(spec.totalInstances());
    Phantom phantom = new Phantom(spec.rows(), spec.columns());
    for (int st = 1; st <= spec.studies(); st++) {
      for (int se = 1; se <= spec.seriesPerStudy(); se++) {
        Path seriesDir = Files.createDirectories(dir.resolve(Integer.toString(st)).resolve(Integer.toString(se)));
        for (int in = 1; in <= spec.instancesPerSeries(); in++) {
          Path file = seriesDir.resolve(in + ".dcm");
          Files.write(file, Part10.encode(CtDataset.build(spec, st, se, in, phantom), SOURCE_AE));
          paths.add(file);
        }
      }
    }
    return paths;
  }

  /** One instance as PS3.10 file bytes; study, series and instance are 1-based. */
  public static byte[] instance(Spec spec, int study, int series, int instance) {
    checkIndex(spec, study, series, instance);
    return Part10.encode(CtDataset.build(spec, study, series, instance, new Phantom(spec.rows(), spec.columns())), SOURCE_AE);
  }

  /**
   * One 64x64 instance whose SOP Class UID is {@link #PRIVATE_SOP_CLASS} (a private, non-standard
   * class) but whose data set is otherwise a complete CT image; written as
   * {@code dir/private-<seed>.dcm}. Its UIDs differ from every {@link #write} instance.
   */
  public static Path writePrivateSopClassInstance(Path dir, long seed) throws IOException {
    Spec spec = new Spec(1, 1, 1, 64, 64, seed, "PRIVSOP");
    AttributeList list = CtDataset.build(spec, 1, 1, 1, new Phantom(64, 64));
    CtDataset.put(list, 0x0008, 0x0016, PRIVATE_SOP_CLASS);
    Files.createDirectories(dir);
    Path file = dir.resolve("private-" + seed + ".dcm");
    Files.write(file, Part10.encode(list, SOURCE_AE));
    return file;
  }

  public static String studyInstanceUid(Spec spec, int study) {
    return uid(spec, "study", study, 0, 0);
  }

  public static String seriesInstanceUid(Spec spec, int study, int series) {
    return uid(spec, "series", study, series, 0);
  }

  public static String sopInstanceUid(Spec spec, int study, int series, int instance) {
    return uid(spec, "instance", study, series, instance);
  }

  public static String patientId(Spec spec, int study) {
    return spec.patientPrefix() + String.format(Locale.ROOT, "%06d", study);
  }

  static String frameOfReferenceUid(Spec spec, int study) {
    return uid(spec, "frame", study, 0, 0);
  }

  private static String uid(Spec spec, String kind, int study, int series, int instance) {
    String name = "imago:synthetic-ct:" + spec.seed() + ":" + spec.patientPrefix() + ":" + kind + ":" + study + ":"
        + series + ":" + instance;
    return Uids.fromUuid(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
  }

  private static void checkIndex(Spec spec, int study, int series, int instance) {
    if (study < 1 || study > spec.studies() || series < 1 || series > spec.seriesPerStudy() || instance < 1
        || instance > spec.instancesPerSeries()) {
      throw new IllegalArgumentException("study/series/instance out of range for " + spec);
    }
  }
}
