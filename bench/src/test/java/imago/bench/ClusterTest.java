package imago.bench;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imago as a cluster (issue 14): two serve nodes and two workers on one PostgreSQL and one S3
 * server behind haproxy, started by {@code scripts/cluster.sh}, with nodes and servers killed under
 * load. Each test leaves the whole cluster running for the next.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String AE = "DEMO";

  @TempDir
  static Path tmp;

  private static LocalCluster cluster;
  private static String token;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The FSE gateway: every delivery it receives, as (X-Imago-Delivery, Bundle.id). */
  private static final List<String[]> DELIVERIES = Collections.synchronizedList(new ArrayList<>());
  private static com.sun.net.httpserver.HttpServer gateway;

  @BeforeAll
  static void up() throws Exception {
    gateway = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/fse", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      DELIVERIES.add(new String[] {exchange.getRequestHeaders().getFirst("X-Imago-Delivery"),
          new JsonObject(body).getString("id")});
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    gateway.start();
    // A short job lease, so that a killed worker's job goes to the other worker within seconds; one
    // job at a time per worker, so that the killed worker held exactly one of the study's jobs.
    Path config = Files.writeString(tmp.resolve("imago.yaml"), """
        tenants:
          - id: demo
            name: Demo hospital
            aeTitles: [DEMO]
        inference:
          lease: PT6S
          concurrentJobs: 1
        links:
          webhooks:
            - url: http://127.0.0.1:%d/fse
              secret: cluster-test-secret-0123456789
              tenants: [demo]
        """.formatted(gateway.getAddress().getPort()));
    // Not under the JUnit folder: PostgreSQL runs as its own user, who must be able to reach its data.
    Path dir = Path.of("target", "cluster-test").toAbsolutePath();
    new LocalCluster(dir, config).script(Duration.ofMinutes(2), "down", "--purge"); // a previous run's, if any
    cluster = new LocalCluster(Files.createDirectories(dir), config);
    cluster.up();
    token = cluster.token("demo", "admin");
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) cluster.close();
    if (gateway != null) gateway.stop(0);
  }

  /**
   * storescu (one association per file, one retry, as a sending PACS does) and STOW-RS clients push
   * through haproxy while serve-1 is killed with SIGKILL and later started again: every acknowledged
   * instance is there once, byte for byte, and each study is declared stable once, cluster-wide.
   */
  @Test
  @Order(1)
  void aNodeDiesMidPushAndNothingAcknowledgedIsLost() throws Exception {
    SyntheticCt.Spec dimse = new SyntheticCt.Spec(2, 1, 20, 64, 64, 1401, "CLU");
    SyntheticCt.Spec stow = new SyntheticCt.Spec(1, 1, 20, 64, 64, 1402, "CLS");
    List<Path> dimseFiles = SyntheticCt.write(dimse, tmp.resolve("push-dimse"));
    List<Path> stowFiles = SyntheticCt.write(stow, tmp.resolve("push-stow"));
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Map<Path, Boolean>> dimsePush = CompletableFuture.supplyAsync(() -> push(dimseFiles, sent, true, ClusterTest::storeOne));
    CompletableFuture<Map<Path, Boolean>> stowPush = CompletableFuture.supplyAsync(() -> push(stowFiles, sent, true, ClusterTest::stowOne));
    eventually(WAIT, "a third of the pushes sent", () -> sent.get() >= 13);
    cluster.kill("serve-1");
    Map<Path, Boolean> acked;
    try {
      acked = new LinkedHashMap<>(dimsePush.get());
      acked.putAll(stowPush.get());
    } finally {
      cluster.start("serve-1");
    }

    List<Path> acknowledged = acked.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
    assertTrue(acknowledged.size() >= 55, "with one retry each, a dead node costs at most a few pushes: "
        + acknowledged.size() + " of 60 acknowledged");
    for (Path file : acknowledged) {
      byte[] sentBytes = Files.readAllBytes(file);
      Map<String, String> uids = uids(sentBytes);
      byte[] stored = get("/wado?requestType=WADO&contentType=application%2Fdicom&studyUID=" + uids.get("study")
          + "&seriesUID=" + uids.get("series") + "&objectUID=" + uids.get("sop"));
      assertArrayEquals(dataset(sentBytes), dataset(stored), file + ": stored byte for byte");
    }
    for (SyntheticCt.Spec spec : List.of(dimse, stow)) {
      for (int s = 1; s <= spec.studies(); s++) {
        String study = SyntheticCt.studyInstanceUid(spec, s);
        long expected = acknowledged.stream().filter(f -> uids(read(f)).get("study").equals(study)).count();
        JsonArray found = new JsonArray(new String(get("/dicomweb/studies/" + study + "/instances"),
            StandardCharsets.UTF_8));
        assertEquals(expected, found.size(), study + ": each acknowledged instance once");
      }
    }
    // Stable once, whichever nodes the instances went through: wait until each study is announced,
    // then until a marker study pushed afterwards is too (so the stabiliser has looked again since).
    List<String> studies = List.of(SyntheticCt.studyInstanceUid(dimse, 1), SyntheticCt.studyInstanceUid(dimse, 2),
        SyntheticCt.studyInstanceUid(stow, 1));
    eventually(WAIT, "each study stable", () -> {
      for (String s : studies) if (stableCount(s) < 1) return false;
      return true;
    });
    SyntheticCt.Spec marker = new SyntheticCt.Spec(1, 1, 1, 32, 32, 1403, "CLM");
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO",
        SyntheticCt.write(marker, tmp.resolve("marker")));
    assertTrue(r.ok(), r.toString());
    eventually(WAIT, "the marker study stable", () -> stableCount(SyntheticCt.studyInstanceUid(marker, 1)) == 1);
    for (String s : studies) {
      // once per revision: a push that stalled past the quiet period would rightly make a study stable twice
      assertEquals(stableCount(s), sqlLong("SELECT COUNT(DISTINCT payload) FROM outbox WHERE topic = 'study.stable' "
          + "AND study_uid = ?", s), s + " declared stable once per revision");
      assertTrue(stableCount(s) >= 1, s);
    }
  }

  /** QIDO-RS, WADO-RS metadata and C-GET give the same answers from either node. */
  @Test
  @Order(2)
  void bothNodesAnswerAlike() throws Exception {
    for (String path : List.of("/dicomweb/studies?PatientID=CL*", "/dicomweb/studies?limit=100",
        "/dicomweb/studies/" + SyntheticCt.studyInstanceUid(new SyntheticCt.Spec(2, 1, 20, 64, 64, 1401, "CLU"), 1)
            + "/metadata")) {
      String one = canonical(get(LocalCluster.NODE_HTTP_BASE + 1, path));
      String two = canonical(get(LocalCluster.NODE_HTTP_BASE + 2, path));
      assertEquals(one, two, path);
      assertNotEquals("[]", one, path + " finds something");
    }
    // C-GET from either node returns the same study, byte for byte
    String study = SyntheticCt.studyInstanceUid(new SyntheticCt.Spec(2, 1, 20, 64, 64, 1401, "CLU"), 2);
    Map<String, byte[]> first = null;
    for (int n = 1; n <= 2; n++) {
      Path into = tmp.resolve("get-" + n);
      Dcmtk.Result r = Dcmtk.getscu("127.0.0.1", LocalCluster.NODE_DICOM_BASE + n, AE, "IMAGO", into, "-S",
          "0008,0052=STUDY", "0020,000D=" + study);
      assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.toString());
      Map<String, byte[]> got = new TreeMap<>();
      try (var files = Files.list(into)) {
        for (Path f : (Iterable<Path>) files::iterator) got.put(uids(read(f)).get("sop"), dataset(read(f)));
      }
      assertFalse(got.isEmpty(), "C-GET from serve-" + n + " returned instances");
      if (first == null) {
        first = got;
      } else {
        assertEquals(first.keySet(), got.keySet(), "the same instances from either node");
        for (String sop : got.keySet()) assertArrayEquals(first.get(sop), got.get(sop), sop);
      }
    }
  }

  /** The node holding the stability duty dies: another node holds it within seconds and studies still become stable. */
  @Test
  @Order(3)
  void aSingletonDutyMovesWhenItsHolderDies() throws Exception {
    String holder = eventually(WAIT, "a holder of the stability duty", () -> holder("stability"), h -> h != null);
    assertTrue(Set.of("serve-1", "serve-2", "worker-1", "worker-2").contains(holder), holder);
    long killed = System.nanoTime();
    cluster.kill(holder);
    try {
      String next = eventually(WAIT, "another holder", () -> holder("stability"), h -> h != null && !h.equals(holder));
      double seconds = (System.nanoTime() - killed) / 1e9;
      assertTrue(seconds < 20, "taken over in " + seconds + " s");
      SyntheticCt.Spec after = new SyntheticCt.Spec(1, 1, 1, 32, 32, 1404, "CLT");
      Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO",
          SyntheticCt.write(after, tmp.resolve("takeover")));
      assertTrue(r.ok(), r.toString());
      eventually(WAIT, "a study stable under " + next, () -> stableCount(SyntheticCt.studyInstanceUid(after, 1)) == 1);
    } finally {
      cluster.start(holder);
    }
  }

  /**
   * PostgreSQL is killed and started again while storescu pushes: what was acknowledged is there,
   * what was in flight got a failure status, and the nodes serve again without a restart.
   */
  @Test
  @Order(4)
  void postgresRestartsMidPush() throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 40, 64, 64, 1405, "CLP");
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("push-pg"));
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Map<Path, Boolean>> push = CompletableFuture.supplyAsync(() -> push(files, sent, false, ClusterTest::storeOne));
    eventually(WAIT, "some pushes sent", () -> sent.get() >= 10);
    cluster.kill("postgres");
    cluster.start("postgres");
    // (what was in flight when PostgreSQL died got a failure status or an association abort: the
    // checks below are that nothing acknowledged is missing)
    Map<Path, Boolean> acked = push.get();
    List<Path> acknowledged = acked.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
    // the nodes recover by themselves: a new push succeeds, through either node
    SyntheticCt.Spec again = new SyntheticCt.Spec(1, 1, 4, 32, 32, 1406, "CLQ");
    List<Path> againFiles = SyntheticCt.write(again, tmp.resolve("push-pg-again"));
    eventually(WAIT, "pushes succeed again", () -> Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO",
        againFiles).ok());
    JsonArray found = new JsonArray(new String(get("/dicomweb/studies/" + SyntheticCt.studyInstanceUid(spec, 1)
        + "/instances"), StandardCharsets.UTF_8));
    Set<String> stored = new java.util.HashSet<>();
    for (int i = 0; i < found.size(); i++) stored.add(found.getJsonObject(i).getJsonObject("00080018").getJsonArray("Value")
        .getString(0));
    for (Path f : acknowledged) assertTrue(stored.contains(uids(read(f)).get("sop")), f + " was acknowledged: no false success");
  }

  /** The S3 server goes away: C-STORE is refused with a status meanwhile, and ingest resumes by itself once it is back. */
  @Test
  @Order(5)
  void s3GoesAwayAndComesBack() throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 1, 32, 32, 1407, "CLR");
    List<Path> file = SyntheticCt.write(spec, tmp.resolve("push-s3"));
    cluster.kill("s3");
    try {
      Dcmtk.Result refused = Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO", file);
      List<Dcmtk.StoreAttempt> attempts = Dcmtk.storescuAttempts(refused.output());
      assertEquals(1, attempts.size(), refused.toString());
      assertFalse(attempts.get(0).success(), "no success while the object store is gone: " + refused);
      assertTrue(String.valueOf(attempts.get(0).status()).matches("(?i).*(0xa7|out of resources|refused).*"),
          "a DICOM status says why: " + attempts.get(0).status());
    } finally {
      cluster.start("s3");
    }
    eventually(WAIT, "ingest resumes", () -> Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO", file).ok());
    assertEquals(1, new JsonArray(new String(get("/dicomweb/studies/" + SyntheticCt.studyInstanceUid(spec, 1)
        + "/instances"), StandardCharsets.UTF_8)).size());
  }


  /**
   * A study with a model active: a worker is killed while it runs one of the study's jobs, which
   * the other worker then completes; each job runs to one result and the FSE gateway hears of each
   * result version once. Then one more instance of series 2 arrives: only series 2 is processed
   * again, its new report names the one it replaces, and the gateway is told of the new version once.
   */
  @Test
  @Order(6)
  void aWorkerDiesMidJobAndALateArrivalAmendsOnlyItsSeries() throws Exception {
    String researcher = cluster.token("demo", "researcher");
    String region = cluster.token("demo", "region");
    Path model = cluster.root().resolve("models/reference/target/out/lesion-cls-onnx");
    cli("models", "register", model.toString(), "--token", researcher);
    cli("models", "activate", "lesion-cls-onnx", "1.0.0", "--mode", "primary", "--token", region);

    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 2, 3, 64, 64, 1408, "CLL");
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("late"));
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    String series2 = SyntheticCt.seriesInstanceUid(spec, 1, 2);
    Path late = files.stream().filter(f -> uids(read(f)).get("sop").equals(SyntheticCt.sopInstanceUid(spec, 1, 2, 3)))
        .findFirst().orElseThrow();
    List<Path> first = files.stream().filter(f -> !f.equals(late)).toList();
    Dcmtk.Result pushed = Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO", first);
    assertTrue(pushed.ok(), pushed.toString());
    HttpResponse<String> link = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + LocalCluster.HTTP_PORT
        + "/fse/links")).header("Authorization", "Bearer " + cluster.token("demo", "hospital"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            new JsonObject().put("studyUID", study).encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, link.statusCode(), link.body());
    long linkId = new JsonObject(link.body()).getLong("id");

    // a job of the study running on a worker: kill that worker
    String owner = eventually(WAIT, "a job of the study running", () -> sqlString(
        "SELECT lease_owner FROM inference_jobs WHERE study_uid = ? AND state = 'running'", study), o -> o != null);
    String victim = null;
    for (String w : List.of("worker-1", "worker-2")) {
      if (owner.startsWith(cluster.pid(w) + "@")) victim = w;
    }
    assertTrue(victim != null, "the job's lease owner " + owner + " is one of the workers");
    cluster.kill(victim);
    try {
      eventually(WAIT, "both series' jobs done", () -> sqlLong(
          "SELECT COUNT(*) FROM inference_jobs WHERE study_uid = ? AND state = 'done'", study) == 2);
      assertEquals(2, sqlLong("SELECT COUNT(*) FROM inference_jobs WHERE study_uid = ?", study), "one job per series");
      assertEquals(1, sqlLong("SELECT COUNT(*) FROM inference_jobs WHERE study_uid = ? AND attempts = 2", study),
          "the killed worker's job ran again, elsewhere");
    } finally {
      cluster.start(victim);
    }
    long versions = awaitDeliveries(linkId, 1);

    // late arrival: one more instance of series 2
    pushed = Dcmtk.storescu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO", List.of(late));
    assertTrue(pushed.ok(), pushed.toString());
    eventually(WAIT, "series 2 processed again", () -> sqlLong(
        "SELECT COUNT(*) FROM inference_jobs WHERE study_uid = ? AND state = 'done'", study) == 3);
    assertEquals(1, sqlLong("SELECT COUNT(*) FROM inference_jobs WHERE study_uid = ? AND series_uid <> ?", study,
        series2), "series 1 was not processed again");
    String amended = sqlString("SELECT result FROM inference_jobs WHERE study_uid = ? ORDER BY id DESC LIMIT 1", study);
    assertTrue(amended.contains("\"replaces\""), "the new result names the one it replaces: " + amended);
    awaitDeliveries(linkId, versions + 1); // the gateway hears of the new result version
  }

  /**
   * Waits until at least {@code atLeast} deliveries of the link are delivered and none is pending,
   * then checks the gateway got each (link, version) exactly once; returns how many versions it
   * was told of.
   */
  private static long awaitDeliveries(long linkId, long atLeast) throws Exception {
    // at least that many: the notifier records a new result version's delivery after its job is done
    eventually(WAIT, atLeast + " of the link's deliveries delivered", () -> sqlLong(
        "SELECT COUNT(*) FROM fse_deliveries WHERE link_id = ? AND state = 'delivered'", linkId) >= atLeast
        && sqlLong("SELECT COUNT(*) FROM fse_deliveries WHERE link_id = ? AND state <> 'delivered'", linkId) == 0
        && sqlLong("SELECT COUNT(*) FROM inference_jobs WHERE state IN ('queued', 'running')") == 0);
    long rows = sqlLong("SELECT COUNT(*) FROM fse_deliveries WHERE link_id = ?", linkId);
    Map<String, Integer> received = new HashMap<>();
    synchronized (DELIVERIES) {
      for (String[] d : DELIVERIES) {
        if (d[1] != null && d[1].startsWith("link-" + linkId + "-v")) received.merge(d[1], 1, Integer::sum);
      }
    }
    assertEquals(rows, received.size(), "each recorded delivery reached the gateway: " + received);
    received.forEach((bundle, n) -> assertEquals(1, n, bundle + " delivered once"));
    return rows;
  }

  /** An {@code ./imago} command against the cluster through haproxy, as an operator runs it. */
  private static void cli(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(cluster.root().resolve("imago").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("--url", "http://127.0.0.1:" + LocalCluster.HTTP_PORT));
    ProcessBuilder pb = new ProcessBuilder(command).directory(cluster.root().toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("IMAGO_"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", args) + ":\n" + out);
  }

  // --- pushing ------------------------------------------------------------------------------------

  /**
   * Sends each file with {@code sendOne} (one association or one request per file). When
   * {@code retry}, a failed one is sent once more as soon as the cluster answers again (a C-ECHO
   * through haproxy reaches a live node), as a sending PACS retries.
   */
  private static Map<Path, Boolean> push(List<Path> files, AtomicInteger sent, boolean retry,
      java.util.function.Predicate<Path> sendOne) {
    Map<Path, Boolean> acked = new LinkedHashMap<>();
    for (Path f : files) {
      boolean ok = sendOne.test(f);
      if (!ok && retry) {
        awaitAnswering();
        ok = sendOne.test(f);
      }
      acked.put(f, ok);
      sent.incrementAndGet();
    }
    return acked;
  }

  private static void awaitAnswering() {
    try {
      eventually(WAIT, "the cluster answering through haproxy",
          () -> Dcmtk.echoscu("127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO").ok());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean storeOne(Path f) {
    Dcmtk.Result r = Dcmtk.storescu(Duration.ofSeconds(60), "127.0.0.1", LocalCluster.DICOM_PORT, AE, "IMAGO", List.of(f));
    return r.ok() && Dcmtk.storescuAcknowledged(r.output()).size() == 1;
  }

  private static boolean stowOne(Path f) {
    try {
      String boundary = "imago-cluster-test";
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      body.write(Files.readAllBytes(f));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + LocalCluster.HTTP_PORT
          + "/dicomweb/studies")).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
          .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
          .header("Accept", "application/dicom+json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && !r.body().contains("\"00081198\"");
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // --- reading ------------------------------------------------------------------------------------

  private static byte[] get(String path) throws Exception {
    return get(LocalCluster.HTTP_PORT, path);
  }

  private static byte[] get(int port, String path) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), () -> path + " on " + port + ": " + new String(r.body(), StandardCharsets.UTF_8));
    return r.body();
  }

  /** A JSON answer with its objects' keys sorted and its arrays in a fixed order, to compare two nodes' answers. */
  private static String canonical(byte[] json) {
    Object parsed = io.vertx.core.json.Json.decodeValue(new String(json, StandardCharsets.UTF_8));
    return sorted(parsed).toString();
  }

  private static Object sorted(Object v) {
    if (v instanceof JsonObject o) {
      TreeMap<String, Object> m = new TreeMap<>();
      for (String k : o.fieldNames()) m.put(k, sorted(o.getValue(k)));
      return m;
    }
    if (v instanceof JsonArray a) {
      List<String> items = new ArrayList<>();
      for (Object item : a) items.add(String.valueOf(sorted(item)));
      Collections.sort(items);
      return items;
    }
    return v;
  }

  private static long stableCount(String study) throws Exception {
    return sqlLong("SELECT COUNT(*) FROM outbox WHERE topic = 'study.stable' AND study_uid = ?", study);
  }

  private static long sqlLong(String sql, Object... args) throws Exception {
    String v = sqlString(sql, args);
    return v == null ? 0 : Long.parseLong(v);
  }

  private static String sqlString(String sql, Object... args) throws Exception {
    try (Connection c = cluster.sql(); var ps = c.prepareStatement(sql + (sql.contains("LIMIT") ? "" : " LIMIT 1"))) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      try (var rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** The name of the node holding {@code duty} (the table names it with a token of its process), or null. */
  private static String holder(String duty) throws Exception {
    String h = sqlString("SELECT holder FROM duties WHERE name = ? AND expires_at > CURRENT_TIMESTAMP", duty);
    return h == null ? null : imago.storage.cluster.Duties.nodeOf(h);
  }

  private static byte[] read(Path f) {
    try {
      return Files.readAllBytes(f);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Study, series and SOP Instance UID of a Part 10 file. */
  private static Map<String, String> uids(byte[] part10) {
    try {
      com.pixelmed.dicom.AttributeList l = new com.pixelmed.dicom.AttributeList();
      l.read(new com.pixelmed.dicom.DicomInputStream(new java.io.ByteArrayInputStream(part10)));
      Map<String, String> m = new HashMap<>();
      m.put("study", com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l,
          com.pixelmed.dicom.TagFromName.StudyInstanceUID));
      m.put("series", com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l,
          com.pixelmed.dicom.TagFromName.SeriesInstanceUID));
      m.put("sop", com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l,
          com.pixelmed.dicom.TagFromName.SOPInstanceUID));
      return m;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The data set of a Part 10 file: what follows the preamble, "DICM" and the File Meta group. */
  private static byte[] dataset(byte[] part10) {
    int at = 132;
    // (0002,0000) UL group length, explicit VR little endian: tag 4, VR 2, length 2, value 4
    int groupLength = (part10[at + 8] & 0xff) | (part10[at + 9] & 0xff) << 8 | (part10[at + 10] & 0xff) << 16
        | (part10[at + 11] & 0xff) << 24;
    int start = at + 12 + groupLength;
    return java.util.Arrays.copyOfRange(part10, start, part10.length);
  }
}
