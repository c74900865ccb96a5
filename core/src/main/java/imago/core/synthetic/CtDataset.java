package imago.core.synthetic;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherWordAttribute;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The data set of one synthetic CT slice, module by module as PS3.3 A.3 (CT Image IOD) lists
 * them. Everything derives from the spec and the slice's numbers, so it is reproducible.
 */
final class CtDataset {
  private static final String[] SURNAMES = {"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
      "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
      "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli"};
  private static final String[] MALE_NAMES = {"Mario", "Giuseppe", "Luca", "Marco", "Francesco", "Alessandro",
      "Andrea", "Giovanni", "Roberto", "Stefano", "Paolo", "Antonio", "Matteo", "Davide", "Salvatore"};
  private static final String[] FEMALE_NAMES = {"Maria", "Anna", "Giulia", "Francesca", "Chiara", "Sara", "Laura",
      "Valentina", "Elena", "Alessandra", "Paola", "Silvia", "Federica", "Martina", "Giovanna"};
  private static final String[] KERNELS = {"STANDARD", "LUNG", "BONE", "SOFT"};
  private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
  /** Slice thickness and spacing between slices, mm. */
  private static final double SLICE_MM = 1.25;
  /** Field of view across the columns, mm (pixel spacing = FOV / columns). */
  private static final double FOV_MM = 360.0;
  private static final int RESCALE_INTERCEPT = -1024;

  private CtDataset() {}

  /** What one slice's attributes derive from: the patient from (prefix, study), the rest also from the seed. */
  private record Slice(SyntheticCt.Spec spec, int study, int series, int instance, long patientHash, long studyHash) {
    static Slice of(SyntheticCt.Spec spec, int study, int series, int instance) {
      long patientHash = mix(spec.patientPrefix().hashCode(), study);
      return new Slice(spec, study, series, instance, patientHash, mix(spec.seed(), patientHash));
    }

    String date() {
      return DA.format(LocalDate.of(2023, 1, 1).plusDays(Long.remainderUnsigned(studyHash, 730)));
    }

    int studySeconds() {
      return 8 * 3600 + (int) Long.remainderUnsigned(studyHash >>> 20, 10 * 3600);
    }

    int seriesSeconds() {
      return studySeconds() + 60 * series;
    }

    String kernel() {
      return KERNELS[(series - 1) % KERNELS.length];
    }
  }

  static AttributeList build(SyntheticCt.Spec spec, int study, int series, int instance, Phantom phantom) {
    Slice s = Slice.of(spec, study, series, instance);
    AttributeList l = new AttributeList();
    sopCommonAndPatient(l, s);
    studySeriesAndEquipment(l, s);
    imagePlaneAndPixel(l, s);
    ctImageAndVoiLut(l, s);
    short[] pixels = phantom.slice(spec.instancesPerSeries(), instance - 1, mix(s.studyHash(), series * 100_003L + instance));
    pixelData(l, pixels);
    return l;
  }

