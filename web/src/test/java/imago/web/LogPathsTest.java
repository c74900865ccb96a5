package imago.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Registered redactions apply to every path a log line names, in the order they were registered. */
class LogPathsTest {
  @Test
  void registeredRedactionsComposeAndPlainPathsPassThrough() {
    LogPaths.register(path -> path.replaceAll("/secret/[^/]+", "/secret/{s}"));
    LogPaths.register(path -> path.replace("{s}", "{redacted}"));
    assertEquals("/secret/{redacted}/dicomweb/studies", LogPaths.redact("/secret/abc123/dicomweb/studies"));
    assertEquals("/dicomweb/studies", LogPaths.redact("/dicomweb/studies"));
    assertNull(LogPaths.redact(null));
  }
}
