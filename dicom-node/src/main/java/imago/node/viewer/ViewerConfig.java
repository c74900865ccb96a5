package imago.node.viewer;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code viewer} section.
 *
 * @param dist OHIF's prebuilt dist/ (empty: the one scripts/setup.sh fetched)
 * @param frameAncestors origins allowed to show the viewer in a frame (an FSE portal); none: only Imago itself
 */
public record ViewerConfig(String dist, List<String> frameAncestors) {
  public ViewerConfig {
    frameAncestors = frameAncestors == null ? List.of() : List.copyOf(frameAncestors);
    for (String origin : frameAncestors) {
      if (!origin.matches("https://[A-Za-z0-9.-]+(:\\d+)?")) {
        throw new IllegalArgumentException("viewer.frameAncestors: an https origin like https://fse.example.org, not " + origin);
      }
    }
  }

  public Path distDir() {
    return dist == null || dist.isBlank() ? ViewerRouter.defaultDist() : Path.of(dist);
  }
}