  /** Pixel Data (7FE0,0010) as 16-bit words. */
  static void pixelData(AttributeList l, short[] pixels) {
    try {
      OtherWordAttribute pixelData = new OtherWordAttribute(new AttributeTag(0x7FE0, 0x0010));
      pixelData.setValues(pixels);
      l.put(pixelData);
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sopCommonAndPatient(AttributeList l, Slice s) {
    put(l, 0x0008, 0x0005, "ISO_IR 100");
    put(l, 0x0008, 0x0016, SyntheticCt.CT_IMAGE_STORAGE);
    put(l, 0x0008, 0x0018, SyntheticCt.sopInstanceUid(s.spec(), s.study(), s.series(), s.instance()));
    put(l, 0x0008, 0x0012, s.date());
    put(l, 0x0008, 0x0013, time(s.seriesSeconds() + 30));
    long h = s.patientHash();
    boolean female = (h & 1) == 1;
    String[] given = female ? FEMALE_NAMES : MALE_NAMES;
    put(l, 0x0010, 0x0010, SURNAMES[(int) Long.remainderUnsigned(h >>> 8, SURNAMES.length)] + "^"
        + given[(int) Long.remainderUnsigned(h >>> 24, given.length)]);
    put(l, 0x0010, 0x0020, SyntheticCt.patientId(s.spec(), s.study()));
    put(l, 0x0010, 0x0030, DA.format(LocalDate.of(1935, 1, 1).plusDays(Long.remainderUnsigned(h >>> 32, 60L * 365))));
    put(l, 0x0010, 0x0040, female ? "F" : "M");
  }

  private static void studySeriesAndEquipment(AttributeList l, Slice s) {
    // General Study
    put(l, 0x0020, 0x000D, SyntheticCt.studyInstanceUid(s.spec(), s.study()));
    put(l, 0x0008, 0x0020, s.date());
    put(l, 0x0008, 0x0030, time(s.studySeconds()));
    put(l, 0x0008, 0x0090, "Bianchi^Laura");
    put(l, 0x0020, 0x0010, Integer.toString(s.study()));
    put(l, 0x0008, 0x0050, String.format(Locale.ROOT, "A%09d", Long.remainderUnsigned(s.studyHash() >>> 3, 1_000_000_000L)));
    put(l, 0x0008, 0x1030, "TC TORACE");
    // General Series
    put(l, 0x0008, 0x0060, "CT");
    put(l, 0x0020, 0x000E, SyntheticCt.seriesInstanceUid(s.spec(), s.study(), s.series()));
    put(l, 0x0020, 0x0011, Integer.toString(s.series()));
    put(l, 0x0008, 0x0021, s.date());
    put(l, 0x0008, 0x0031, time(s.seriesSeconds()));
    put(l, 0x0008, 0x103E, "Torace " + s.kernel() + " 1.25mm");
    put(l, 0x0018, 0x0015, "CHEST");
    put(l, 0x0018, 0x5100, "HFS");
    // Frame of Reference
    put(l, 0x0020, 0x0052, SyntheticCt.frameOfReferenceUid(s.spec(), s.study()));
    put(l, 0x0020, 0x1040, "");
    // General Equipment
    put(l, 0x0008, 0x0070, "Imago Synthetic");
    put(l, 0x0008, 0x0080, "Ospedale Sintetico");
    put(l, 0x0008, 0x1010, "SYNTH-CT1");
    put(l, 0x0008, 0x1090, "Phantom 64");
    put(l, 0x0018, 0x1020, "1.0");
  }

  private static void imagePlaneAndPixel(AttributeList l, Slice s) {
    // General Image, General Acquisition
    put(l, 0x0020, 0x0013, Integer.toString(s.instance()));
    put(l, 0x0020, 0x0012, "1");
    put(l, 0x0008, 0x0022, s.date());
    put(l, 0x0008, 0x0032, time(s.seriesSeconds()));
    put(l, 0x0008, 0x0023, s.date());
    put(l, 0x0008, 0x0033, time(s.seriesSeconds() + 30));
    // Image Plane (PS3.3 C.7.6.2): the position is the centre of the first transmitted pixel
    double spacing = FOV_MM / s.spec().columns();
    double z = -SLICE_MM * (s.instance() - 1) + 0.0; // + 0.0 turns -0.0 into 0.0 (no "-0" in DS)
    put(l, 0x0028, 0x0030, ds(spacing), ds(spacing));
    put(l, 0x0020, 0x0037, "1", "0", "0", "0", "1", "0");
    put(l, 0x0020, 0x0032, ds(-FOV_MM / 2 + spacing / 2), ds(-spacing * s.spec().rows() / 2 + spacing / 2), ds(z));
    put(l, 0x0018, 0x0050, ds(SLICE_MM));
    put(l, 0x0018, 0x0088, ds(SLICE_MM));
    put(l, 0x0020, 0x1041, ds(z));
    // Image Pixel: signed 16-bit, stored = HU - RescaleIntercept
    put(l, 0x0028, 0x0002, "1");
    put(l, 0x0028, 0x0004, "MONOCHROME2");
    put(l, 0x0028, 0x0010, Integer.toString(s.spec().rows()));
    put(l, 0x0028, 0x0011, Integer.toString(s.spec().columns()));
    put(l, 0x0028, 0x0100, "16");
    put(l, 0x0028, 0x0101, "16");
    put(l, 0x0028, 0x0102, "15");
    put(l, 0x0028, 0x0103, "1");
  }

  private static void ctImageAndVoiLut(AttributeList l, Slice s) {
    put(l, 0x0008, 0x0008, "ORIGINAL", "PRIMARY", "AXIAL");
    put(l, 0x0028, 0x1052, Integer.toString(RESCALE_INTERCEPT));
    put(l, 0x0028, 0x1053, "1");
    put(l, 0x0028, 0x1054, "HU");
    put(l, 0x0018, 0x0060, "120");
    put(l, 0x0018, 0x0090, ds(FOV_MM));
    put(l, 0x0018, 0x1100, ds(FOV_MM));
    put(l, 0x0018, 0x1210, s.kernel());
    put(l, 0x0018, 0x1120, "0");
    put(l, 0x0018, 0x1140, "CW");
    put(l, 0x0018, 0x1151, "200");
    // a lung window for the lung kernel, else mediastinum
    boolean lung = "LUNG".equals(s.kernel());
    put(l, 0x0028, 0x1050, lung ? "-600" : "40");
    put(l, 0x0028, 0x1051, lung ? "1500" : "400");
    put(l, 0x0028, 0x1055, lung ? "LUNG" : "MEDIASTINUM");
  }

  /** Puts an attribute with the dictionary's VR; one empty value makes it zero-length (type 2). */
  static void put(AttributeList list, int group, int element, String... values) {
    try {
      Attribute a = AttributeFactory.newAttribute(new AttributeTag(group, element));
      for (String v : values) {
        if (!v.isEmpty() || values.length > 1) a.addValue(v);
      }
      list.put(a);
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }

  /** DS: at most 16 characters (PS3.5 §6.2). */
  private static String ds(double v) {
    String s = String.format(Locale.ROOT, "%.6f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    return s.length() <= 16 ? s : s.substring(0, 16);
  }

  private static String time(int seconds) {
    int s = Math.floorMod(seconds, 24 * 3600);
    return String.format(Locale.ROOT, "%02d%02d%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  /** SplitMix64 finaliser over two values: cheap, well-spread, deterministic. */
  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
