package imago.core.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What scripts/setup.sh unpacks under the repository's {@code .cache/} (the OHIF viewer, Swagger
 * UI), found from the working directory up: the launcher runs at the root, tests in a module folder.
 */
public final class SetupCache {
  private SetupCache() {}

  /** {@code .cache/<parts...>} in the nearest folder up that has it; else under the working directory. */
  public static Path find(String... parts) {
    Path relative = Path.of(".cache", parts);
    Path cwd = Path.of("").toAbsolutePath();
    for (Path dir = cwd; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(relative))) return dir.resolve(relative);
    }
    return cwd.resolve(relative);
  }
}
