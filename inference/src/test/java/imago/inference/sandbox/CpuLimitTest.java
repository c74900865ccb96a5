package imago.inference.sandbox;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Control groups an Imago process could not remove (it was killed) go at the next start. */
class CpuLimitTest {
  private static final Path V1 = Path.of("/sys/fs/cgroup/cpu");

  @Test
  void groupsOfEndedServersAreSweptAndLiveOnesStay() throws Exception {
    assumeTrue(Files.isWritable(V1), "no writable cgroup v1 cpu controller on this machine");
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    Path orphan = Files.createDirectory(V1.resolve("imago-sandbox-" + ended.pid() + "-1"));
    try (CpuLimit live = CpuLimit.create(1).orElseThrow()) {
      Path mine = V1.resolve("imago-sandbox-" + ProcessHandle.current().pid() + "-");
      assertTrue(CpuLimit.sweep() >= 1);
      assertFalse(Files.exists(orphan), "the killed server's group is gone");
      try (var groups = Files.list(V1)) {
        assertTrue(groups.anyMatch(g -> g.toString().startsWith(mine.toString())), "this server's own group stays");
      }
    } finally {
      Files.deleteIfExists(orphan);
    }
  }
}
