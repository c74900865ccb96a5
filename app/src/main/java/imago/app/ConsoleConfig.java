package imago.app;

import java.time.Duration;

/** The {@code console} section: how often nodes sample what the console plots, and for how long it is kept. */
record ConsoleConfig(Duration sampleInterval, Duration retention) {
  ConsoleConfig {
    if (sampleInterval == null || sampleInterval.isNegative() || sampleInterval.isZero()) {
      throw new IllegalArgumentException("console.sampleInterval must be positive, e.g. PT10S");
    }
    if (retention == null || retention.compareTo(sampleInterval) <= 0) {
      throw new IllegalArgumentException("console.retention must be longer than console.sampleInterval, e.g. P1D");
    }
  }
}
