package imago.storage.ingest;

import imago.storage.index.Index;
import imago.storage.index.IndexUnavailableException;
import imago.storage.object.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes objects that no index row points at: what a crash between S3 put and index commit
 * leaves behind. Runs at start-up, before the node accepts anything, over instance objects only
 * (keys of the form tenant/study/series/sop.tag.dcm); objects younger than the grace period are
 * left alone for other node processes that may be mid-ingest.
 */
public final class OrphanSweep {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

  /** What the sweep looked at and removed. */
  public record Result(long examined, List<String> removed) {}

  private final ObjectStore store;
  private final Index index;

  public OrphanSweep(ObjectStore store, Index index) {
    this.store = store;
    this.index = index;
  }

  public Result run(Duration grace) throws IOException, IndexUnavailableException {
    Instant cutoff = Instant.now().minus(grace);
    List<ObjectStore.ObjectInfo> candidates = new ArrayList<>();
    long[] examined = {0};
    store.list("", info -> {
      examined[0]++;
      if (isInstanceKey(info.key()) && !info.lastModified().isAfter(cutoff)) candidates.add(info);
    });
    List<String> removed = new ArrayList<>();
    for (ObjectStore.ObjectInfo info : candidates) {
      if (!index.referencesObject(info.key())) {
        store.remove(info.key());
        removed.add(info.key());
      }
    }
    LOG.info("event=orphan.sweep examined={} removed={}", examined[0], removed.size());
    return new Result(examined[0], removed);
  }

  /**
   * Instance objects are {@code tenant/study/series/sop.tag.dcm}. A kill -9 during an upload to the
   * embedded server also leaves its half-written temporary file, listed as
   * {@code ...sop.tag.dcm-<uuid>}: both are instance debris when no row points at them.
   */
  static boolean isInstanceKey(String key) {
    int slash = key.lastIndexOf('/');
    return key.chars().filter(ch -> ch == '/').count() == 3 && key.indexOf(".dcm", slash) > 0;
  }
}
