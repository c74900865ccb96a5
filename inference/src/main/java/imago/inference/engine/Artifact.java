package imago.inference.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * What an artifact file is, judged from its bytes before any engine sees it: engines given the
 * wrong kind of file answer with messages no researcher can act on, and a zip that expands to
 * gigabytes must be refused before a native reader allocates for it.
 */
record Artifact(Kind kind, Optional<String> dl4jConfiguration) {

  /** The file kinds told apart by their first bytes and, for zips, their entry names. */
  enum Kind {
    TORCHSCRIPT("a TorchScript archive"),
    TORCH_CHECKPOINT("a PyTorch checkpoint saved with torch.save (a state dict or pickled module), not TorchScript:"
        + " export it with torch.jit.script or torch.jit.trace and torch.jit.save"),
    DL4J_ZIP("a DL4J model zip"),
    KERAS3_ARCHIVE("a Keras 3 .keras archive; save the model in the HDF5 format (.h5) instead"),
    OTHER_ZIP("a zip archive of unknown content"),
    HDF5("an HDF5 file (Keras .h5)"),
    ONNX("an ONNX model"),
    PICKLE("a Python pickle (legacy torch.save), not TorchScript"),
    OTHER("a file of unknown format");

    final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  /** Expanded zip content beyond this many times the file size is refused, above {@link #BOMB_FLOOR}. */
  static final long MAX_EXPANSION = 100;

  static final long BOMB_FLOOR = 64L << 20;

  private static final long MAX_DL4J_CONFIGURATION = 16L << 20;

  private static final byte[] ZIP = {'P', 'K', 3, 4};
  private static final byte[] EMPTY_ZIP = {'P', 'K', 5, 6};
  private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

  /** Reads the file's header (and a zip's directory) and tells what it is. */
  static Artifact inspect(Path path) throws ModelLoadException {
    long size;
    byte[] head = new byte[8];
    int read;
    try {
      if (Files.isDirectory(path)) {
        throw new ModelLoadException("artifact is a directory, not a model file: " + path.getFileName());
      }
      size = Files.size(path);
      try (InputStream in = Files.newInputStream(path)) {
        read = in.readNBytes(head, 0, head.length);
      }
    } catch (NoSuchFileException e) {
      throw new ModelLoadException("artifact not found: " + path);
    } catch (IOException e) {
      throw new ModelLoadException("artifact cannot be read: " + EngineMessages.oneLine(e), e);
    }
    if (size == 0) {
      throw new ModelLoadException("artifact is empty (0 bytes)");
    }
    if (startsWith(head, read, ZIP) || startsWith(head, read, EMPTY_ZIP)) {
      return inspectZip(path, size);
    }
    if (startsWith(head, read, HDF5_SIGNATURE)) {
      return new Artifact(Kind.HDF5, Optional.empty());
    }
    // ModelProto's first field is ir_version (field 1, varint), a small number.
    if (read >= 2 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 20) {
      return new Artifact(Kind.ONNX, Optional.empty());
    }
    // Pickle protocol 2+ opens with PROTO (0x80) and the protocol number.
    if (read >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
      return new Artifact(Kind.PICKLE, Optional.empty());
    }
    return new Artifact(Kind.OTHER, Optional.empty());
  }

  /** Fails with a one-line message naming what the file is when it is none of {@code expected}. */
  Artifact require(Framework framework, Kind... expected) throws ModelLoadException {
    if (!Arrays.asList(expected).contains(kind)) {
      throw new ModelLoadException("not " + expectedText(framework) + ": the file is " + kind.description);
    }
    return this;
  }

  static String expectedText(Framework framework) {
    return switch (framework) {
      case TORCHSCRIPT -> "a TorchScript archive";
      case ONNX -> "an ONNX model";
      case KERAS_H5 -> "a Keras HDF5 model";
      case DL4J -> "a DL4J model zip";
    };
  }

  private static Artifact inspectZip(Path path, long size) throws ModelLoadException {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      ZipContents contents = ZipContents.of(zip, size);
      Optional<String> configuration = Optional.empty();
      if (contents.kind == Kind.DL4J_ZIP) {
        configuration = Optional.of(readSmallEntry(zip, "configuration.json"));
      }
      return new Artifact(contents.kind, configuration);
    } catch (ZipException e) {
      throw new ModelLoadException("damaged zip archive: " + EngineMessages.oneLine(e), e);
    } catch (IOException e) {
      throw new ModelLoadException("artifact cannot be read: " + EngineMessages.oneLine(e), e);
    }
  }

