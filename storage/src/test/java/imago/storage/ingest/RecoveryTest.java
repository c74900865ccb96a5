package imago.storage.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DicomStatus;
import imago.core.io.Spool;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Trees;
import imago.core.tenant.Tenant;
import imago.storage.StorageConfig;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.Source;
import imago.storage.index.SqlIndex;
import imago.storage.object.EmbeddedS3Fixture;
import imago.storage.object.ForwardingObjectStore;
import imago.storage.object.FsObjectStore;
import imago.storage.object.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Start-up recovery on both object backends: what a power cut leaves (objects durable, their index
 * commits lost) is re-indexed from the journal alone, never by listing the archive, and nothing
 * valid is deleted.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(RecoveryTest.Objects.class)
class RecoveryTest {
  enum Objects { FS, S3 }

  static final Tenant DEMO = new Tenant("demo", "Demo", List.of("DEMO"));
  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();

  @Parameter Objects objects;
  @TempDir Path tmp;
  Database before;
  Database after;
  IngestJournal journal;
  ObjectStore store;

  @BeforeEach
  void open() throws Exception {
    before = Database.open(new StorageConfig.Db("", "", "", 4), tmp.resolve("before"));
    after = Database.open(new StorageConfig.Db("", "", "", 4), tmp.resolve("after"));
    journal = IngestJournal.open(tmp.resolve("journal"), true, before::syncToDisk);
    store = objects == Objects.S3 ? S3.newStore() : new FsObjectStore(tmp.resolve("objects"), true, journal.owner());
  }

  @AfterEach
  void close() {
    journal.close();
    before.close();
    after.close();
  }

  @Test
  void objectsWhoseIndexCommitsWereLostAreReindexedFromTheJournalAlone() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(41);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    // The index as a power cut leaves it: it kept the first instance's commit, lost the others'.
    Index lost = new SqlIndex(after.dataSource());
    assertTrue(store(new Ingest(store, lost, journal, DuplicatePolicy.REJECT, IngestListener.NONE), files.get(0)).ok());
    Ingest ingest = new Ingest(store, new SqlIndex(before.dataSource()), journal, DuplicatePolicy.REJECT,
        IngestListener.NONE);
    for (Path f : files) assertTrue(store(ingest, f).ok());
    // The journal as the power cut leaves it, its lock released with the process.
    Path journalAtTheCut = Trees.copy(tmp.resolve("journal"), tmp.resolve("journal-at-the-cut"));

    AtomicInteger listed = new AtomicInteger();
    Ingest recovering = new Ingest(store, lost, journal, DuplicatePolicy.REJECT, IngestListener.NONE);
    Recovery.Result result = Recovery.run(journalAtTheCut, new CountingLists(store, listed), lost, recovering);

    assertEquals(1, result.journals());
    assertEquals(4, result.entries(), "one entry per put");
    assertEquals(2, result.reindexed());
    assertEquals(0, listed.get(), "recovery never lists the archive");
    for (int i = 1; i <= 3; i++) {
      assertTrue(lost.instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, i)).isPresent(), "instance " + i);
    }
    assertEquals(List.of(), IngestJournal.abandoned(journalAtTheCut), "the recovered journal is gone");
    assertEquals(0, Recovery.run(journalAtTheCut, store, lost, recovering).reindexed(), "a second run finds nothing");
  }

  @Test
  void theJournalOfAProcessThatStillRunsIsLeftAlone() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(42);
    Ingest ingest = new Ingest(store, new SqlIndex(before.dataSource()), journal, DuplicatePolicy.REJECT,
        IngestListener.NONE);
    assertTrue(store(ingest, SyntheticCt.write(spec, tmp.resolve("in")).get(0)).ok());
    assertEquals(List.of(), IngestJournal.abandoned(tmp.resolve("journal")));
  }

  @Test
  void aCheckpointSyncsTheIndexThenDropsOnlySegmentsWhoseWritesHaveEnded() throws Exception {
    AtomicInteger syncs = new AtomicInteger();
    Path dir = tmp.resolve("checkpointed");
    try (IngestJournal j = IngestJournal.open(dir, true, syncs::incrementAndGet)) {
      j.begin("demo/1/2/3.a.dcm", Source.DIMSE, "DEMO").close();
      IngestJournal.Ticket open = j.begin("demo/1/2/4.b.dcm", Source.STOW, null);
      assertEquals(0, j.checkpoint(), "a write is still open in the only segment");
      assertEquals(0, syncs.get());
      assertEquals(2, segments(dir), "new writes go to a new segment; the old one stays while its write is open");
      open.close();
      assertEquals(1, j.checkpoint());
      assertEquals(1, syncs.get(), "the index is made durable before the segment goes");
      assertEquals(1, segments(dir), "only the fresh, empty segment is left");
      assertEquals(0, j.checkpoint(), "nothing written since: nothing to do");
    }
    assertEquals(0, segments(dir), "a clean close leaves nothing to recover");
  }

  @Test
  void anObjectThatIsNotWhatItsKeySaysIsNotIndexed() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(43);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    String key = "demo/" + SyntheticCt.studyInstanceUid(spec, 1) + "/" + SyntheticCt.seriesInstanceUid(spec, 1, 1) + "/"
        + SyntheticCt.sopInstanceUid(spec, 1, 1, 1) + ".0000000000000000.dcm";
    store.put(key, new ByteArrayInputStream(bytes), bytes.length, "application/dicom", Map.of());
    Ingest ingest = new Ingest(store, new SqlIndex(after.dataSource()), journal, DuplicatePolicy.REJECT,
        IngestListener.NONE);

    IngestOutcome outcome = ingest.reindex(key, Source.REINDEX, "test");

    assertEquals(DicomStatus.PROCESSING_FAILURE, outcome.status());
    assertTrue(outcome.reason().contains("does not hold the instance its key names"), outcome.reason());
    assertTrue(store.stat(key).isPresent(), "and it is kept");
  }

  @Test
  void instanceKeysAreTenantStudySeriesAndTaggedSopInstance() {
    assertTrue(Ingest.isInstanceKey("demo/1.2/1.2.3/1.2.3.4.0123456789abcdef.dcm"));
    assertFalse(Ingest.isInstanceKey("demo/1.2/1.2.3/1.2.3.4.json"));
    assertFalse(Ingest.isInstanceKey("demo/1.2/1.2.3.dcm"));
    assertFalse(Ingest.isInstanceKey("a/demo/1.2/1.2.3/1.2.3.4.dcm"));
    assertFalse(Ingest.isInstanceKey("models/chest/1.0.0/model.pt"));
  }

  private static IngestOutcome store(Ingest ingest, Path file) throws IOException {
    try (Spool spool = Spool.ofFile(file)) {
      return ingest.store(IngestRequest.part10(DEMO, Source.IMPORT, "test", spool, IngestRequest.Expectations.NONE));
    }
  }

  private static long segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".journal")).count();
    }
  }

  /** The real store, counting calls to list (recovery must not make any). */
  private static final class CountingLists extends ForwardingObjectStore {
    private final AtomicInteger listed;

    CountingLists(ObjectStore delegate, AtomicInteger listed) {
      super(delegate);
      this.listed = listed;
    }

    @Override
    public void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException {
      listed.incrementAndGet();
      delegate.list(prefix, each);
    }
  }
}
