package imago.storage.audit;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.testkit.PortFinder;
import imago.storage.index.AuditEvent;
import imago.storage.index.AuditTrail;
import imago.storage.index.Database;
import imago.storage.index.SqlAuditTrail;
import imago.storage.index.SqlIndex;
import imago.storage.index.SqlUnavailableException;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import imago.storage.testkit.SyslogReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit export against real receivers (UDP and TLS sockets of the test's own) on the embedded
 * index: every row goes out once, in order, as an RFC 5424 message carrying a DICOM Audit Message,
 * also when the receiver was down while the rows were written.
 */
class AuditExportTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(20);
  @RegisterExtension static final Databases DATABASES = new Databases();
  @TempDir Path tmp;

  private Database db;
  private SqlIndex index;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void freshIndex() throws Exception {
    db = DATABASES.fresh(Backend.H2);
    index = new SqlIndex(db.dataSource());
    index.audit(List.of(row("2.25.1", "retrieve", "before.export@demo"))); // written before export was turned on
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close(); // exporters before their receivers
  }

  private static AuditEvent row(String study, String action, String subject) {
    return new AuditEvent(Instant.now(), subject, "demo", "radiologist", action, study, null, null, "WADO_RS",
        "10.1.2.3", "demo");
  }

  /** The certificate the exporter presents to a receiver that asks for one (null: none). */
  private javax.net.ssl.X509KeyManager clientKey;

  private <T extends AutoCloseable> T opened(T c) {
    open.add(c);
    return c;
  }

  private AuditExporter exporter(AuditTrail trail, AuditConfig.Syslog config, Duration gapWait) throws Exception {
    return opened(new AuditExporter(trail, SyslogSender.of(config, clientKey), "IMAGO", config.appName(), POLL, gapWait, "test").start());
  }

  private AuditExporter exporter(AuditConfig.Syslog config) throws Exception {
    return exporter(new SqlAuditTrail(db.dataSource(), "syslog"), config, AuditExporter.GAP_WAIT);
  }

  private static AuditConfig.Syslog udp(SyslogReceiver r) {
    return new AuditConfig.Syslog(AuditConfig.Transport.UDP, "127.0.0.1", r.port(), "imago", "", POLL);
  }

  private static AuditConfig.Syslog tls(int port, Path ca) {
    return new AuditConfig.Syslog(AuditConfig.Transport.TLS, "127.0.0.1", port, "imago", ca.toString(), POLL);
  }

  private static List<SyslogReceiver.Message> received(SyslogReceiver r, int n) throws InterruptedException {
    return eventually(WAIT, n + " audit messages", r::messages, m -> m.size() >= n);
  }

  private static List<String> studies(List<SyslogReceiver.Message> messages) {
    return messages.stream().map(m -> m.xpath("/AuditMessage/ParticipantObjectIdentification/@ParticipantObjectID")).toList();
  }

  @Test
  void udpCarriesEachRowAsAnRfc5424MessageHoldingADicomAuditMessage() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.udp());
    exporter(udp(receiver));
    index.audit(List.of(new AuditEvent(Instant.now(), "ae:CT_ROOM_1", "demo", "hospital", "store", "2.25.2", null, null,
        "C_STORE", "10.20.0.7", "demo"), row("2.25.3", "query", "dr.rossi@demo")));

    List<SyslogReceiver.Message> m = received(receiver, 2);
    assertEquals(List.of("2.25.2", "2.25.3"), studies(m), "the rows after the export began, in order");
    SyslogReceiver.Message stored = m.get(0);
    assertEquals(85, stored.pri(), "facility 10 (security/authorization), severity 5 (notice)");
    assertEquals(1, stored.version());
    assertEquals("imago", stored.appName());
    assertEquals("IHE+RFC-3881", stored.msgId());
    assertEquals(Long.toString(ProcessHandle.current().pid()), stored.procId());
    assertTrue(stored.bom(), "RFC 5424 §6.4: a UTF-8 message starts with a BOM");
    Instant.parse(stored.timestamp());
    assertEquals("110104", stored.xpath("/AuditMessage/EventIdentification/EventID/@csd-code"));
    assertEquals("DCM", stored.xpath("/AuditMessage/EventIdentification/EventID/@codeSystemName"));
    assertEquals("C", stored.xpath("/AuditMessage/EventIdentification/@EventActionCode"));
    assertEquals("0", stored.xpath("/AuditMessage/EventIdentification/@EventOutcomeIndicator"));
    String user = "/AuditMessage/ActiveParticipant[@UserIsRequestor='true']";
    assertEquals("ae:CT_ROOM_1", stored.xpath(user + "/@UserID"));
    assertEquals("10.20.0.7", stored.xpath(user + "/@NetworkAccessPointID"));
    assertEquals("2", stored.xpath(user + "/@NetworkAccessPointTypeCode"));
    assertEquals("110153", stored.xpath(user + "/RoleIDCode[@codeSystemName='DCM']/@csd-code"), "the sender is the source");
    assertEquals("110152", stored.xpath("/AuditMessage/ActiveParticipant[@UserIsRequestor='false']/RoleIDCode/@csd-code"));
    assertEquals("IMAGO", stored.xpath("/AuditMessage/AuditSourceIdentification/@AuditSourceID"));
    assertEquals("demo", stored.xpath("/AuditMessage/AuditSourceIdentification/@AuditEnterpriseSiteID"));
    String study = "/AuditMessage/ParticipantObjectIdentification";
    assertEquals("110180", stored.xpath(study + "/ParticipantObjectIDTypeCode/@csd-code"));
    assertEquals("2", stored.xpath(study + "/@ParticipantObjectTypeCode"));
    assertEquals("3", stored.xpath(study + "/@ParticipantObjectTypeCodeRole"));
    assertEquals("C_STORE", new String(Base64.getDecoder().decode(
        stored.xpath(study + "/ParticipantObjectDetail[@type='Via']/@value")), StandardCharsets.UTF_8));
    assertEquals("110112", m.get(1).xpath("/AuditMessage/EventIdentification/EventID/@csd-code"), "a query");
    assertEquals("dr.rossi@demo", m.get(1).xpath(user + "/@UserID"));
    assertEquals(List.of(), receiver.malformed());
  }

  @Test
  void tlsFramesEachMessageByItsLengthAndAnySubjectStaysWellFormedXml() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.tls(tmp, PortFinder.freePort())).start();
    exporter(tls(receiver.port(), receiver.certificate()));
    String subject = "<dr&\"rossi'\u0001>\u00e8";
    index.audit(List.of(row("2.25.4", "retrieve", subject), row("2.25.5", "share.grant", "admin@demo")));

    List<SyslogReceiver.Message> m = received(receiver, 2);
    assertEquals(List.of("2.25.4", "2.25.5"), studies(m));
    assertEquals("<dr&\"rossi'\ufffd>\u00e8", m.get(0).xpath("/AuditMessage/ActiveParticipant[@UserIsRequestor='true']/@UserID"),
        "escaped, and a control character XML cannot carry replaced");
    assertEquals("110104", m.get(0).xpath("/AuditMessage/EventIdentification/EventID/@csd-code"));
    assertEquals("R", m.get(0).xpath("/AuditMessage/EventIdentification/@EventActionCode"));
    assertEquals("110113", m.get(1).xpath("/AuditMessage/EventIdentification/EventID/@csd-code"), "security alert");
    assertEquals("110135", m.get(1).xpath("/AuditMessage/EventIdentification/EventTypeCode/@csd-code"));
    assertEquals(List.of(), receiver.malformed());
  }

  @Test
  void aReceiverThatAsksForTheSendersCertificateGetsImagosAndTheMessages() throws Exception {
    Path sender = java.nio.file.Files.createDirectories(tmp.resolve("sender"));
    clientKey = SyslogReceiver.identity(sender);
    SyslogReceiver receiver = opened(SyslogReceiver.tls(tmp, PortFinder.freePort()))
        .requireClientCertificate(sender.resolve("receiver.pem")).start();
    exporter(tls(receiver.port(), receiver.certificate()));
    index.audit(List.of(row("2.25.8", "retrieve", "dr.rossi@demo")));
    assertEquals(List.of("2.25.8"), studies(received(receiver, 1)));
    assertEquals(List.of("CN=localhost"), receiver.clientSubjects().stream().distinct().toList());
  }

  @Test
  void aReceiverWhoseCertificateIsNotTrustedGetsNothing() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.tls(tmp, PortFinder.freePort())).start();
    Path elsewhere = tmp.resolve("elsewhere");
    java.nio.file.Files.createDirectories(elsewhere);
    SyslogReceiver impostorCa = opened(SyslogReceiver.tls(elsewhere, PortFinder.freePort())); // only its certificate is used
    exporter(tls(receiver.port(), impostorCa.certificate()));
    index.audit(List.of(row("2.25.6", "retrieve", "dr.rossi@demo")));

    eventually(WAIT, "the exporter tried and was refused", () -> receiver.refusedHandshakes() > 0);
    assertEquals(List.of(), receiver.messages());
  }

  @Test
  void rowsWrittenWhileTheReceiverIsDownArriveWhenItIsBackOnceAndInOrder() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.tls(tmp, PortFinder.freePort())); // not listening yet
    WatchedTrail trail = new WatchedTrail(new SqlAuditTrail(db.dataSource(), "syslog"));
    exporter(trail, tls(receiver.port(), receiver.certificate()), AuditExporter.GAP_WAIT);
    index.audit(List.of(row("2.25.10", "retrieve", "a@demo")));
    eventually(WAIT, "the exporter read the row (and found no receiver)", () -> trail.seen.contains("2.25.10"));

    receiver.start();
    assertEquals(List.of("2.25.10"), studies(received(receiver, 1)));

    receiver.stop(); // goes down, dropping the connection
    index.audit(List.of(row("2.25.11", "retrieve", "b@demo")));
    index.audit(List.of(row("2.25.12", "retrieve", "c@demo")));
    eventually(WAIT, "the exporter read the rows", () -> trail.seen.contains("2.25.12"));
    receiver.start();
    List<SyslogReceiver.Message> all = received(receiver, 3);
    assertEquals(List.of("2.25.10", "2.25.11", "2.25.12"), studies(all));
    index.audit(List.of(row("2.25.13", "retrieve", "d@demo")));
    assertEquals(List.of("2.25.10", "2.25.11", "2.25.12", "2.25.13"), studies(received(receiver, 4)), "each once");
  }

  @Test
  void aRowCommittedAfterALaterOneStillGoesFirst() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.udp());
    WatchedTrail trail = new WatchedTrail(new SqlAuditTrail(db.dataSource(), "syslog"));
    exporter(trail, udp(receiver), Duration.ofMinutes(5));
    try (Connection open = db.dataSource().getConnection()) {
      open.setAutoCommit(false);
      insert(open, "2.25.20"); // its id is taken now; the row is seen at commit
      index.audit(List.of(row("2.25.21", "retrieve", "later@demo")));
      eventually(WAIT, "the exporter has read the later row", () -> trail.seen.contains("2.25.21"));
      open.commit();
    }
    assertEquals(List.of("2.25.20", "2.25.21"), studies(received(receiver, 2)));
  }

  @Test
  void theIdOfARolledBackRowIsWaitedForOnlyAWhile() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.udp());
    exporter(new SqlAuditTrail(db.dataSource(), "syslog"), udp(receiver), Duration.ofMillis(200));
    try (Connection open = db.dataSource().getConnection()) {
      open.setAutoCommit(false);
      insert(open, "2.25.30");
      open.rollback();
    }
    index.audit(List.of(row("2.25.31", "retrieve", "after@demo")));
    assertEquals(List.of("2.25.31"), studies(received(receiver, 1)));
  }

  @Test
  void ofTwoExportersOnOneDatabaseOnlyTheLeaseHolderSends() throws Exception {
    SyslogReceiver receiver = opened(SyslogReceiver.udp());
    exporter(udp(receiver));
    exporter(udp(receiver));
    for (int i = 0; i < 5; i++) index.audit(List.of(row("2.25.4" + i, "retrieve", "x@demo")));
    received(receiver, 5);
    index.audit(List.of(row("2.25.49", "retrieve", "x@demo"))); // both exporters polled meanwhile
    List<String> got = studies(received(receiver, 6));
    assertEquals(List.of("2.25.40", "2.25.41", "2.25.42", "2.25.43", "2.25.44", "2.25.49"), got);
  }

  private static void insert(Connection c, String study) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit (at, subject, tenant_id, role, action, study_uid, via, "
        + "owner_tenant_id) VALUES (?, 'slow@demo', 'demo', 'radiologist', 'retrieve', ?, 'WADO_RS', 'demo')")) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      ps.setString(2, study);
      ps.executeUpdate();
    }
  }

  /** The real trail, noting which studies the exporter has read. */
  private static final class WatchedTrail implements AuditTrail {
    final List<String> seen = new CopyOnWriteArrayList<>();
    private final AuditTrail trail;

    WatchedTrail(AuditTrail trail) {
      this.trail = trail;
    }

    @Override
    public boolean claim(String holder, Duration lease) throws SqlUnavailableException {
      return trail.claim(holder, lease);
    }

    @Override
    public long exported() throws SqlUnavailableException {
      return trail.exported();
    }

    @Override
    public List<Entry> after(long id, int limit) throws SqlUnavailableException {
      List<Entry> rows = trail.after(id, limit);
      rows.forEach(e -> seen.add(e.event().studyUid()));
      return rows;
    }

    @Override
    public boolean exported(String holder, long id) throws SqlUnavailableException {
      return trail.exported(holder, id);
    }
  }
}