  private static String readSmallEntry(ZipFile zip, String name) throws IOException, ModelLoadException {
    ZipEntry entry = zip.getEntry(name);
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] bytes = in.readNBytes((int) MAX_DL4J_CONFIGURATION + 1);
      if (bytes.length > MAX_DL4J_CONFIGURATION) {
        throw new ModelLoadException(name + " is larger than " + (MAX_DL4J_CONFIGURATION >> 20) + " MiB");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static boolean startsWith(byte[] head, int read, byte[] magic) {
    return read >= magic.length && Arrays.equals(head, 0, magic.length, magic, 0, magic.length);
  }

  /** A zip's directory, checked against the bytes its entries really expand to. */
  private static final class ZipContents {
    private boolean torchCode;
    private boolean torchData;
    private boolean dl4jConfiguration;
    private boolean dl4jCoefficients;
    private boolean kerasConfig;
    private Kind kind = Kind.OTHER_ZIP;

    static ZipContents of(ZipFile zip, long fileSize) throws IOException, ModelLoadException {
      long budget = fileSize > Long.MAX_VALUE / MAX_EXPANSION
          ? Long.MAX_VALUE
          : Math.max(BOMB_FLOOR, fileSize * MAX_EXPANSION);
      ZipContents contents = new ZipContents();
      long expanded = 0;
      int entries = 0;
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        entries++;
        contents.note(entry.getName());
        expanded += expandedSize(zip, entry, budget - expanded, fileSize);
        if (expanded > budget) {
          throw bomb(expanded, fileSize);
        }
      }
      if (entries == 0) {
        throw new ModelLoadException("artifact is an empty zip archive");
      }
      contents.decide();
      return contents;
    }

    /**
     * The entry's real expanded size. Stored entries cannot outgrow the file; compressed ones
     * are inflated, counting, and stopped as soon as they pass what is left of the budget.
     */
    private static long expandedSize(ZipFile zip, ZipEntry entry, long budgetLeft, long fileSize)
        throws IOException, ModelLoadException {
      if (entry.isDirectory()) {
        return 0;
      }
      if (entry.getMethod() == ZipEntry.STORED) {
        if (entry.getSize() > fileSize) {
          throw new ModelLoadException("damaged zip archive: entry " + entry.getName()
              + " claims " + entry.getSize() + " bytes in a " + fileSize + "-byte file");
        }
        return entry.getSize();
      }
      if (entry.getSize() > budgetLeft) {
        return entry.getSize();
      }
      long count = 0;
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = zip.getInputStream(entry)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          count += n;
          if (count > budgetLeft) {
            return count;
          }
        }
      }
      return count;
    }

    private static ModelLoadException bomb(long expanded, long fileSize) {
      return new ModelLoadException(String.format(
          "refusing a zip-bomb-like archive: it expands to more than %d MiB from %.1f MiB (limit %dx)",
          expanded >> 20, fileSize / 1048576.0, MAX_EXPANSION));
    }

    private void note(String name) {
      // torch.jit.save writes <name>/code/...; torch.save writes <name>/data.pkl without code/.
      int slash = name.indexOf('/');
      String inner = slash < 0 ? name : name.substring(slash + 1);
      torchCode |= inner.startsWith("code/") || inner.equals("constants.pkl");
      torchData |= inner.equals("data.pkl");
      dl4jConfiguration |= name.equals("configuration.json");
      dl4jCoefficients |= name.equals("coefficients.bin");
      kerasConfig |= name.equals("config.json") || name.equals("model.weights.h5");
    }

    private void decide() {
      if (torchCode && torchData) {
        kind = Kind.TORCHSCRIPT;
      } else if (torchData) {
        kind = Kind.TORCH_CHECKPOINT;
      } else if (dl4jConfiguration && dl4jCoefficients) {
        kind = Kind.DL4J_ZIP;
      } else if (kerasConfig) {
        kind = Kind.KERAS3_ARCHIVE;
      }
    }
  }
}
