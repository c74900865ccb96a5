package imago.node.dicomweb.wado;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The answers viewers ask for again (rendered images as a radiologist scrolls back through a series,
 * a thumbnail on every study list, a series' metadata each time the study is opened), kept by their
 * ETag up to a byte budget, least recently used first out. A tag stands for one representation of instances that never change, so an entry never
 * goes stale. Two requests for a missing image may both render it: the cache never blocks on work.
 */
final class HotCache {
  private final long budget;
  private long held;
  private final LinkedHashMap<String, byte[]> entries = new LinkedHashMap<>(256, 0.75f, true);

  HotCache(long budgetBytes) {
    this.budget = budgetBytes;
  }

  /** The bytes under {@code etag}, made by {@code make} (outside the cache's lock) when they are not held. */
  byte[] get(String etag, Callable<byte[]> make) throws Exception {
    synchronized (this) {
      byte[] hit = entries.get(etag);
      if (hit != null) return hit;
    }
    byte[] made = make.call();
    if (made.length <= budget / 16) put(etag, made); // one image never crowds out the rest
    return made;
  }

  private synchronized void put(String etag, byte[] bytes) {
    byte[] old = entries.put(etag, bytes);
    held += bytes.length - (old == null ? 0 : old.length);
    var it = entries.entrySet().iterator();
    while (held > budget && it.hasNext()) {
      Map.Entry<String, byte[]> eldest = it.next();
      held -= eldest.getValue().length;
      it.remove();
    }
  }

  /** Bytes held now. */
  synchronized long held() {
    return held;
  }
}
