package imago.links;

/**
 * What a storage SOP class holds, as far as the link encoders care: the value type that
 * references it from a Key Object Selection document (PS3.16 TID 2010: IMAGE, WAVEFORM or
 * COMPOSITE) and the DICOMDIR record type that lists it (PS3.3 Table F.4-1), or none.
 */
enum ObjectKind {
  IMAGE("IMAGE", "IMAGE"),
  STRUCTURED_REPORT("COMPOSITE", "SR DOCUMENT"),
  KEY_OBJECT_SELECTION("COMPOSITE", "KEY OBJECT DOC"),
  PRESENTATION_STATE("COMPOSITE", "PRESENTATION"),
  WAVEFORM("WAVEFORM", "WAVEFORM"),
  ENCAPSULATED_DOCUMENT("COMPOSITE", "ENCAP DOC"),
  /** Non-image classes without a record type here (raw data, registrations, RT objects, private classes). */
  OTHER("COMPOSITE", null);

  private static final String STORAGE = "1.2.840.10008.5.1.4.1.1.";
  private static final String KOS = STORAGE + "88.59";
  private static final String SEGMENTATION = STORAGE + "66.4";
  private static final String RT_IMAGE = STORAGE + "481.1";
  // Standard storage families that are not images (PS3.4 Table B.5-1); everything else under
  // the storage root is an image IOD.
  private static final String[] NON_IMAGE = {"66", "67", "68", "78", "79", "80", "81", "82", "90", "91", "200", "481"};

  final String valueType;
  /** DICOMDIR Directory Record Type, or null when this class gets no record. */
  final String recordType;

  ObjectKind(String valueType, String recordType) {
    this.valueType = valueType;
    this.recordType = recordType;
  }

  static ObjectKind of(String sopClassUid) {
    if (sopClassUid.equals(KOS)) return KEY_OBJECT_SELECTION;
    if (!sopClassUid.startsWith(STORAGE)) return OTHER;
    String family = sopClassUid.substring(STORAGE.length());
    if (family.startsWith("88.")) return STRUCTURED_REPORT;
    if (family.startsWith("11.")) return PRESENTATION_STATE;
    if (family.startsWith("9.")) return WAVEFORM;
    if (family.startsWith("104.")) return ENCAPSULATED_DOCUMENT;
    if (sopClassUid.equals(SEGMENTATION) || sopClassUid.equals(RT_IMAGE)) return IMAGE;
    for (String prefix : NON_IMAGE) {
      if (family.equals(prefix) || family.startsWith(prefix + ".")) return OTHER;
    }
    return IMAGE;
  }
}
