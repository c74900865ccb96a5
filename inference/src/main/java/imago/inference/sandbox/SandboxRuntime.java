package imago.inference.sandbox;

import imago.inference.engine.EngineConfig;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a sandbox process is started with: the command that drops it into its own network
 * namespace (none), its own user, no capabilities and resource limits, all from util-linux
 * ({@code unshare}, {@code setpriv}, {@code prlimit}); the class path it may read; and an
 * environment that holds nothing of the server's. Prepared once per server process.
 */
final class SandboxRuntime {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SandboxRuntime.class);
  /** The server's environment variables a sandbox inherits: where a GPU libtorch and CUDA are. */
  private static final List<String> PASSED_ENV = List.of("PYTORCH_LIBRARY_PATH", "PYTORCH_FLAVOR", "PYTORCH_VERSION",
      "LD_LIBRARY_PATH", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES");
  /**
   * Prefixes of the math libraries' tuning variables a sandbox inherits too: they choose kernels
   * (OPENBLAS_CORETYPE), caches and threads, so a sandboxed model answers bit for bit what the
   * engine answers in the server's process (a host that sets OPENBLAS_CORETYPE otherwise gets
   * another kernel's rounding in the sandbox). They hold no secrets.
   */
  private static final List<String> PASSED_PREFIXES = List.of("OPENBLAS_", "OMP_", "MKL_", "KMP_", "GOTO_");

  private final SandboxConfig config;
  private final EngineConfig engines;
  private final Path dir;
  /** The sandbox user's uid and gid when the server runs as root; null otherwise (same user, own user namespace). */
  private final int[] account;
  private final String classPath;

  private SandboxRuntime(SandboxConfig config, EngineConfig engines, Path dir, int[] account, String classPath) {
    this.config = config;
    this.engines = engines;
    this.dir = dir;
    this.account = account;
    this.classPath = classPath;
  }

  /**
   * Makes what a sandbox needs readable, and nothing of it writable, by its user: the engines'
   * native libraries are unpacked into the cache by a warm-up process of the server's own user
   * (our code, no artifact), then left root's and world-readable, so no model can replace a library
   * another tenant's sandbox loads; the class path is linked or copied under
   * {@code <cacheDir>/../sandbox/lib} where its place is not readable. Fails with what to change
   * when the sandbox user cannot reach the cache.
   */
  static SandboxRuntime prepare(SandboxConfig config, EngineConfig engines) throws IOException {
    Path dir = engines.cacheDir().resolveSibling("sandbox");
    Files.createDirectories(dir);
    Files.createDirectories(engines.cacheDir());
    int[] account = isRoot() ? account(config.user()) : null;
    String classPath = System.getProperty("java.class.path");
    if (account != null) {
      for (Path p : List.of(engines.cacheDir(), dir)) {
        if (!reachableByOthers(p)) {
          throw new IOException("the sandbox user " + config.user() + " cannot reach " + p + " (a folder on its way is "
              + "not o+x; Imago's data folder is private): set inference.cacheDir to a folder outside it");
        }
      }
      classPath = readableClassPath(classPath, Files.createDirectories(dir.resolve("lib")));
      SandboxRuntime runtime = new SandboxRuntime(config, engines, dir, account, classPath);
      runtime.warmUp();
      return runtime;
    }
    return new SandboxRuntime(config, engines, dir, account, classPath);
  }

  /**
   * The cache made root's (a sandbox of an earlier Imago may have owned it), the engines' libraries
   * unpacked into it by a process of the server's user, then everything in it world-readable and
   * nothing writable but by root. A stamp names the engine jars it was done for: a restart skips it.
   */
  private void warmUp() throws IOException {
    Path cache = engines.cacheDir();
    String stamp = String.join("\n", java.util.Arrays.stream(classPath.split(File.pathSeparator))
        .map(e -> Path.of(e).getFileName().toString()).filter(n -> n.matches(".*(pytorch|onnxruntime|nd4j|hdf5|javacpp).*"))
        .sorted().toList());
    Path stampFile = cache.resolve(".warm");
    if (Files.isRegularFile(stampFile, LinkOption.NOFOLLOW_LINKS)
        && ((Integer) Files.getAttribute(stampFile, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == 0
        && Files.readString(stampFile).equals(stamp)) {
      return;
    }
    // Not stamped by root for these engines: whatever is there may have been written by a sandbox
    // (an earlier Imago let them write it), so it goes, and root unpacks the libraries afresh.
    try (Stream<Path> all = Files.walk(cache)) {
      all.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(cache)).forEach(p -> p.toFile().delete());
    }
    ownTree(cache, 0, 0);
    List<String> cmd = new ArrayList<>(List.of("unshare", "--net", "--"));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + config.heap(),
        "-XX:+UseSerialGC", "-cp", classPath, SandboxMain.class.getName(), SandboxMain.WARM_UP, cache.toString(),
        Integer.toString(engines.threads()), Boolean.toString(engines.useGpu())));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(config.loadTimeout().toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("unpacking the engines' libraries took longer than " + config.loadTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    ownTree(cache, 0, 0);
    readableTree(cache);
    if (p.exitValue() == 0) {
      Files.writeString(stampFile, stamp);
    } else {
      LOG.warn("event=sandbox.warm_up.failed exit={} note=\"the engines' libraries may be missing; a model that needs "
          + "them fails its load with the reason, and the next start tries again\"", p.exitValue());
    }
  }

  /** A fresh folder for one sandbox, still root's (0700): its user gets it in {@link #handOver}, once it is filled. */
  Path newWorkDir() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    // others may pass through to the folder they were given, never list the folders of other sandboxes
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
    return Files.createTempDirectory(work, "p" + ProcessHandle.current().pid() + "-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
  }

  /**
   * {@code source} copied into {@code work} (the server's own file stays private), and then the
   * folder and what is in it given to the sandbox user: nothing there is touched by root through a
   * path the sandbox user could have replaced with a link.
   */
  Path handOver(Path source, Path work) throws IOException {
    Path copy = source == null ? null : work.resolve(source.getFileName().toString());
    if (copy != null) Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
    if (account != null) {
      if (copy != null) chown(copy, account);
      chown(work, account);
    }
    return copy;
  }

  /** Gives a path (the sandbox's socket) to the sandbox user, before the folder is handed over. */
  void own(Path p) throws IOException {
    if (account != null) chown(p, account);
  }

  /** The command line of a sandbox JVM working in {@code work}. */
  List<String> command(Path work) {
    return command(work, SandboxMain.class.getName());
  }

  /** The same, running {@code mainClass} with {@code args} (tests probe the sandbox from inside with it). */
  List<String> command(Path work, String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    // A PID namespace of its own, killed whole with its first process (--kill-child when unshare is
    // killed): nothing a model starts outlives its sandbox.
    if (account != null) {
      // setpriv --pdeathsig keep: changing the user would otherwise clear the death signal --kill-child set
      cmd.addAll(List.of("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--", "setpriv",
          "--pdeathsig", "keep",
          "--reuid=" + account[0], "--regid=" + account[1], "--clear-groups", "--no-new-privs", "--inh-caps=-all",
          "--bounding-set=-all", "--"));
    } else {
      // Not root: a user namespace of our own makes the empty network namespace possible; the user stays ours.
      cmd.addAll(List.of("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
          "--"));
    }
    cmd.addAll(List.of("prlimit", "--as=" + config.memoryBytes(), "--core=0", "--nofile=1024", "--fsize=" + (8L << 30), "--",
        // Below the server's own threads (DIMSE, HTTP, ingest) when cores are short.
        "nice", "-n", "10",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + config.heap(), "-Xss1m",
        "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Djava.io.tmpdir=" + work,
        "-Duser.home=" + work, "-Djava.awt.headless=true", "-cp", classPath, mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The sandbox's whole environment: nothing of the server's but where GPU libraries are. */
  Map<String, String> environment(Path work, Integer gpu) {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", work.toString());
    env.put("LANG", "C.UTF-8");
    env.put("MALLOC_ARENA_MAX", "2"); // glibc reserves 64 MiB of address space per arena otherwise
    for (String name : PASSED_ENV) {
      String v = System.getenv(name);
      if (v != null) env.put(name, v);
    }
    System.getenv().forEach((name, v) -> {
      if (PASSED_PREFIXES.stream().anyMatch(name::startsWith)) env.put(name, v);
    });
    if (gpu != null) env.put("CUDA_VISIBLE_DEVICES", Integer.toString(gpu));
    return env;
  }

  EngineConfig engines() {
    return engines;
  }

  SandboxConfig config() {
    return config;
  }

  /** Whether sandboxes run as a user of their own (the server runs as root). */
  boolean ownUser() {
    return account != null;
  }

  private static boolean isRoot() {
    try {
      return "0".equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString());
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static int[] account(String user) throws IOException {
    try {
      return new int[] {Integer.parseInt(run("id", "-u", user)), Integer.parseInt(run("id", "-g", user))};
    } catch (NumberFormatException e) {
      throw new IOException("no user '" + user + "' for sandboxes (inference.sandbox.user)", e);
    }
  }

  private static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + ": " + out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }

  /** Every folder from the root to {@code p} lets others through, and {@code p} itself lets them read. */
  private static boolean reachableByOthers(Path p) throws IOException {
    Path abs = p.toAbsolutePath().normalize();
    for (Path at = abs; at != null; at = at.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(at);
      if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
      if (at.equals(abs) && Files.isRegularFile(at) && !perms.contains(PosixFilePermission.OTHERS_READ)) return false;
    }
    return true;
  }

  /**
   * The class path with each entry the sandbox user could not read (a Maven repository under
   * /root, say) replaced by a hard link (or a copy) under {@code lib}; folders of classes are copied.
   */
  private static String readableClassPath(String classPath, Path lib) throws IOException {
    List<String> entries = new ArrayList<>();
    for (String e : classPath.split(File.pathSeparator)) {
      if (e.isBlank()) continue;
      Path p = Path.of(e).toAbsolutePath().normalize();
      if (!Files.exists(p) || reachableByOthers(p) && (Files.isDirectory(p) || readable(p))) {
        entries.add(p.toString());
        continue;
      }
      String name = Integer.toHexString(p.toString().hashCode()) + "-" + p.getFileName();
      Path target = lib.resolve(name);
      if (Files.isDirectory(p)) {
        copyTree(p, target);
      } else if (!Files.exists(target) || Files.size(target) != Files.size(p)
          || Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(p)) < 0) {
        Files.deleteIfExists(target);
        boolean linked = false;
        if (readable(p)) { // only its folder is closed: a hard link opens it (a link shares the file's mode)
          try {
            Files.createLink(target, p);
            linked = true;
          } catch (IOException | UnsupportedOperationException notSameDisk) {
            // copied below
          }
        }
        if (!linked) {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
      entries.add(target.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  private static boolean readable(Path file) throws IOException {
    return Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
          Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
  }

  /** Every entry of {@code root} owned by uid/gid (links themselves, never what they point to). */
  private static void ownTree(Path root, int uid, int gid) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)) != uid) chown(p, new int[] {uid, gid});
      }
    }
  }

  /** Folders 0755, files readable by all (their execute bits kept), links left alone: root writes, sandboxes read. */
  private static void readableTree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (Files.isSymbolicLink(p)) continue;
        java.util.Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        perms.removeAll(List.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE));
        perms.addAll(List.of(PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          perms.addAll(List.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
              PosixFilePermission.OTHERS_EXECUTE));
        }
        Files.setPosixFilePermissions(p, perms);
      }
    }
  }

  private static void chown(Path p, int[] account) throws IOException {
    Files.setAttribute(p, "unix:uid", account[0], LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", account[1], LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Removes a sandbox's folder. Once handed over, the folder is its user's: it is removed as that
   * user ({@code rm} under {@code setpriv}), so a link planted in it can lead nowhere that user
   * could not reach anyway.
   */
  void delete(Path work) {
    if (work == null || !Files.exists(work, LinkOption.NOFOLLOW_LINKS)) return;
    try {
      boolean handedOver = account != null
          && ((Integer) Files.getAttribute(work, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == account[0];
      if (!handedOver) {
        deleteTree(work);
        return;
      }
      // what is inside, as its user (a folder it closed with chmod 000 opened first); then the folder
      // itself by root, whose parent folder only root can change, so that name is not a link
      String inside = "chmod -R u+rwX -- \"$1\" 2>/dev/null; rm -rf --one-file-system -- \"$1\"/* \"$1\"/.[!.]* 2>/dev/null";
      Process rm = new ProcessBuilder("setpriv", "--reuid=" + account[0], "--regid=" + account[1], "--clear-groups",
          "--no-new-privs", "--", "sh", "-c", inside, "sh", work.toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!rm.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) rm.destroyForcibly();
      Files.deleteIfExists(work);
    } catch (IOException | RuntimeException e) {
      // a leftover folder of a finished sandbox; the next start's sweep removes it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A folder only the server's user has had (never handed over): removed directly. */
  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // a leftover folder; the next start's sweep removes it
    }
  }

  /** Folders of sandboxes whose server process is gone (killed before it could remove them). */
  void sweep() {
    try (Stream<Path> old = Files.list(dir.resolve("work"))) {
      old.filter(p -> {
        String name = p.getFileName().toString();
        int dash = name.indexOf('-');
        if (!name.startsWith("p") || dash < 0) return false;
        try {
          return ProcessHandle.of(Long.parseLong(name.substring(1, dash))).map(h -> !h.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
          return false;
        }
      }).forEach(this::delete);
    } catch (IOException e) {
      // nothing to sweep
    }
  }
}
