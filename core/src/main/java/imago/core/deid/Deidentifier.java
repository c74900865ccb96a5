package imago.core.deid;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;
import imago.core.deid.ConfidentialityProfile.Action;
import imago.core.deid.ConfidentialityProfile.Option;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * De-identifies one instance for a research project, per DICOM PS3.15 Annex E: the Basic
 * Application Level Confidentiality Profile with the project's options, applied to every
 * attribute, in sequences too ({@link ConfidentialityProfile}). What stays consistent within a
 * project, and differs between projects, comes from the project's key (HMAC-SHA-256):
 * <ul>
 *   <li>the patient's pseudonym, which becomes both Patient ID and Patient's Name;
 *   <li>every UID the profile replaces, so that references between instances (an SR to its image,
 *       a SEG to its source) still resolve in the de-identified copy;
 *   <li>with Retain Longitudinal Temporal Information Modified Dates, a per-patient shift of every
 *       date (one to ten years back), so intervals between a patient's studies are kept.
 * </ul>
 * Private attributes are removed (Retain Safe Private is not offered: no list of safe private
 * attributes is kept), and Patient Identity Removed, De-identification Method and its code
 * sequence say what was done. Text that Clean Descriptors or Clean Structured Content would have
 * to read and rewrite is emptied instead: nothing is guessed safe.
 */
public final class Deidentifier {
  /** The options a project may choose (Retain UIDs and Retain Safe Private would defeat the rest). */
  public static final Set<Option> SUPPORTED = EnumSet.complementOf(EnumSet.of(Option.RETAIN_UIDS, Option.RETAIN_SAFE_PRIVATE));
  private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
  private static final String DUMMY = "ANONYMOUS";
  /** Value representations of free text. */
  private static final Set<String> FREE_TEXT = Set.of("UT", "LT", "ST");
  /** Modalities whose images often carry burned-in text when Burned In Annotation does not say otherwise. */
  private static final Set<String> BURNED_IN_MODALITIES = Set.of("US", "XA", "RF", "ES", "SC", "OT", "XC", "GM", "IO", "PX",
      "DOC", "OP", "SM", "ECG");

  private final byte[] key;
  private final Set<Option> options;
  private final ConfidentialityProfile profile = ConfidentialityProfile.table();

  /** @param key the project's secret (at least 32 bytes); it never leaves Imago */
  public Deidentifier(byte[] key, Set<Option> options) {
    if (key.length < 32) throw new IllegalArgumentException("a project key has at least 256 bits");
    if (!SUPPORTED.containsAll(options)) {
      throw new IllegalArgumentException("not offered: " + EnumSet.complementOf(EnumSet.copyOf(SUPPORTED)));
    }
    if (options.contains(Option.RETAIN_LONGITUDINAL_FULL_DATES) && options.contains(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES)) {
      throw new IllegalArgumentException("full dates and modified dates exclude each other");
    }
    this.key = key.clone();
    this.options = options.isEmpty() ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(options);
  }

  /** The de-identified copy of {@code source}, an instance of {@code tenantId} (its File Meta Information is not copied). */
  public AttributeList apply(AttributeList source, String tenantId) throws DicomException {
    String patientId = Attribute.getSingleStringValueOrEmptyString(source, TagFromName.PatientID);
    String pseudonym = pseudonym(tenantId, patientId);
    long shift = dateShiftDays(tenantId, patientId);
    AttributeList out = new AttributeList();
    copy(source, out, shift);
    put(out, TagFromName.PatientName, pseudonym);
    put(out, TagFromName.PatientID, pseudonym);
    put(out, TagFromName.PatientIdentityRemoved, "YES");
    put(out, TagFromName.DeidentificationMethod, "Imago research: PS3.15 Basic Profile"
        + (options.isEmpty() ? "" : " + " + String.join(", ", options.stream().map(Option::meaning).toList())));
    SequenceAttribute methods = new SequenceAttribute(TagFromName.DeidentificationMethodCodeSequence);
    methods.addItem(code("113100", "Basic Application Confidentiality Profile"));
    for (Option o : options) methods.addItem(code(o.code(), o.meaning()));
    out.put(methods);
    if (options.contains(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES)) {
      put(out, new AttributeTag(0x0028, 0x0303), "MODIFIED"); // Longitudinal Temporal Information Modified
    } else if (options.contains(Option.RETAIN_LONGITUDINAL_FULL_DATES)) {
      put(out, new AttributeTag(0x0028, 0x0303), "UNMODIFIED");
    }
    return out;
  }

