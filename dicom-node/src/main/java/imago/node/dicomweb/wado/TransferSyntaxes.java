package imago.node.dicomweb.wado;

import imago.core.dicom.Uids;

/** What WADO-RS needs to know of a transfer syntax: is it native, and which media type carries its frames. */
final class TransferSyntaxes {
  static final String OCTET_STREAM = "application/octet-stream";

  private TransferSyntaxes() {}

  /** Native (uncompressed, not deflated) pixel data, little endian: frames are plain byte ranges of the object. */
  static boolean isNativeLittleEndian(String ts) {
    return Uids.IMPLICIT_VR_LITTLE_ENDIAN.equals(ts) || Uids.EXPLICIT_VR_LITTLE_ENDIAN.equals(ts);
  }

  /** Encapsulated (compressed) pixel data: every standard syntax but the four native ones (PS3.5 §A.4). */
  static boolean isEncapsulated(String ts) {
    return ts != null && !isNativeLittleEndian(ts) && !Uids.EXPLICIT_VR_BIG_ENDIAN.equals(ts)
        && !Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(ts);
  }

  /** PS3.18 Table 8.7.3-5: the media type of a compressed frame in {@code ts}; octet-stream for native ones. */
  static String frameMediaType(String ts) {
    if (ts == null || !isEncapsulated(ts)) return OCTET_STREAM;
    switch (ts) {
      case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70":
        return "image/jpeg";
      case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
        return "image/jls";
      case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91":
        return "image/jp2";
      case "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93":
        return "image/jpx";
      case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203":
        return "image/jphc";
      case "1.2.840.10008.1.2.5":
        return "image/dicom-rle";
      case "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.101":
        return "video/mpeg";
      case "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108":
        return "video/H265";
      default:
        return ts.startsWith("1.2.840.10008.1.2.4.10") ? "video/mp4" : OCTET_STREAM;
    }
  }
}
