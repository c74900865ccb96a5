package imago.storage.audit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The RFC 5424 header Imago's audit messages travel under: {@code <85>1 TIMESTAMP HOSTNAME
 * APP-NAME PROCID IHE+RFC-3881 - BOM XML}. PRI 85 is facility 10 (security/authorization) at
 * severity 5 (notice), and MSGID {@code IHE+RFC-3881} names the message as an audit record, as IHE
 * ITI-20 asks; there is no structured data, and the XML is UTF-8 after a BOM (RFC 5424 §6.4).
 */
final class SyslogMessage {
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
  private static final String MSGID = "IHE+RFC-3881";
  private static final int PRI = 10 * 8 + 5;

  private final String hostname;
  private final String appName;
  private final String procId;

  SyslogMessage(String hostname, String appName, long pid) {
    this.hostname = field(hostname, 255);
    this.appName = field(appName, 48);
    this.procId = field(Long.toString(pid), 128);
  }

  /** The whole message for {@code xml}, an event of {@code at}. */
  byte[] of(Instant at, byte[] xml) {
    // RFC 5424 §6.2.3: at most six fractional digits, in UTC.
    String header = "<" + PRI + ">1 " + at.truncatedTo(ChronoUnit.MICROS) + " " + hostname + " " + appName + " "
        + procId + " " + MSGID + " - ";
    ByteArrayOutputStream out = new ByteArrayOutputStream(header.length() + BOM.length + xml.length);
    out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(BOM);
    out.writeBytes(xml);
    return out.toByteArray();
  }

  /** A header field: printable US-ASCII without spaces, at most {@code max} characters; "-" when empty (NILVALUE). */
  static String field(String value, int max) {
    if (value == null || value.isEmpty()) return "-";
    StringBuilder b = new StringBuilder(Math.min(value.length(), max));
    for (int i = 0; i < value.length() && b.length() < max; i++) {
      char c = value.charAt(i);
      b.append(c >= 33 && c <= 126 ? c : '_');
    }
    return b.toString();
  }
}