  /**
   * Whether an image may show identifying text in its pixels, which no attribute rule removes:
   * Burned In Annotation YES, or absent for a modality that often carries it (ultrasound,
   * angiography, secondary captures, photographs...). Such instances stay out of a project unless
   * it has a Clean Pixel Data rule for the modality.
   */
  public static boolean mayShowBurnedInText(AttributeList dataset) {
    String burned = Attribute.getSingleStringValueOrEmptyString(dataset, TagFromName.BurnedInAnnotation).trim();
    if (burned.equalsIgnoreCase("YES")) return true;
    if (burned.equalsIgnoreCase("NO")) return false;
    String modality = Attribute.getSingleStringValueOrEmptyString(dataset, TagFromName.Modality).trim();
    return BURNED_IN_MODALITIES.contains(modality);
  }

  /** The patient's pseudonym in this project: "P" and 16 base-32 characters. */
  public String pseudonym(String tenantId, String patientId) {
    byte[] h = mac("patient\u0000" + tenantId + "\u0000" + patientId);
    StringBuilder s = new StringBuilder("P");
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    long bits = 0;
    int have = 0;
    for (int i = 0; s.length() < 17; ) {
      if (have < 5) {
        bits = (bits << 8) | (h[i++] & 0xff);
        have += 8;
      }
      s.append(alphabet.charAt((int) (bits >>> (have - 5)) & 31));
      have -= 5;
    }
    return s.toString();
  }

  /** The UID that replaces {@code uid} in this project: 2.25 and a 128-bit number. */
  public String uid(String uid) {
    byte[] h = mac("uid\u0000" + uid.trim());
    return "2.25." + new BigInteger(1, java.util.Arrays.copyOf(h, 16));
  }

  /** How many days this patient's dates move back in this project: 365 to 3,650. */
  long dateShiftDays(String tenantId, String patientId) {
    byte[] h = mac("dates\u0000" + tenantId + "\u0000" + patientId);
    return 365 + Math.floorMod(new BigInteger(1, java.util.Arrays.copyOf(h, 8)).longValue(), 3286);
  }

  /**
   * Copies {@code in} into {@code out} through the table, and what it does not list by what it
   * holds ({@link #unlisted}): a TEXT item's Text Value is emptied, its codes and references stay.
   */
  private void copy(AttributeList in, AttributeList out, long shift) throws DicomException {
    for (Attribute a : in.values()) {
      AttributeTag tag = a.getTag();
      int group = tag.getGroup();
      if (group % 2 == 1 || group == 0x0002) continue; // private attributes and their creators; File Meta
      if (group >= 0x6000 && group <= 0x601E) continue; // overlays: the whole group, not only its data
      Action action = profile.action((group << 16) | tag.getElement(), options);
      if (action == null) action = unlisted(a);
      if (action == Action.X) continue;
      if (a instanceof SequenceAttribute sq) {
        SequenceAttribute copy = new SequenceAttribute(tag);
        boolean content = tag.equals(TagFromName.ContentSequence);
        // a kept or cleaned sequence's items go through the same table; a dummy one (an institution's or a
        // person's codes, graphic annotations) keeps no item, and neither does an emptied one
        if (action == Action.K || action == Action.C || action == Action.U || (action == Action.D && content)) {
          for (int i = 0; i < sq.getNumberOfItems(); i++) {
            AttributeList item = new AttributeList();
            copy(sq.getItem(i).getAttributeList(), item, shift);
            copy.addItem(item);
          }
        }
        out.put(copy);
        continue;
      }
      byte[] vr = a.getVR();
      String vrName = new String(vr, StandardCharsets.US_ASCII);
      Attribute copy = AttributeFactory.newAttribute(tag, vr);
      if (action == Action.K) {
        out.put(a);
        continue;
      }
      boolean binary = vrName.startsWith("O") || vrName.equals("UN");
      String[] values = a.getVL() == 0 || binary ? null : a.getStringValues();
      if (values == null) values = new String[0]; // an empty value stays empty, whatever the action
      switch (action) {
        case Z -> { }
        case U -> {
          for (String v : values) copy.addValue(uid(v));
        }
        case C -> {
          if (isTemporal(vrName) && options.contains(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES)) {
            for (String v : values) copy.addValue(shifted(vrName, v, shift));
          } else if (isTemporal(vrName) && options.contains(Option.RETAIN_LONGITUDINAL_FULL_DATES)) {
            out.put(a);
            continue;
          }
          // text to clean: emptied, not rewritten
        }
        case D -> {
          if (vrName.equals("UI")) {
            for (String v : values) copy.addValue(uid(v));
          } else {
            String dummy = dummy(vrName);
            if (dummy != null) copy.addValue(dummy);
          }
        }
        default -> throw new IllegalStateException(action.name());
      }
      out.put(copy);
    }
  }

