package imago.storage.audit;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.time.Duration;
import java.util.Locale;

/**
 * The {@code audit} section of the configuration: where audit rows are exported (see
 * imago-defaults.yaml for every key).
 */
public record AuditConfig(Syslog syslog) {

  /** How audit messages travel to the receiver. */
  public enum Transport {
    /** Not exported: the rows stay in the index only. */
    NONE,
    /** RFC 5426: one datagram per message, best effort (nothing tells Imago a message was lost). */
    UDP,
    /** RFC 5425: TLS with octet-counting framing; the receiver's certificate is checked; retried until it is back. */
    TLS;

    @JsonCreator
    public static Transport parse(String value) {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
  }

  /**
   * A syslog receiver (an IHE ATNA Audit Record Repository, rsyslog...).
   *
   * @param transport none, udp or tls
   * @param host the receiver's host name or address (TLS: the name its certificate carries)
   * @param port its port (6514 is syslog over TLS; 514 is the usual UDP port)
   * @param appName the RFC 5424 APP-NAME Imago's messages carry
   * @param trustCa PEM file of the CA certificates the receiver's certificate must chain to; empty:
   *     the JDK's default trust store
   * @param pollInterval how often the exporter looks for new audit rows when it has none to send
   */
  public record Syslog(Transport transport, String host, int port, String appName, String trustCa, Duration pollInterval) {
    public Syslog {
      if (transport == null) transport = Transport.NONE;
      if (appName == null || appName.isBlank()) appName = "imago";
      if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) pollInterval = Duration.ofSeconds(1);
      if (transport != Transport.NONE && (host == null || host.isBlank())) {
        throw new IllegalArgumentException("audit.syslog.host is required with transport " + transport.name().toLowerCase(Locale.ROOT));
      }
      if (transport != Transport.NONE && (port < 1 || port > 65535)) {
        throw new IllegalArgumentException("audit.syslog.port " + port + " is not a port (1-65535)");
      }
    }

    public boolean enabled() {
      return transport != Transport.NONE;
    }
  }
}
