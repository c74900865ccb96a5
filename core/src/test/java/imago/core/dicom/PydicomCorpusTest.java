package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs Part10 + DatasetWalker over every file Debian's python3-pydicom ships as test data and
 * prints a table (file, ok / rejection message) to stdout. It asserts no verdicts, since the
 * corpus deliberately holds broken files; it only asserts that nothing fails with anything but
 * {@link MalformedDicomException} (an index or arithmetic error would be a walker bug).
 */
class PydicomCorpusTest {
  static final Path CORPUS = Path.of("/usr/lib/python3/dist-packages/pydicom/data");
  private static final Set<String> NOT_DICOM = Set.of("py", "pyc", "json", "txt", "md", "dump", "gz");

  static List<Path> corpusFiles() throws IOException {
    try (Stream<Path> files = Files.walk(CORPUS)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> !NOT_DICOM.contains(extension(p)))
          .sorted()
          .toList();
    }
  }

  @Test
  void walksEveryCorpusFileWithoutCrashing() throws IOException {
    assumeTrue(Files.isDirectory(CORPUS), "python3-pydicom test files not installed");
    List<String> crashes = new ArrayList<>();
    StringBuilder table = new StringBuilder("| file | verdict |\n|---|---|\n");
    int ok = 0;
    List<Path> files = corpusFiles();
    for (Path p : files) {
      String verdict;
      try {
        Part10.Header h = Part10Files.validate(Files.readAllBytes(p));
        verdict = "ok (" + h.transferSyntaxUid() + ")";
        ok++;
      } catch (MalformedDicomException e) {
        verdict = "rejected: " + e.getMessage();
      } catch (RuntimeException e) {
        verdict = "CRASH: " + e;
        crashes.add(p + ": " + e);
      }
      table.append("| ").append(CORPUS.relativize(p)).append(" | ").append(verdict).append(" |\n");
    }
    System.out.print(table);
    System.out.printf("%d files, %d ok, %d rejected%n", files.size(), ok, files.size() - ok);
    assertTrue(crashes.isEmpty(), () -> "walker crashed on: " + crashes);
  }

  private static String extension(Path p) {
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1);
  }
}
