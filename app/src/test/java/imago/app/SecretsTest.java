package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Security: a key file is never read half-written, and nobody but Imago's user can read it. */
class SecretsTest {
  @TempDir Path tmp;

  @Test
  void processesStartingTogetherAllGetTheOneWholeKey() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 100; round++) {
        Path file = tmp.resolve("data-" + round).resolve("secrets").resolve("jwt-hs256.key");
        List<Callable<String>> starts = new ArrayList<>();
        for (int i = 0; i < 8; i++) starts.add(() -> Secrets.loadOrCreateKey(file));
        Set<String> keys = new HashSet<>();
        for (Future<String> f : pool.invokeAll(starts)) keys.add(f.get());
        assertEquals(1, keys.size(), "round " + round + ": " + keys);
        assertFalse(keys.iterator().next().isEmpty(), "round " + round + ": an empty key was read");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        try (var left = Files.list(file.getParent())) {
          assertEquals(1, left.count(), "no temporary files left");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theDataFolderIsPrivate(@TempDir Path other) throws Exception {
    Path data = other.resolve("new-data");
    imago.core.io.SecretFiles.privateDirectory(data);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
  }
}