  /**
   * What happens to an attribute Table E.1-1 does not list, by what it holds: a person's name, free
   * text or an address is emptied; a UID is replaced unless DICOM itself defines it (a SOP class, a
   * transfer syntax, a coding scheme); a date follows the dates' rule; anything else (codes, numbers, pixel data) is kept.
   */
  private static Action unlisted(Attribute a) {
    AttributeTag t = a.getTag();
    if (t.getGroup() == 0x0010 && (t.getElement() == 0x0033 || t.getElement() == 0x0034)) {
      return Action.X; // birth and death dates in an alternative calendar: dates as text (LO)
    }
    String vr = vrOf(a);
    if (vr.equals("PN") || vr.equals("UR") || FREE_TEXT.contains(vr)) return Action.Z;
    if (vr.equals("UI")) {
      String v = a.getSingleStringValueOrEmptyString();
      return v.isEmpty() || v.startsWith("1.2.840.10008.") ? Action.K : Action.U;
    }
    if (vr.equals("DA") || vr.equals("DT")) return Action.C;
    return Action.K;
  }

  private static String vrOf(Attribute a) {
    return a.getVR() == null ? "" : new String(a.getVR(), StandardCharsets.US_ASCII);
  }

  private static boolean isTemporal(String vr) {
    return vr.equals("DA") || vr.equals("DT") || vr.equals("TM");
  }

  /** A date moved back {@code days} (a date-time's date part too); a time stays, and so does what is not a date. */
  static String shifted(String vr, String value, long days) {
    if (vr.equals("TM")) return value;
    if (value.length() < 8) return ""; // a year or a month alone cannot be moved by days: dropped
    try {
      String date = LocalDate.parse(value.substring(0, 8), DA).minusDays(days).format(DA);
      return date + value.substring(8);
    } catch (DateTimeParseException e) {
      return "";
    }
  }

  /** A non-zero-length value that identifies no one, by VR; null where a VR has none (then zero-length). */
  private static String dummy(String vr) {
    return switch (vr) {
      case "PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE" -> DUMMY;
      case "DA" -> "19000101";
      case "TM" -> "000000";
      case "DT" -> "19000101000000";
      case "AS" -> "000Y";
      case "IS", "DS", "US", "SS", "UL", "SL", "FL", "FD" -> "0";
      default -> null;
    };
  }

  private static SequenceItem code(String value, String meaning) throws DicomException {
    AttributeList item = new AttributeList();
    put(item, TagFromName.CodeValue, value);
    put(item, TagFromName.CodingSchemeDesignator, "DCM");
    put(item, TagFromName.CodeMeaning, meaning);
    return new SequenceItem(item);
  }

  private static void put(AttributeList list, AttributeTag tag, String value) throws DicomException {
    Attribute a = AttributeFactory.newAttribute(tag);
    a.addValue(value);
    list.put(a);
  }

  private byte[] mac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
