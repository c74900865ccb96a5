package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rendered-image cache: made once while held, least recently used out past the budget, never one giant. */
class HotCacheTest {
  @Test
  void anImageIsMadeOnceWhileHeldAndTheLeastRecentlyUsedGoFirst() throws Exception {
    HotCache cache = new HotCache(1600);
    AtomicInteger made = new AtomicInteger();
    byte[] a = cache.get("a", () -> {
      made.incrementAndGet();
      return new byte[100];
    });
    assertSame(a, cache.get("a", () -> {
      made.incrementAndGet();
      return new byte[100];
    }));
    assertEquals(1, made.get(), "made once");
    for (int i = 0; i < 16; i++) cache.get("x" + i, () -> new byte[100]); // "a" is now the eldest
    assertTrue(cache.held() <= 1600);
    cache.get("a", () -> {
      made.incrementAndGet();
      return new byte[100];
    });
    assertEquals(2, made.get(), "evicted, made again");
    long before = cache.held();
    cache.get("giant", () -> new byte[1000]);
    assertEquals(before, cache.held(), "an image over a sixteenth of the budget is not kept");
  }
}
