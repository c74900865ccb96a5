package imago.storage.index;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The audit trail as the export reads it, and who holds the export, on H2 and on PostgreSQL. */
class AuditTrailTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  private static AuditEvent row(String study) {
    return new AuditEvent(Instant.now(), "dr.rossi@demo", "demo", "radiologist", "retrieve", study, "2.25.9", null,
        "WADO_RS", "10.1.2.3", "demo");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void theExportStartsAfterTheRowsThereAtItsFirstClaimAndOnlyItsHolderMovesIt(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    Index index = new SqlIndex(db.dataSource());
    AuditTrail trail = new SqlAuditTrail(db.dataSource(), "syslog");
    index.audit(List.of(row("2.25.1"), row("2.25.2")));

    assertTrue(trail.claim("a", Duration.ofMinutes(1)));
    long start = trail.exported();
    assertTrue(trail.after(start, 10).isEmpty(), "rows from before the export began are not sent");
    index.audit(List.of(row("2.25.3"), row("2.25.4"), row("2.25.5")));
    List<AuditTrail.Entry> next = trail.after(start, 2);
    assertEquals(List.of("2.25.3", "2.25.4"), next.stream().map(e -> e.event().studyUid()).toList(), "in order, at most the limit");
    assertTrue(next.get(0).id() < next.get(1).id());
    AuditEvent read = next.get(0).event();
    assertEquals("dr.rossi@demo", read.subject());
    assertEquals("2.25.9", read.seriesUid());
    assertEquals("WADO_RS", read.via());
    assertEquals("demo", read.ownerTenantId());

    assertFalse(trail.exported("b", next.get(1).id()), "not b's to move");
    assertEquals(start, trail.exported());
    assertTrue(trail.exported("a", next.get(1).id()));
    assertEquals(next.get(1).id(), trail.exported());
    assertEquals(List.of("2.25.5"), trail.after(trail.exported(), 10).stream().map(e -> e.event().studyUid()).toList());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anotherProcessTakesTheExportOnlyOnceTheHoldersLeaseHasRunOut(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    AuditTrail trail = new SqlAuditTrail(db.dataSource(), "syslog");
    assertTrue(trail.claim("a", Duration.ofMillis(300)));
    assertTrue(trail.claim("a", Duration.ofMillis(300)), "the holder renews");
    assertFalse(trail.claim("b", Duration.ofMinutes(1)), "b waits while a's lease runs");
    eventually(Duration.ofSeconds(10), "b takes over after a's lease", () -> trail.claim("b", Duration.ofMinutes(1)));
    assertFalse(trail.claim("a", Duration.ofMinutes(1)), "a, back from a stall, finds it taken");
    assertFalse(trail.exported("a", 42), "and cannot move the place");
    assertTrue(new SqlAuditTrail(db.dataSource(), "another-destination").claim("a", Duration.ofMinutes(1)),
        "each destination is held on its own");
  }
}
