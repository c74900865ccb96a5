package imago.models.registry;

import imago.inference.engine.Framework;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Looks at an uploaded artifact before any engine does: is it the kind of file its framework reads,
 * and, for the zip-based formats (TorchScript archives, DL4J models), does it inflate to a sane
 * size? Entries are inflated for real, with a budget: a zip's declared sizes may lie.
 */
public final class ArtifactInspector {
  private static final byte[] ZIP = {'P', 'K', 3, 4};
  private static final byte[] HDF5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  private static final int MAX_ENTRIES = 100_000;
  /** ObjectOutputStream's stream magic and version (java.io.ObjectStreamConstants). */
  private static final byte[] JAVA_SERIALIZATION = {(byte) 0xAC, (byte) 0xED, 0x00, 0x05};
  /** Inflated bytes per compressed byte beyond which an archive is treated as a zip bomb. */
  private static final long MAX_RATIO = 200;
  /** Archives that inflate to less than this are never called bombs, whatever their ratio. */
  private static final long RATIO_FLOOR = 64L << 20;

  private final long maxUnpackedBytes;

  public ArtifactInspector(long maxUnpackedBytes) {
    this.maxUnpackedBytes = maxUnpackedBytes;
  }

  /** The file name an artifact of this framework is stored under, in S3 and in caches. */
  public static String fileName(Framework framework) {
    return switch (framework) {
      case TORCHSCRIPT -> "model.pt";
      case ONNX -> "model.onnx";
      case KERAS_H5 -> "model.h5";
      case DL4J -> "model.zip";
    };
  }

  public void inspect(Path file, Framework framework) throws InvalidArtifactException, IOException {
    long size = Files.size(file);
    if (size == 0) throw new InvalidArtifactException("artifact is empty");
    byte[] head = new byte[8];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    boolean zip = startsWith(head, n, ZIP);
    boolean hdf5 = startsWith(head, n, HDF5);
    String seen = zip ? "a zip archive" : hdf5 ? "an HDF5 file" : "bytes " + HexFormat.ofDelimiter(" ").formatHex(head, 0, Math.min(n, 4));
    switch (framework) {
      case TORCHSCRIPT, DL4J -> {
        if (!zip) throw new InvalidArtifactException("framework " + framework.id() + " expects a zip archive ("
            + (framework == Framework.TORCHSCRIPT ? "torch.jit.save" : "ModelSerializer") + " output), got " + seen);
        inspectZip(file, size, framework == Framework.DL4J);
      }
      case KERAS_H5 -> {
        if (!hdf5) throw new InvalidArtifactException("framework keras-h5 expects an HDF5 file (model.save('x.h5')), got " + seen);
      }
      case ONNX -> {
        // An ONNX model is a protobuf ModelProto whose first field is ir_version (field 1, varint): 0x08.
        if (zip || hdf5 || head[0] != 0x08) {
          throw new InvalidArtifactException("framework onnx expects an ONNX protobuf (torch.onnx.export output), got " + seen);
        }
      }
    }
  }

  /**
   * @param noJavaObjects refuse entries that are serialized Java objects: DL4J's ModelSerializer
   *     reads a zip's normalizer and legacy updater ({@code preprocessor.bin}, {@code updater.bin})
   *     with {@code ObjectInputStream} whatever its load flags say, and deserializing a researcher's
   *     bytes inside the server runs whatever gadget chain they carry
   */
  private void inspectZip(Path file, long compressed, boolean noJavaObjects) throws InvalidArtifactException, IOException {
    long total = 0;
    int entries = 0;
    byte[] buf = new byte[64 * 1024];
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        if (++entries > MAX_ENTRIES) throw new InvalidArtifactException("archive has more than " + MAX_ENTRIES + " entries");
        if (entry.getName().contains("..") || entry.getName().startsWith("/")) {
          throw new InvalidArtifactException("archive entry escapes its folder: " + entry.getName());
        }
        // ZipFile checks no CRC for STORED entries (torch.jit.save stores its tensors): check every one here.
        CRC32 crc = new CRC32();
        try (InputStream in = zip.getInputStream(entry)) {
          byte[] head = in.readNBytes(JAVA_SERIALIZATION.length);
          if (noJavaObjects && Arrays.equals(head, JAVA_SERIALIZATION)) {
            throw new InvalidArtifactException("archive entry " + entry.getName() + " is a serialized Java object, which DL4J "
                + "would deserialize inside the server: save the model without its normalizer and updater "
                + "(ModelSerializer.writeModel(model, file, false)) and give the preprocessing in the manifest");
          }
          crc.update(head, 0, head.length);
          total += head.length;
          for (int r; (r = in.read(buf)) > 0; ) {
            crc.update(buf, 0, r);
            total += r;
            if (total > maxUnpackedBytes) {
              throw new InvalidArtifactException("archive inflates to more than " + maxUnpackedBytes
                  + " bytes (limit models.maxUnpackedBytes): refused as a possible zip bomb");
            }
            if (total > RATIO_FLOOR && total / compressed > MAX_RATIO) {
              throw new InvalidArtifactException("archive inflates more than " + MAX_RATIO + "x (" + compressed
                  + " bytes to over " + total + "): refused as a possible zip bomb");
            }
          }
        }
        if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
          throw new InvalidArtifactException("corrupt zip archive: entry " + entry.getName() + " fails its CRC-32 check"
              + " (expected " + Long.toHexString(entry.getCrc()) + ", got " + Long.toHexString(crc.getValue()) + ")");
        }
      }
    } catch (ZipException e) {
      throw new InvalidArtifactException("corrupt zip archive: " + e.getMessage());
    }
    if (entries == 0) throw new InvalidArtifactException("archive has no entries");
  }

  private static boolean startsWith(byte[] head, int n, byte[] magic) {
    if (n < magic.length) return false;
    for (int i = 0; i < magic.length; i++) if (head[i] != magic[i]) return false;
    return true;
  }
}
