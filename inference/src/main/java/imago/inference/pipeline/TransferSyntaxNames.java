package imago.inference.pipeline;

import com.pixelmed.dicom.TransferSyntax;
import java.util.Map;

/** Transfer Syntax UIDs with their PS3.6 Annex A names, for messages a person reads. */
final class TransferSyntaxNames {

  // PS3.6 Table A-1; PixelMed names most of these too, but not Deflated or the HTJ2K family.
  private static final Map<String, String> NAMES = Map.ofEntries(
      Map.entry("1.2.840.10008.1.2", "Implicit VR Little Endian"),
      Map.entry("1.2.840.10008.1.2.1", "Explicit VR Little Endian"),
      Map.entry("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"),
      Map.entry("1.2.840.10008.1.2.2", "Explicit VR Big Endian"),
      Map.entry("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"),
      Map.entry("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)"),
      Map.entry("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"),
      Map.entry("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)"),
      Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
      Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"),
      Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)"),
      Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
      Map.entry("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"),
      Map.entry("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"),
      Map.entry("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"),
      Map.entry("1.2.840.10008.1.2.5", "RLE Lossless"));

  private TransferSyntaxNames() {}

  /** {@code "transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)"}. */
  static String describe(String uid) {
    if (uid == null || uid.isEmpty()) {
      return "transfer syntax unknown (no Transfer Syntax UID (0002,0010))";
    }
    return "transfer syntax " + uid + " (" + name(uid) + ")";
  }

  static String name(String uid) {
    String name = NAMES.get(uid);
    if (name != null) {
      return name;
    }
    TransferSyntax ts = new TransferSyntax(uid);
    return ts.isRecognized() ? ts.getDescription() : "not a transfer syntax this decoder knows";
  }
}
