package imago.inference.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hard CPU quota for one sandbox: a control group of its own whose CFS quota is {@code cpus}
 * cores' worth of time per period, so a model cannot take more of the machine than its engine
 * threads need, whatever it does. Linux's cgroup v1 {@code cpu} controller ({@code cpu.cfs_quota_us})
 * or cgroup v2 ({@code cpu.max}), whichever this process can write; where neither is writable (a
 * container without cgroup delegation, or not root) there is none, and the sandbox says so.
 */
final class CpuLimit implements AutoCloseable {
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final long PERIOD_US = 100_000;
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final Pattern NAME = Pattern.compile("imago-sandbox-(\\d{1,18})-\\d+");

  private final Path dir;

  private CpuLimit(Path dir) {
    this.dir = dir;
  }

  /** A new group allowing {@code cpus} cores, or empty when this machine gives Imago no writable cpu controller. */
  static Optional<CpuLimit> create(int cpus) {
    String name = "imago-sandbox-" + ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet();
    long quota = Math.max(1, cpus) * PERIOD_US;
    try {
      Path v1 = ROOT.resolve("cpu");
      if (Files.isRegularFile(v1.resolve("cpu.cfs_quota_us")) && Files.isWritable(v1)) {
        Path dir = Files.createDirectory(v1.resolve(name));
        write(dir.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
        write(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        return Optional.of(new CpuLimit(dir));
      }
      Path controllers = ROOT.resolve("cgroup.controllers");
      if (Files.isRegularFile(controllers) && Files.readString(controllers).contains("cpu") && Files.isWritable(ROOT)) {
        String enabled = Files.readString(ROOT.resolve("cgroup.subtree_control"));
        if (!enabled.contains("cpu")) write(ROOT.resolve("cgroup.subtree_control"), "+cpu");
        Path dir = Files.createDirectory(ROOT.resolve(name));
        write(dir.resolve("cpu.max"), quota + " " + PERIOD_US);
        return Optional.of(new CpuLimit(dir));
      }
    } catch (IOException | RuntimeException e) {
      // not permitted here: no hard quota
    }
    return Optional.empty();
  }

  /**
   * Removes the groups earlier Imago processes left behind: {@code imago-sandbox-<pid>-<n>} whose
   * server process {@code pid} is gone (killed before it could close them). A group still holding a
   * process is not removable and stays. Returns how many were removed.
   */
  static int sweep() {
    int removed = 0;
    for (Path root : List.of(ROOT.resolve("cpu"), ROOT)) {
      if (!Files.isDirectory(root)) continue;
      try (DirectoryStream<Path> groups = Files.newDirectoryStream(root, "imago-sandbox-*")) {
        for (Path group : groups) {
          Matcher m = NAME.matcher(group.getFileName().toString());
          if (!m.matches() || ProcessHandle.of(Long.parseLong(m.group(1))).isPresent()) continue;
          try {
            Files.delete(group);
            removed++;
          } catch (IOException e) {
            // a process is still in it, or it is not ours to remove
          }
        }
      } catch (IOException | RuntimeException e) {
        // not readable here: nothing to sweep
      }
    }
    return removed;
  }

  /** Moves {@code pid} (the sandbox, before it loads anything) into the group. */
  void join(long pid) throws IOException {
    write(dir.resolve("cgroup.procs"), Long.toString(pid));
  }

  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value, StandardCharsets.US_ASCII);
  }

  /** Removes the group once its process has ended (a group with a process in it stays until then). */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // still has a process, or already gone: the next start's sweep is not needed, the kernel keeps it empty
    }
  }
}
