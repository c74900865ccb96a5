package imago.inference.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the engines' native libraries are unpacked, and the process-wide switches the engines read
 * once, when they first start: system properties, so they must be set before any engine class
 * initializes. Everything lives under {@link EngineConfig#cacheDir()}; nothing is downloaded.
 */
final class NativeLibraries {

  private static final Logger log = LoggerFactory.getLogger(NativeLibraries.class);

  private static EngineConfig configured;
  private static boolean onnxRuntimePrepared;

  private NativeLibraries() {}

  /** Sets the engines' system properties; the first configuration in a process wins. */
  static synchronized void configure(EngineConfig config) {
    if (configured != null) {
      if (!configured.equals(config)) {
        log.warn("engines already configured in this process: kept={} ignored={}", configured, config);
      }
      return;
    }
    configured = config;
    Path djl = config.cacheDir().resolve("djl");
    // DJL: never reach the network (model zoo, engine downloads, usage "call home").
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    // DJL reads these through Utils.getEnvOrSystemProperty: the property stands in for the variable.
    System.setProperty("DJL_CACHE_DIR", djl.toString());
    System.setProperty("ENGINE_CACHE_DIR", djl.toString());
    // DJL's ONNX engine otherwise starts libtorch (~430 MB) as a fallback for NDArray operations
    // ONNX Runtime lacks; Imago only copies tensors in and out, which ONNX Runtime does itself.
    System.setProperty("ai.djl.onnx.disable_alternative", "true");
    // Read once by PtEngine when libtorch starts. Inter-op parallelism only serves
    // torch.jit.fork, which exported image models do not use.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    // Read once by DJL's OrtEngine: ONNX Runtime's global thread pools, which every session
    // shares (DjlLoader disables per-session pools), so N models do not start N pools.
    System.setProperty("ai.djl.onnxruntime.num_threads", Integer.toString(config.threads()));
    System.setProperty("ai.djl.onnxruntime.num_interop_threads", "1");
    // JavaCPP (ND4J, HDF5) unpacks its libraries here instead of ~/.javacpp/cache.
    System.setProperty("org.bytedeco.javacpp.cachedir", config.cacheDir().resolve("javacpp").toString());
    // DL4J's resource folder (downloads it would make) stays under the cache as well.
    System.setProperty("org.deeplearning4j.resources.directory", config.cacheDir().resolve("dl4j").toString());
    // On out-of-memory DL4J writes a system report into the working directory through OSHI, whose
    // JNA 4 platform classes do not match the JNA 5 DJL needs: the exception alone is reported.
    System.setProperty("org.deeplearning4j.crash.reporting.enabled", "false");
  }

  /**
   * Unpacks ONNX Runtime's libraries from its jar into the cache once and points the loader at
   * them; otherwise every start extracts ~20 MB into a fresh temporary folder.
   */
  static synchronized void prepareOnnxRuntime() {
    if (onnxRuntimePrepared || System.getProperty("onnxruntime.native.path") != null) {
      return;
    }
    onnxRuntimePrepared = true;
    Optional<String> platform = onnxRuntimePlatform();
    String version = ai.onnxruntime.OrtEnvironment.class.getPackage().getImplementationVersion();
    if (platform.isEmpty() || version == null || configured == null) {
      return;
    }
    String resources = "ai/onnxruntime/native/" + platform.get() + "/";
    Path dir = configured.cacheDir().resolve("onnxruntime").resolve(version + "-" + platform.get());
    try {
      for (String library : new String[] {"onnxruntime", "onnxruntime4j_jni"}) {
        String file = System.mapLibraryName(library);
        if (!unpack(resources + file, dir.resolve(file))) {
          return; // not in this jar (another platform or a custom build): ORT's own loader decides
        }
      }
      System.setProperty("onnxruntime.native.path", dir.toString());
    } catch (IOException e) {
      log.warn("onnxruntime natives not cached, ONNX Runtime extracts them itself: dir={} error={}",
          dir, EngineMessages.oneLine(e));
    }
  }

  /** Copies a class-path resource to {@code target} unless it is there; atomic, so a file present is whole. */
  private static boolean unpack(String resource, Path target) throws IOException {
    if (Files.isRegularFile(target)) {
      return true;
    }
    try (InputStream in = NativeLibraries.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return false;
      }
      Files.createDirectories(target.getParent());
      Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
      try {
        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(partial);
      }
      return true;
    }
  }

  /** ONNX Runtime's name for this platform, as in its jar: {@code linux-x64}, {@code osx-aarch64}. */
  private static Optional<String> onnxRuntimePlatform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String osPart = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.contains("win") ? "win" : null;
    String archPart = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "aarch64" : null;
    return osPart == null || archPart == null ? Optional.empty() : Optional.of(osPart + "-" + archPart);
  }
}
