package imago.inference.engine;

import java.nio.file.Path;

/**
 * The one {@link Engines} of the test JVM. Native libraries are unpacked under the repository's
 * git-ignored {@code .cache/} (libtorch under {@code .cache/djl}), shared by every test run.
 */
public final class TestEngines {

  private static Engines engines;

  private TestEngines() {}

  public static synchronized Engines get() {
    if (engines == null) {
      engines = new Engines(new EngineConfig(
          Runtime.getRuntime().availableProcessors(), repoRoot().resolve(".cache"), true));
    }
    return engines;
  }

  public static Path repoRoot() {
    return Path.of(System.getProperty("imago.repo.root", "..")).toAbsolutePath().normalize();
  }
}
