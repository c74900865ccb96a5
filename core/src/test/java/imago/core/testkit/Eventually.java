package imago.core.testkit;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Tests wait on conditions, never on the clock: {@code eventually(timeout, what, condition)} polls
 * until the condition holds and fails naming {@code what} if it never does. There is no "wait a
 * while, then check nothing happened": such a test waits for a positive sign that the thing had
 * its chance (an event, a later state), then asserts.
 */
public final class Eventually {
  /** A condition that may throw while it is not yet true (a server still starting...). */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A value read again on each try (an HTTP answer, a row). */
  @FunctionalInterface
  public interface Probe<T> {
    T read() throws Exception;
  }

  private Eventually() {}

  /** Returns as soon as {@code condition} holds; fails after {@code timeout}. */
  public static void eventually(Duration timeout, String what, Condition condition) throws InterruptedException {
    eventually(timeout, what, condition::holds, Boolean.TRUE::equals);
  }

  /**
   * Returns the first value {@code probe} reads that {@code done} accepts; fails after
   * {@code timeout}, naming the last value read (or the last exception).
   */
  public static <T> T eventually(Duration timeout, String what, Probe<T> probe, Predicate<? super T> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 5;
    T last = null;
    Exception failure = null;
    while (true) {
      try {
        last = probe.read();
        failure = null;
        if (done.test(last)) return last;
      } catch (Exception e) {
        failure = e;
      }
      if (System.nanoTime() > deadline) {
        AssertionError error = new AssertionError("not within " + timeout + ": " + what
            + (failure == null ? "; last seen: " + last : ""));
        if (failure != null) error.initCause(failure);
        throw error;
      }
      Thread.sleep(pause);
      pause = Math.min(200, pause * 2);
    }
  }
}
