package imago.inference.sandbox;

import java.time.Duration;

/**
 * The {@code inference.sandbox} section: how researchers' models are kept out of the server.
 *
 * @param enabled run every model in a sandbox process (false only for development: models then
 *     load inside the server, with everything the server can reach)
 * @param user the account sandboxes run as when Imago runs as root (its own, with nothing to read
 *     in Imago's data folder)
 * @param memoryBytes address space a sandbox may map (RLIMIT_AS): the JVM, the engine and the model
 * @param heap the sandbox JVM's heap (-Xmx); the engines' tensors live outside it
 * @param loadTimeout how long a sandbox may take to start and load its model
 * @param callTimeout how long one batch may run before its sandbox is killed
 */
public record SandboxConfig(boolean enabled, String user, long memoryBytes, String heap, Duration loadTimeout,
    Duration callTimeout) {
  public SandboxConfig {
    user = user == null || user.isBlank() ? "nobody" : user.trim();
    if (memoryBytes <= 0) memoryBytes = 16L << 30;
    heap = heap == null || heap.isBlank() ? "1g" : heap.trim();
    if (!heap.matches("[0-9]+[kmgKMG]?")) throw new IllegalArgumentException("inference.sandbox.heap like 1g, not " + heap);
    loadTimeout = loadTimeout == null ? Duration.ofMinutes(5) : loadTimeout;
    callTimeout = callTimeout == null ? Duration.ofMinutes(2) : callTimeout;
  }

  public static SandboxConfig defaults() {
    return new SandboxConfig(true, null, 0, null, null, null);
  }
}
