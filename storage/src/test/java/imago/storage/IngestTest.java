package imago.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.InstanceAttributes;
import imago.core.dicom.Part10;
import imago.core.io.Spool;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.Database;
import imago.storage.index.Index;
import imago.storage.index.Jdbc;
import imago.storage.index.NewInstance;
import imago.storage.index.SqlIndex;
import imago.storage.index.Source;
import imago.storage.index.StableStudy;
import imago.storage.index.Scope;
import imago.storage.index.StoredInstance;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.object.EmbeddedS3Fixture;
import imago.storage.object.ObjectStore;
import imago.storage.object.ForwardingObjectStore;
import imago.storage.object.FsObjectStore;
import imago.storage.ingest.IngestJournal;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ingest path on every pair of backends: the index on PostgreSQL, configured with the same
 * keys operators use ({@code storage.db.url = jdbc:postgresql://...}), or on the embedded H2
 * default; objects on the fs backend (a local directory) or on S3 (S3Proxy in a process of its
 * own). One schema, one SQL, one ingest path: all must keep invariants 1 and 2. The index comes
 * from {@link Databases}: PostgreSQL is a database of its own on the local cluster the test setup
 * starts ({@code scripts/setup.sh --test}: role imago/imago on 127.0.0.1:5432), dropped afterwards;
 * each pair starts on an empty index.
 */
@ParameterizedClass(name = "{0} + {1}")
@MethodSource("backends")
class IngestTest {
  static final Tenant DEMO = new Tenant("demo", "Demo", List.of("DEMO"));

  enum Objects { FS, S3 }

  static Stream<Arguments> backends() {
    return Stream.of(Backend.values()).flatMap(b -> Stream.of(Objects.values()).map(o -> Arguments.of(b, o)));
  }

  @RegisterExtension static final EmbeddedS3Fixture S3 = new EmbeddedS3Fixture();
  @RegisterExtension static final Databases DATABASES = new Databases();
  @TempDir static Path tmp;

  static Path dataDir;
  static StorageConfig.Db dbConfig;
  static Database db;
  static Index index;

  @Parameter(0) Backend backend;
  @Parameter(1) Objects objects;
  ObjectStore store;
  IngestJournal journal;

  @BeforeParameterizedClassInvocation
  static void openIndex(Backend backend, Objects objects) throws Exception {
    db = DATABASES.fresh(backend);
    dbConfig = DATABASES.config(backend);
    dataDir = DATABASES.dataDir(backend);
    // The operator's keys chose the backend (Databases binds them as the app does).
    assertEquals(backend == Backend.H2, dbConfig.embedded());
    index = new SqlIndex(db.dataSource());
  }

  @BeforeEach
  void freshStore() throws Exception {
    Path fresh = Files.createTempDirectory(dataDir, "objects-");
    journal = IngestJournal.open(fresh.resolve("journal"), true, db::syncToDisk);
    store = objects == Objects.S3 ? S3.newStore() : new FsObjectStore(fresh.resolve("objects"), true, journal.owner());
  }

  @AfterEach
  void closeJournal() {
    journal.close();
    if (objects == Objects.FS) store.close();
  }

  @Test
  void flywayMigratesTheSchemaOnOpen() throws Exception {
    assertEquals(backend == Backend.POSTGRESQL, db.isPostgres());
    assertEquals(1, count("SELECT COUNT(*) FROM flyway_schema_history WHERE version = '1' AND success"));
    for (String table : List.of("patients", "studies", "series", "instances", "ingest_conflicts")) {
      count("SELECT COUNT(*) FROM " + table); // throws if the table is missing
    }
    // Opening again finds nothing to migrate and keeps the history as it is.
    try (Database again = Database.open(dbConfig, dataDir)) {
      assertEquals(backend == Backend.POSTGRESQL, again.isPostgres());
    }
    assertEquals(1, count("SELECT COUNT(*) FROM flyway_schema_history WHERE version = '1'"));
  }

  @Test
  void storesASyntheticInstanceInS3AndIndexesIt() throws Exception {
    SyntheticCt.Spec spec = spec(101);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);

    IngestOutcome outcome = storeFile(ingest(DuplicatePolicy.REJECT), file("one", bytes));

    assertTrue(outcome.ok(), outcome.reason());
    assertFalse(outcome.duplicate());
    StoredInstance row = index.instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).orElseThrow();
    assertEquals(outcome.instance(), row);
    assertEquals(SyntheticCt.studyInstanceUid(spec, 1), row.studyUid());
    assertEquals(SyntheticCt.seriesInstanceUid(spec, 1, 1), row.seriesUid());
    assertEquals(SyntheticCt.CT_IMAGE_STORAGE, row.sopClassUid());
    assertEquals(Source.IMPORT, row.source());
    assertEquals(bytes.length, row.objectSize());
    assertTrue(row.objectKey().startsWith("demo/" + row.studyUid() + "/" + row.seriesUid() + "/"), row.objectKey());
    assertArrayEquals(bytes, object(row.objectKey()), "stored byte for byte");
    if (objects == Objects.S3) {
      assertEquals(row.datasetSha256(), store.stat(row.objectKey()).orElseThrow().metadata().get("dataset-sha256"));
    }
    assertEquals(List.of(row.objectKey()), keys());
  }

  @Test
  void identicalReStoreIsAnIdempotentDuplicate() throws Exception {
    SyntheticCt.Spec spec = spec(102);
    Path file = file("same", SyntheticCt.instance(spec, 1, 1, 1));
    Ingest ingest = ingest(DuplicatePolicy.REJECT);

    IngestOutcome first = storeFile(ingest, file);
    IngestOutcome again = storeFile(ingest, file);

    assertTrue(first.ok(), first.reason());
    assertTrue(again.ok(), again.reason());
    assertFalse(first.duplicate());
    assertTrue(again.duplicate());
    assertEquals(first.instance(), again.instance());
    assertEquals(List.of(first.instance().objectKey()), keys());
    assertEquals(1, index.studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
    assertTrue(index.conflicts("demo", first.instance().sopInstanceUid()).isEmpty(), "identical bytes are no conflict");
  }

  @Test
  void differentBytesWithTheSameSopUidAreRefusedAndRecordedAsAConflict() throws Exception {
    SyntheticCt.Spec spec = spec(103);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    Ingest ingest = ingest(DuplicatePolicy.REJECT);
    StoredInstance original = storeFile(ingest, file("original", bytes)).instance();

    IngestOutcome refused = storeFile(ingest, file("changed", changedPixel(bytes)));

    assertEquals(DicomStatus.DUPLICATE_SOP_INSTANCE, refused.status(), refused.reason());
    assertEquals(original.sopInstanceUid(), refused.sopInstanceUid());
    assertEquals(original, index.instance("demo", original.sopInstanceUid()).orElseThrow(), "acknowledged row untouched");
    assertArrayEquals(bytes, object(original.objectKey()));
    assertEquals(List.of(original.objectKey()), keys(), "the refused bytes left no object");
    List<Index.Conflict> conflicts = index.conflicts("demo", original.sopInstanceUid());
    assertEquals(1, conflicts.size());
    Index.Conflict c = conflicts.get(0);
    assertEquals("reject", c.policy());
    assertEquals("rejected", c.outcome());
    assertEquals(original.datasetSha256(), c.existingSha256());
    assertNotEquals(original.datasetSha256(), c.receivedSha256());
    assertEquals(Source.IMPORT, c.source());
  }

  @Test
  void replacePolicyReplacesTheInstanceAndRemovesTheOldObject() throws Exception {
    SyntheticCt.Spec spec = spec(104);
    byte[] bytes = SyntheticCt.instance(spec, 1, 1, 1);
    byte[] changed = changedPixel(bytes);
    StoredInstance original = storeFile(ingest(DuplicatePolicy.REJECT), file("original", bytes)).instance();

    IngestOutcome replaced = storeFile(ingest(DuplicatePolicy.REPLACE), file("changed", changed));

    assertTrue(replaced.ok(), replaced.reason());
    assertFalse(replaced.duplicate());
    StoredInstance now = index.instance("demo", original.sopInstanceUid()).orElseThrow();
    assertEquals(replaced.instance(), now);
    assertEquals(original.pk(), now.pk(), "the same row, pointing at the new object");
    assertNotEquals(original.objectKey(), now.objectKey());
    assertNotEquals(original.datasetSha256(), now.datasetSha256());
    assertArrayEquals(changed, object(now.objectKey()));
    assertEquals(List.of(now.objectKey()), keys(), "old object removed");
    assertEquals(1, index.studyInstances("demo", original.studyUid()).size());
    List<Index.Conflict> conflicts = index.conflicts("demo", original.sopInstanceUid());
    assertEquals(1, conflicts.size());
    assertEquals("replace", conflicts.get(0).policy());
    assertEquals("replaced", conflicts.get(0).outcome());

    // The replacement's attributes are what WADO-RS metadata answers from now on.
    byte[] renamed = replaceOnce(changed, "Ospedale Sintetico", "Ospedale Sintetica");
    assertTrue(storeFile(ingest(DuplicatePolicy.REPLACE), file("renamed", renamed)).ok());
    List<byte[]> metadata = index.metadata(Scope.tenant("demo"), original.studyUid(), null, original.sopInstanceUid());
    assertEquals(1, metadata.size());
    String json = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(metadata.get(0)))
        .readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(json.contains("Ospedale Sintetica") && !json.contains("Ospedale Sintetico"), json);
  }

  private static byte[] replaceOnce(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + f.length <= bytes.length; i++) {
      if (java.util.Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
        byte[] out = bytes.clone();
        System.arraycopy(to.getBytes(StandardCharsets.US_ASCII), 0, out, i, f.length);
        return out;
      }
    }
    throw new AssertionError(from + " not in the instance");
  }

  @Test
  void fiftyInstancesOfOneStudyFromEightThreadsAllSucceed() throws Exception {
    SyntheticCt.Spec spec = spec(105).withPatientPrefix("CONC" + backend.ordinal());
    spec = new SyntheticCt.Spec(1, 5, 10, spec.rows(), spec.columns(), spec.seed(), spec.patientPrefix());
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("concurrent-" + backend));
    Ingest ingest = ingest(DuplicatePolicy.REJECT);

    List<IngestOutcome> outcomes = inParallel(8, files, f -> storeFile(ingest, f));

    for (IngestOutcome o : outcomes) {
      assertTrue(o.ok(), o.sopInstanceUid() + ": " + DicomStatus.hex(o.status()) + " " + o.reason());
      assertFalse(o.duplicate());
    }
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    assertEquals(50, index.studyInstances("demo", study).size());
    assertEquals(1, count("SELECT COUNT(*) FROM studies WHERE tenant_id = 'demo' AND study_uid = ?", study));
    assertEquals(5, count("SELECT COUNT(*) FROM series se JOIN studies st ON st.pk = se.study_pk "
        + "WHERE st.study_uid = ?", study));
    assertEquals(1, count("SELECT COUNT(*) FROM patients WHERE tenant_id = 'demo' AND patient_id = ?",
        SyntheticCt.patientId(spec, 1)));
    assertEquals(50, count("SELECT revision FROM studies WHERE study_uid = ?", study), "one revision per instance");
    assertEquals(50, keys().size());

    // Everything again, concurrently: identical bytes, so every store is an idempotent duplicate.
    List<IngestOutcome> again = inParallel(8, files, f -> storeFile(ingest, f));
    assertTrue(again.stream().allMatch(o -> o.ok() && o.duplicate()), again.toString());
    assertEquals(50, index.studyInstances("demo", study).size());
    assertEquals(50, keys().size());
  }

  @Test
  void racingFirstInsertsOfNewStudiesNeitherDeadlockNorLeakUniqueViolations() throws Exception {
    // Straight at the index, so that eight transactions really do create the same patient,
    // study and series rows at the same moment, round after round.
    for (int round = 0; round < 12; round++) {
      SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 2, 4, 32, 32, 1000 + round, "RACE" + backend.ordinal());
      List<NewInstance> rows = new ArrayList<>();
      for (int se = 1; se <= 2; se++) {
        for (int in = 1; in <= 4; in++) rows.add(newInstance(SyntheticCt.instance(spec, 1, se, in)));
      }

      List<Index.InsertResult> results = inParallel(8, rows, index::insert);

      assertTrue(results.stream().allMatch(r -> r instanceof Index.InsertResult.Inserted), results.toString());
      String study = SyntheticCt.studyInstanceUid(spec, 1);
      assertEquals(8, index.studyInstances("demo", study).size());
      assertEquals(8, count("SELECT revision FROM studies WHERE tenant_id = 'demo' AND study_uid = ?", study));
      assertEquals(2, count("SELECT COUNT(*) FROM series se JOIN studies st ON st.pk = se.study_pk "
          + "WHERE st.study_uid = ?", study));
    }
  }

  @Test
  void racingStoresOfOneInstanceIndexItOnce() throws Exception {
    SyntheticCt.Spec spec = spec(106);
    Path file = file("race", SyntheticCt.instance(spec, 1, 1, 1));
    Ingest ingest = ingest(DuplicatePolicy.REJECT);

    List<IngestOutcome> outcomes = inParallel(8, Collections.nCopies(8, file), f -> storeFile(ingest, f));

    assertTrue(outcomes.stream().allMatch(IngestOutcome::ok), outcomes.toString());
    assertEquals(1, outcomes.stream().filter(o -> !o.duplicate()).count(), "exactly one store created the row");
    assertEquals(1, index.studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
    assertEquals(1, keys().size());
  }

  @Test
  void aQuietStudyIsClaimedExactlyOnceByRacingClaimersAndAgainAfterANewInstance() throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 3, 32, 32, 107, "SYN");
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    Ingest ingest = ingest(DuplicatePolicy.REJECT);
    for (int i = 1; i <= 2; i++) {
      assertTrue(storeFile(ingest, file("stable-" + i, SyntheticCt.instance(spec, 1, 1, i))).ok());
    }

    assertTrue(claimed(index.claimStableStudies(Instant.now().minus(Duration.ofHours(1)), 500), study).isEmpty(),
        "not quiet for an hour yet");
    StableStudy first = claimOnceByTwoRacingClaimers(study);
    assertEquals(2, first.instances());
    assertEquals("demo", first.tenantId());
    assertTrue(claimed(index.claimStableStudies(Instant.now().plusSeconds(1), 500), study).isEmpty(),
        "announced once: no second claim");

    assertTrue(storeFile(ingest, file("stable-3", SyntheticCt.instance(spec, 1, 1, 3))).ok());
    StableStudy rearmed = claimOnceByTwoRacingClaimers(study);
    assertEquals(3, rearmed.instances());
    assertTrue(rearmed.revision() > first.revision(), rearmed + " after " + first);
    assertTrue(claimed(index.claimStableStudies(Instant.now().plusSeconds(1), 500), study).isEmpty());
  }

  @Test
  void anIndexThatCannotBeReachedRefusesWithOutOfResourcesAndStoresNothing() throws Exception {
    SyntheticCt.Spec spec = spec(108);
    Database closed = Database.open(dbConfig, dataDir);
    closed.close();
    Ingest broken = new Ingest(store, new SqlIndex(closed.dataSource()), journal, DuplicatePolicy.REJECT, IngestListener.NONE);

    IngestOutcome outcome = storeFile(broken, file("closed", SyntheticCt.instance(spec, 1, 1, 1)));

    assertEquals(DicomStatus.OUT_OF_RESOURCES, outcome.status(), outcome.reason());
    assertTrue(outcome.reason().startsWith("index unavailable"), outcome.reason());
    assertEquals(List.of(), keys());
    assertTrue(index.instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  void aFailedIndexCommitRefusesWithOutOfResourcesAndRemovesTheUploadedObject() throws Exception {
    // A real failure at the worst moment: the lookup works, the object is uploaded, then the
    // index refuses the insert (a login allowed to read but not to write).
    SyntheticCt.Spec spec = spec(109);
    String user = "imago_ro_" + HexFormat.of().toHexDigits(new Random().nextInt());
    createReadOnlyUser(user);
    HikariConfig cfg = new HikariConfig();
    // H2 applies URL settings such as WRITE_DELAY at every login, and only an admin may: the
    // read-only login uses the URL without them (they are database-wide anyway).
    cfg.setJdbcUrl(((HikariDataSource) db.dataSource()).getJdbcUrl().replaceAll(";WRITE_DELAY=[^;]*", ""));
    cfg.setUsername(backend == Backend.H2 ? user.toUpperCase() : user);
    cfg.setPassword("read-only");
    cfg.setMaximumPoolSize(2);
    List<String> puts = new CopyOnWriteArrayList<>();
    try (HikariDataSource readOnly = new HikariDataSource(cfg)) {
      Ingest broken = new Ingest(new RecordingStore(store, puts), new SqlIndex(readOnly), journal, DuplicatePolicy.REJECT,
          IngestListener.NONE);

      IngestOutcome outcome = storeFile(broken, file("readonly", SyntheticCt.instance(spec, 1, 1, 1)));

      assertEquals(DicomStatus.OUT_OF_RESOURCES, outcome.status(), outcome.reason());
      assertTrue(outcome.reason().startsWith("index unavailable"), outcome.reason());
    } finally {
      dropUser(user);
    }
    assertEquals(1, puts.size(), "the object had been uploaded before the insert failed");
    assertEquals(List.of(), keys(), "and was removed: no orphan");
    assertTrue(index.instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty(), "no index row");
  }

  // --- helpers ---

  private static SyntheticCt.Spec spec(long seed) {
    return new SyntheticCt.Spec(1, 1, 1, 32, 32, seed, "SYN");
  }

  private Ingest ingest(DuplicatePolicy policy) {
    return new Ingest(store, index, journal, policy, IngestListener.NONE);
  }

  /** Stores a PS3.10 file read in place, as `imago import` does. */
  private static IngestOutcome storeFile(Ingest ingest, Path file) throws IOException {
    try (Spool spool = Spool.ofFile(file)) {
      return ingest.store(IngestRequest.part10(DEMO, Source.IMPORT, "test", spool, IngestRequest.Expectations.NONE));
    }
  }

  private Path file(String name, byte[] bytes) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("files-" + backend));
    return Files.write(dir.resolve(name + "-" + System.nanoTime() + ".dcm"), bytes);
  }

  /** The row ingest would write for these PS3.10 bytes (the object key is made up: no S3 here). */
  private static NewInstance newInstance(byte[] part10) throws Exception {
    Part10.Header header = Part10.parse(ByteBuffer.wrap(part10));
    InstanceAttributes a = InstanceAttributes.read(ByteBuffer.wrap(part10).position(header.datasetOffset()),
        header.transferSyntaxUid());
    return new NewInstance("demo", a, header.transferSyntaxUid(), "demo/race/" + a.sopInstanceUid() + ".dcm",
        part10.length, header.datasetOffset(), "0".repeat(64), Source.IMPORT, "test", null);
  }

  private static byte[] changedPixel(byte[] bytes) {
    byte[] changed = bytes.clone();
    changed[changed.length - 10] ^= 0x5A; // one pixel differs, same UIDs
    return changed;
  }

  private byte[] object(String key) throws IOException {
    try (InputStream in = store.get(key).orElseThrow(() -> new AssertionError("no object " + key))) {
      return in.readAllBytes();
    }
  }

  private List<String> keys() throws IOException {
    List<String> keys = new ArrayList<>();
    store.list("", info -> keys.add(info.key()));
    return keys;
  }

  private static long count(String sql, Object... args) throws SQLException {
    try (Connection c = db.dataSource().getConnection()) {
      return Jdbc.first(c, sql, rs -> rs.getLong(1), args).orElseThrow(() -> new AssertionError("no row: " + sql));
    }
  }

  @FunctionalInterface
  private interface Work<T, R> {
    R run(T item) throws Exception;
  }

  /** Runs {@code work} over {@code items} on {@code threads} threads that start together. */
  private static <T, R> List<R> inParallel(int threads, List<T> items, Work<T, R> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads);
    try {
      List<Future<List<R>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        futures.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          List<R> mine = new ArrayList<>();
          for (int i = first; i < items.size(); i += threads) mine.add(work.run(items.get(i)));
          return mine;
        }));
      }
      List<R> all = new ArrayList<>();
      for (Future<List<R>> f : futures) all.addAll(f.get(2, TimeUnit.MINUTES));
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Two claimers race for every quiet study; exactly one of them must get {@code study}. */
  private static StableStudy claimOnceByTwoRacingClaimers(String study) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CyclicBarrier start = new CyclicBarrier(2);
    try {
      List<Future<List<StableStudy>>> claims = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        claims.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          return index.claimStableStudies(Instant.now().plusSeconds(1), 500);
        }));
      }
      List<StableStudy> won = new ArrayList<>();
      for (Future<List<StableStudy>> f : claims) won.addAll(claimed(f.get(1, TimeUnit.MINUTES), study));
      assertEquals(1, won.size(), "claims of " + study + ": " + won);
      return won.get(0);
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<StableStudy> claimed(List<StableStudy> claims, String study) {
    return claims.stream().filter(s -> s.studyUid().equals(study)).toList();
  }

  private void createReadOnlyUser(String user) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      if (backend == Backend.H2) {
        // H2 upper-cases the user name given at login; quote it so it matches.
        s.execute("CREATE USER \"" + user.toUpperCase() + "\" PASSWORD 'read-only'");
        s.execute("GRANT SELECT ON patients, studies, series, instances, ingest_conflicts TO \""
            + user.toUpperCase() + "\"");
      } else {
        s.execute("CREATE ROLE " + user + " LOGIN PASSWORD 'read-only'");
        s.execute("GRANT SELECT ON patients, studies, series, instances, ingest_conflicts TO " + user);
      }
    }
  }

  private void dropUser(String user) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      if (backend == Backend.H2) {
        s.execute("DROP USER \"" + user.toUpperCase() + "\"");
      } else {
        s.execute("DROP OWNED BY " + user);
        s.execute("DROP ROLE " + user);
      }
    }
  }

  /** The real store, with a record of which keys were stored (to see what cleanup undid). */
  private static final class RecordingStore extends ForwardingObjectStore {
    private final List<String> puts;

    RecordingStore(ObjectStore delegate, List<String> puts) {
      super(delegate);
      this.puts = puts;
    }

    @Override
    public void put(String key, Spool content, String contentType, Map<String, String> metadata)
        throws StorageUnavailableException {
      delegate.put(key, content, contentType, metadata);
      puts.add(key);
    }
  }
}
