package imago.storage.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.io.Spool;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.AuditEvent;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.Source;
import imago.storage.index.SqlIndex;
import imago.storage.object.FsObjectStore;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Invariant 7 for writes: what an association or a STOW-RS request stores is in the audit, one
 * row per study, committed with the study's first instance stored; on H2 and on PostgreSQL.
 */
class IngestAuditTest {
  private static final Tenant DEMO = new Tenant("demo", "Demo", List.of("DEMO"));
  @RegisterExtension static final Databases DATABASES = new Databases();
  @TempDir Path tmp;

  private Index index;
  private IngestJournal journal;
  private FsObjectStore store;

  private Ingest open(Backend backend, DuplicatePolicy policy) throws Exception {
    Database db = DATABASES.fresh(backend);
    index = new SqlIndex(db.dataSource());
    Path dir = Files.createTempDirectory(tmp, backend.name());
    journal = IngestJournal.open(dir.resolve("journal"), true, db::syncToDisk);
    store = new FsObjectStore(dir.resolve("objects"), true, journal.owner());
    return new Ingest(store, index, journal, policy, IngestListener.NONE);
  }

  @AfterEach
  void close() {
    if (journal != null) journal.close();
    if (store != null) store.close();
  }

  private static WriteAudit association(String ae) {
    return new WriteAudit("ae:" + ae, "demo", "hospital", "C_STORE", "10.20.0.7");
  }

  private IngestOutcome store(Ingest ingest, byte[] part10, WriteAudit audit) throws Exception {
    Path file = Files.write(Files.createTempFile(tmp, "instance", ".dcm"), part10);
    try (Spool spool = Spool.ofFile(file)) {
      IngestRequest request = IngestRequest.part10(DEMO, Source.DIMSE, "DEMO", spool, IngestRequest.Expectations.NONE);
      return ingest.store(audit == null ? request : request.audited(audit));
    }
  }

  private List<AuditEvent> writes(String study) throws Exception {
    return index.auditOfStudy("demo", study).stream().filter(e -> e.action().equals(WriteAudit.ACTION)).toList();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anAssociationLeavesOneRowPerStudyItStoredTo(Backend backend) throws Exception {
    Ingest ingest = open(backend, DuplicatePolicy.REJECT);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 2, 3).withSize(16, 16).withSeed(710);
    WriteAudit first = association("CT_ROOM_1");
    for (int i = 1; i <= 3; i++) assertTrue(store(ingest, SyntheticCt.instance(spec, 1, 1, i), first).ok());
    assertTrue(store(ingest, SyntheticCt.instance(spec, 2, 1, 1), first).ok());

    List<AuditEvent> rows = writes(SyntheticCt.studyInstanceUid(spec, 1));
    assertEquals(1, rows.size(), "one row for the study, not one per instance: " + rows);
    AuditEvent row = rows.get(0);
    assertEquals("ae:CT_ROOM_1", row.subject());
    assertEquals("C_STORE", row.via());
    assertEquals("10.20.0.7", row.remote());
    assertEquals("demo", row.ownerTenantId(), "the storing tenant's copy");
    assertEquals(1, writes(SyntheticCt.studyInstanceUid(spec, 2)).size());

    assertTrue(store(ingest, SyntheticCt.instance(spec, 1, 2, 1), association("CT_ROOM_2")).ok());
    assertEquals(List.of("ae:CT_ROOM_1", "ae:CT_ROOM_2"),
        writes(SyntheticCt.studyInstanceUid(spec, 1)).stream().map(AuditEvent::subject).toList(), "another association, another row");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aResentInstanceIsAuditedThoughNothingIsWritten(Backend backend) throws Exception {
    Ingest ingest = open(backend, DuplicatePolicy.REJECT);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(711);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    assertTrue(store(ingest, bytes, association("A")).ok());
    IngestOutcome again = store(ingest, bytes, association("B"));
    assertTrue(again.ok() && again.duplicate());
    assertEquals(List.of("ae:A", "ae:B"), writes(SyntheticCt.studyInstanceUid(spec, 1)).stream().map(AuditEvent::subject).toList());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aRefusedInstanceLeavesNoRowAndTheStudysNextStoredInstanceDoes(Backend backend) throws Exception {
    Ingest ingest = open(backend, DuplicatePolicy.REJECT);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(16, 16).withSeed(712);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    assertTrue(store(ingest, bytes, null).ok(), "imported: no write row");
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    assertTrue(writes(study).isEmpty());

    WriteAudit audit = association("A");
    byte[] conflicting = bytes.clone();
    conflicting[conflicting.length - 10] ^= 0x5A;
    assertFalse(store(ingest, conflicting, audit).ok(), "other bytes under a stored SOP Instance UID are refused");
    assertTrue(writes(study).isEmpty(), "nothing written, no row");
    assertTrue(store(ingest, SyntheticCt.instance(spec, 1, 1, 2), audit).ok());
    assertEquals(1, writes(study).size());
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aReplacementIsAuditedInItsTransaction(Backend backend) throws Exception {
    Ingest ingest = open(backend, DuplicatePolicy.REPLACE);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(713);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    assertTrue(store(ingest, bytes, null).ok());
    byte[] replacement = bytes.clone();
    replacement[replacement.length - 10] ^= 0x5A;
    IngestOutcome replaced = store(ingest, replacement, association("A"));
    assertTrue(replaced.ok() && !replaced.duplicate(), replaced.reason());
    assertEquals(1, writes(SyntheticCt.studyInstanceUid(spec, 1)).size());
  }
}
