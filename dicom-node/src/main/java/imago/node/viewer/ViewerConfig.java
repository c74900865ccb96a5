package imago.node.viewer;

import java.nio.file.Path;

/** The {@code viewer} section: where OHIF's prebuilt dist/ is (empty: the one scripts/setup.sh fetched). */
public record ViewerConfig(String dist) {
  public Path distDir() {
    return dist == null || dist.isBlank() ? ViewerRouter.defaultDist() : Path.of(dist);
  }
}
