package imago.storage.audit;

import java.io.IOException;
import java.util.List;

/** Sends syslog messages to one receiver; connects when it needs to. */
interface SyslogSender extends AutoCloseable {

  /**
   * Sends {@code messages} in order. Returns normally only when each was handed to the transport;
   * an IOException means some may not have been, and the sender reconnects on the next call.
   */
  void send(List<byte[]> messages) throws IOException;

  /** Drops the connection, if any (also from another thread, to end a blocked send). */
  @Override
  void close();

  /** The sender for {@code config}'s transport; over TLS presenting {@code clientKey}'s certificate when asked (may be null). */
  static SyslogSender of(AuditConfig.Syslog config, javax.net.ssl.X509KeyManager clientKey) throws IOException {
    return switch (config.transport()) {
      case UDP -> new UdpSyslogSender(config.host(), config.port());
      case TLS -> new TlsSyslogSender(config.host(), config.port(), TlsSyslogSender.trust(config.trustCa(), clientKey));
      case NONE -> throw new IllegalArgumentException("audit export is off (audit.syslog.transport: none)");
    };
  }
}
