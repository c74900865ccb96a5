package imago.models.registry;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.inference.engine.Framework;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactInspectorTest {
  @TempDir Path dir;
  private final ArtifactInspector inspector = new ArtifactInspector(256L << 20);

  /** A zip whose one entry inflates to {@code bytes} zeros: a few hundred KB on disk. */
  static Path zipOfZeros(Path file, long bytes) throws Exception {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.setLevel(9);
      zip.putNextEntry(new ZipEntry("archive/data/0"));
      byte[] zeros = new byte[1 << 20];
      for (long left = bytes; left > 0; left -= zeros.length) zip.write(zeros, 0, (int) Math.min(zeros.length, left));
      zip.closeEntry();
    }
    return file;
  }

  private String refusal(Path file, Framework framework) {
    return assertThrows(InvalidArtifactException.class, () -> inspector.inspect(file, framework)).getMessage();
  }

  @Test
  void anEmptyFileIsNotAModel() throws Exception {
    Path f = Files.createFile(dir.resolve("model.pt"));
    assertTrue(refusal(f, Framework.TORCHSCRIPT).contains("empty"));
  }

  @Test
  void theFileMustBeWhatItsFrameworkReads() throws Exception {
    Path text = Files.writeString(dir.resolve("model.pt"), "not a model at all");
    assertTrue(refusal(text, Framework.TORCHSCRIPT).contains("expects a zip archive"), refusal(text, Framework.TORCHSCRIPT));
    assertTrue(refusal(text, Framework.KERAS_H5).contains("expects an HDF5 file"));
    Path zip = zipOfZeros(dir.resolve("small.zip"), 1024);
    assertTrue(refusal(zip, Framework.ONNX).contains("got a zip archive"), refusal(zip, Framework.ONNX));
    assertDoesNotThrow(() -> inspector.inspect(zip, Framework.DL4J));
  }

  /** Security: DL4J deserializes preprocessor.bin with ObjectInputStream; a model carrying Java objects never gets that far. */
  @Test
  void aDl4jZipCarryingSerializedJavaIsRefused() throws Exception {
    Path zip = dir.resolve("model.zip");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      out.putNextEntry(new ZipEntry("configuration.json"));
      out.write("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.putNextEntry(new ZipEntry("preprocessor.bin"));
      java.io.ObjectOutputStream objects = new java.io.ObjectOutputStream(out);
      objects.writeObject(new java.util.HashMap<>(java.util.Map.of("mean", 0.5)));
      objects.flush();
      out.closeEntry();
    }
    String why = refusal(zip, Framework.DL4J);
    assertTrue(why.contains("preprocessor.bin") && why.contains("serialized Java"), why);
    assertDoesNotThrow(() -> inspector.inspect(zip, Framework.TORCHSCRIPT), "TorchScript is read by libtorch, not Java");
  }

  @Test
  void aZipBombIsRefusedBeforeAnyEngineOpensIt() throws Exception {
    Path bomb = zipOfZeros(dir.resolve("bomb.pt"), 100L << 20);
    String why = refusal(bomb, Framework.TORCHSCRIPT);
    assertTrue(why.contains("zip bomb"), why);
  }

  @Test
  void aTruncatedArchiveIsCorrupt() throws Exception {
    Path zip = zipOfZeros(dir.resolve("whole.pt"), 4 << 20);
    byte[] bytes = Files.readAllBytes(zip);
    Path cut = dir.resolve("cut.pt");
    try (OutputStream out = Files.newOutputStream(cut)) {
      out.write(bytes, 0, bytes.length / 2);
    }
    assertTrue(refusal(cut, Framework.TORCHSCRIPT).contains("corrupt zip"), refusal(cut, Framework.TORCHSCRIPT));
  }

  @Test
  void aFlippedByteInAStoredEntryFailsItsCrc() throws Exception {
    // torch.jit.save writes tensors STORED, so a damaged weight would otherwise load and run.
    byte[] data = new byte[64 * 1024];
    for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    Path zip = dir.resolve("stored.pt");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      ZipEntry entry = new ZipEntry("archive/data/0");
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(data.length);
      entry.setCrc(crc.getValue());
      out.putNextEntry(entry);
      out.write(data);
      out.closeEntry();
    }
    assertDoesNotThrow(() -> inspector.inspect(zip, Framework.TORCHSCRIPT));
    byte[] bytes = Files.readAllBytes(zip);
    bytes[bytes.length / 2] ^= 0x5a;
    Path flipped = Files.write(dir.resolve("flipped.pt"), bytes);
    String why = refusal(flipped, Framework.TORCHSCRIPT);
    assertTrue(why.contains("fails its CRC-32 check"), why);
  }
}
