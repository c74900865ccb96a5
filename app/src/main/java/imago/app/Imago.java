package imago.app;

import imago.core.config.Config;
import imago.core.io.SecretFiles;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.inference.InferenceConfig;
import imago.inference.engine.ArtifactCache;
import imago.inference.engine.ModelLoader;
import imago.inference.manifest.ManifestParser;
import imago.inference.results.ResultUids;
import imago.links.CapabilityToken;
import imago.links.FseLinks;
import imago.links.FseLinksRouter;
import imago.links.FseNotifier;
import imago.links.LinkRouter;
import imago.links.LinksConfig;
import imago.models.api.ModelsRouter;
import imago.models.evaluation.Evaluations;
import imago.models.registry.ModelRegistry;
import imago.models.registry.ModelsConfig;
import imago.models.validation.ModelValidator;
import imago.node.NodeConfig;
import imago.node.admin.AdminRouter;
import imago.node.dicomweb.DicomWebService;
import imago.node.dicomweb.StowRs;
import imago.node.dicomweb.qido.QidoRs;
import imago.node.dicomweb.wado.WadoRetrieve;
import imago.node.dicomweb.wado.WadoRs;
import imago.node.dicomweb.wado.WadoUri;
import imago.node.dimse.DimseServer;
import imago.node.dimse.FindScp;
import imago.node.dimse.GetScp;
import imago.node.dimse.MoveScp;
import imago.node.events.EventBusPublisher;
import imago.node.events.StudyStabilizer;
import imago.node.viewer.IidRouter;
import imago.node.viewer.ViewerConfig;
import imago.node.research.ResearchExport;
import imago.node.research.ResearchRouter;
import imago.node.viewer.ViewerRouter;
import imago.storage.StorageConfig;
import imago.storage.audit.AuditConfig;
import imago.storage.audit.AuditExporter;
import imago.storage.cluster.ClusterConfig;
import imago.storage.cluster.Coordinator;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.ingest.Ingest;
import imago.storage.object.ObjectStore;
import imago.storage.research.Cohort;
import imago.storage.research.ResearchJudgements;
import imago.storage.research.ResearchProjects;
import imago.storage.results.AiResults;
import imago.storage.telemetry.Telemetry;
import imago.web.Access;
import imago.web.AuthConfig;
import imago.web.AuthRouter;
import imago.web.BearerAuth;
import imago.web.ClientAddress;
import imago.web.LogPaths;
import imago.web.PublicUrl;
import imago.web.Routes;
import imago.web.WebServer;
import imago.web.tls.TlsConfig;
import imago.web.tls.TlsMaterial;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Imago process with every role, wired by hand so "who creates what" reads top to bottom:
 * storage (objects + index) -> recovery -> ingest -> DIMSE SCP, model registry, inference, HTTP -> study stabiliser.
 */
public final class Imago implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Imago.class);

  private final Path dataDir;
  private final StorageRuntime storage;
  private final Vertx vertx;
  private final BearerAuth auth;
  private final Tenants tenants;
  private TlsMaterial tls;
  private DimseServer dimse;
  private WebServer http;
  private StowRs stow;
  private WadoRetrieve wado;
  private StudyStabilizer stabilizer;
  private ModelLoader engines;
  private ModelRegistry models;
  private InferenceRuntime inference;
  private FseNotifier notifier;
  private Coordinator coordinator;
  private AuditExporter auditExport;
  private TelemetrySampler telemetry;

  private Imago(Path dataDir, StorageRuntime storage, Vertx vertx, BearerAuth auth, Tenants tenants) {
    this.dataDir = dataDir;
    this.storage = storage;
    this.vertx = vertx;
    this.auth = auth;
    this.tenants = tenants;
  }

  public static Imago start(Config config) throws IOException {
    return start(config, Clock.systemUTC());
  }

  /** {@code clock} decides when FSE links expire and studies are quiet (tests move it rather than wait). */
  public static Imago start(Config config, Clock clock) throws IOException {
    Path data = config.dataDir();
    SecretFiles.privateDirectory(data);
    StorageConfig storageConfig = config.section("storage", StorageConfig.class);
    NodeConfig nodeConfig = config.section("node", NodeConfig.class);
    AuditConfig.Syslog syslog = config.section("audit", AuditConfig.class).syslog();
    Tenants tenants = tenants(config);
    StorageRuntime storage = StorageRuntime.open(storageConfig, data);
    // One Prometheus registry for Vert.x's own metrics (HTTP, event bus, pools) and the pipeline's.
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry)).build();
    Imago imago = new Imago(data, storage, vertx, auth(vertx, config, data), tenants);
    LogPaths.register(CapabilityToken::redact); // link tokens travel in paths: none reaches a log
    try {
      imago.coordinator = new Coordinator(storage.database().dataSource(), storage.database().isPostgres(),
          config.section("cluster", ClusterConfig.class));
      EventBusPublisher events = new EventBusPublisher(vertx);
      TelemetrySampler.ReceivedCounts received = new TelemetrySampler.ReceivedCounts();
      Ingest ingest = storage.ingest(storageConfig.duplicatePolicy(), instance -> {
        events.stored(instance);
        received.stored(instance);
      }, new IngestMetrics(registry));
      storage.recover(ingest); // before the node accepts anything
      PublicUrl address = nodeConfig.address();
      java.util.Map<String, List<String>> tenantCas = new java.util.HashMap<>();
      for (Tenant t : tenants.all()) if (!t.clientCas().isEmpty()) tenantCas.put(t.id(), t.clientCas());
      imago.tls = TlsMaterial.open(config.section("tls", TlsConfig.class), data, address.host().stream().toList(), clock,
          tenantCas);
      if (syslog.enabled()) imago.auditExport = exportAudit(syslog, storage, nodeConfig.aeTitle(), imago.tls);
      Path spool = data.resolve("spool");
      cleanSpool(spool);
      Access access = new Access(imago.auth, storage.index(), new ClientAddress(nodeConfig.trustedProxies()));
      warnIfPlainIsOpen(nodeConfig);
      imago.dimse = new DimseServer(nodeConfig, tenants, ingest,
          new FindScp(storage.index(), access, nodeConfig.aeTitle(), FindScp.DEFAULT_MAX_MATCHES),
          new MoveScp(storage.index(), storage.store(), access, nodeConfig, imago.tls.clientContext()),
          new GetScp(storage.index(), storage.store(), access), imago.tls);
      imago.dimse.start();
      imago.stow = new StowRs(vertx, nodeConfig, tenants, ingest,
          Math.max(4, Runtime.getRuntime().availableProcessors() * 2));
      imago.wado = new WadoRetrieve(vertx, storage.index(), storage.store(), 16);
      imago.engines = config.section("inference", InferenceConfig.class).loader(data);
      ModelsConfig modelsConfig = config.section("models", ModelsConfig.class);
      ManifestParser parser = new ManifestParser();
      ArtifactCache artifacts = new ArtifactCache(data.resolve("models"), storage.store());
      imago.models = new ModelRegistry(storage.models(), storage.store(), parser,
          new ModelValidator(imago.engines, modelsConfig.dryRunBatch()), artifacts, modelsConfig);
      try {
        imago.models.resume();
      } catch (SqlUnavailableException e) {
        throw new IOException("model registry: " + e.getMessage(), e);
      }
      imago.inference = new InferenceRuntime(vertx, config.section("inference", InferenceConfig.class), storage, ingest,
          imago.engines, artifacts, parser, registry, resultUids(config, data), imago.coordinator);
      AiResults aiResults = new AiResults(imago.inference.queue());
      Telemetry telemetry = new Telemetry(storage.database().dataSource());
      ConsoleConfig consoleConfig = config.section("console", ConsoleConfig.class);
      LinksConfig linksConfig = config.section("links", LinksConfig.class);
      QidoRs qido = new QidoRs(nodeConfig, storage.index(), access, QidoRs.DEFAULT_MAX_RESULTS);
      WadoRs wadoRs = new WadoRs(imago.wado, access, nodeConfig);
      String viewerBase = address.path() + "/viewer";
      ViewerConfig viewerConfig = config.section("viewer", ViewerConfig.class);
      String master = masterKey(config, data);
      ResearchProjects research = new ResearchProjects(storage.database().dataSource(), clock);
      ResearchJudgements judgements = new ResearchJudgements(storage.database().dataSource(), clock);
      Cohort cohort = new Cohort(storage.index(), storage.store(), research,
          p -> Secrets.derive(master, "imago research project " + p.id() + " " + p.keySalt()));
      List<WebServer.Mount> mounts = List.of(
          WebServer.Mount.api("/dicomweb", DicomWebService.routes(vertx, access, List.of(imago.stow, qido, wadoRs))),
          WebServer.Mount.api("/inference", imago.inference.routes(access)),
          WebServer.Mount.api("/metrics", metricsRoutes(vertx, registry)),
          WebServer.Mount.api("/admin/overview", new OverviewRouter(vertx, access, telemetry, imago.inference.queue(),
              consoleConfig, clock).routes()),
          WebServer.Mount.pages("/console", ConsolePages.router(vertx, ConsolePages.defaultUplot())),
          WebServer.Mount.api("/admin", new AdminRouter(vertx, storage.index(), access, clock).routes()),
          WebServer.Mount.api("/models", new ModelsRouter(vertx, imago.models, access, spool, new Evaluations(storage.models(),
              research, judgements, cohort, storage.index(), imago.inference.queue(), imago.inference.scheduler(),
              imago.inference::wake, modelsConfig.promotionMargin())).routes()),
          WebServer.Mount.api("/auth", new AuthRouter(vertx, access, imago.auth, clock).routes()),
          WebServer.Mount.api("/openapi.json", OpenApi.routes(vertx)),
          WebServer.Mount.pages("/api-docs", ApiDocs.router(vertx, ApiDocs.defaultDist())),
          WebServer.Mount.api("/wado", new WadoUri(vertx, imago.wado, access).routes()),
          WebServer.Mount.pages("/viewer", new ViewerRouter(vertx, viewerConfig.distDir(), address,
              viewerConfig.frameAncestors()).router()),
          WebServer.Mount.api("/fse/links", new FseLinksRouter(vertx, storage.links(),
              new FseLinks(storage.links(), storage.index(), linksConfig, clock), access, address).routes()),
          WebServer.Mount.api("/l/:token", new LinkRouter(vertx, storage.links(), access, List.of(qido, wadoRs),
              viewerBase, storage.index(), storage.store(), aiResults, address, linksConfig.maxTtl(), clock).routes()),
          WebServer.Mount.api("/research", new ResearchRouter(vertx, research, cohort, access, wadoRs, address,
              new ResearchExport(vertx, cohort, spool, "dcm2niix"), judgements).routes()),
          WebServer.Mount.api("/IHEInvokeImageDisplay", new IidRouter(vertx, viewerBase).routes()));
      imago.http = new WebServer(vertx, listeners(nodeConfig, imago.tls), mounts, List.of(
          new WebServer.Readiness("objectStore", storage.store()::reachable),
          new WebServer.Readiness("index", () -> {
            storage.index().ping(); // constant time: a load balancer asks every second or two
            return true;
          })), WebServer.Limits.DEFAULT).home("console/").start().await();
      imago.notifier = new FseNotifier(storage.links(), storage.deliveries(), storage.index(), aiResults,
          linksConfig, () -> address.orLocal(imago.http.port()), imago.tls.clientContext()).register(imago.coordinator);
      imago.stabilizer = new StudyStabilizer(vertx, storage.index(), nodeConfig.stableQuietPeriod(), clock,
          imago.coordinator).register();
      imago.telemetry = new TelemetrySampler(telemetry, consoleConfig, imago.coordinator.node(), "serve",
          new JsonObject().put("version", InferenceRuntime.IMAGO_VERSION).put("pid", ProcessHandle.current().pid())
              .put("dicomPort", imago.dimse.port()).put("httpPort", imago.http.port())
              .put("worker", imago.inference.runsWorker()), clock, received,
          imago.inference.runsWorker() ? imago.inference.metrics() : null, imago.inference.queue(),
          tenants.all().stream().map(Tenant::id).toList()).start(imago.coordinator);
      imago.coordinator.start(); // duties and consumers run from here, on whichever node holds them
      if (!address.configured() && !"127.0.0.1".equals(nodeConfig.bindAddress()) && !"localhost".equals(nodeConfig.bindAddress())) {
        LOG.warn("event=imago.public_url.unset bind={} note=\"URLs Imago writes (RetrieveURLs, FSE links) name the local address "
            + "each connection arrived at; behind a proxy, NAT or a container set node.publicUrl\"", nodeConfig.bindAddress());
      }
      imago.writeRunFile();
      LOG.info("event=imago.ready dicomPort={} dicomTlsPort={} httpPort={} httpsPort={} ae={} data={}", imago.dimse.port(),
          imago.dimse.tlsPort(), imago.http.port(), imago.httpsPort(), nodeConfig.aeTitle(), data);
      return imago;
    } catch (IOException | RuntimeException e) {
      imago.close();
      throw e;
    }
  }

  /** Plain HTTP on node.bindAddress (loopback by default), HTTPS on node.tlsBindAddress; a port of -1 is off. */
  private static List<WebServer.Listener> listeners(NodeConfig node, TlsMaterial tls) {
    List<WebServer.Listener> listeners = new java.util.ArrayList<>();
    if (node.httpPort() >= 0) listeners.add(WebServer.Listener.plain(node.bindAddress(), node.httpPort()));
    if (node.httpsPort() >= 0) listeners.add(WebServer.Listener.https(node.tlsBindAddress(), node.httpsPort(), tls.keyManager()));
    return listeners;
  }

  /** Plain DIMSE trusts a calling AE title and plain HTTP sends tokens in the clear: say so when they face a network. */
  private static void warnIfPlainIsOpen(NodeConfig node) {
    if (!node.plainOnLoopback() && (node.dicomPort() >= 0 || node.httpPort() >= 0)) {
      LOG.warn("event=imago.plain_listeners_open bind={} note=\"plain DIMSE (calling AE title only) and plain HTTP (tokens "
          + "in the clear) listen beyond loopback; hospitals should use DICOM TLS ({}) and HTTPS ({})\"", node.bindAddress(),
          node.dicomTlsPort(), node.httpsPort());
    }
  }

  /**
   * Every audit row also to syslog, from the rows written from now on (before the node accepts
   * anything); over TLS Imago presents its own certificate, as an ATNA Secure Node does.
   */
  private static AuditExporter exportAudit(AuditConfig.Syslog syslog, StorageRuntime storage, String aeTitle,
      TlsMaterial tls) throws IOException {
    try {
      return AuditExporter.start(syslog, storage.auditTrail(), aeTitle, tls.keyManager());
    } catch (SqlUnavailableException e) {
      throw new IOException("audit export: " + e.getMessage(), e);
    }
  }

  /** GET /metrics: Prometheus text exposition, unauthenticated like /health (no patient data in it). */
  private static Routes metricsRoutes(Vertx vertx, PrometheusMeterRegistry registry) {
    Routes r = new Routes(vertx);
    r.get("").handler(PrometheusScrapingHandler.create(registry));
    return r;
  }

  static Tenants tenants(Config config) {
    return new Tenants(Arrays.asList(config.section("tenants", Tenant[].class)));
  }

  static BearerAuth auth(Vertx vertx, Config config, Path data) throws IOException {
    return new BearerAuth(vertx, config.section("auth", AuthConfig.class).withSecret(masterKey(config, data)));
  }

  /** auth.jwtSecret, else the key generated on first start: the one secret every node of a deployment shares. */
  private static String masterKey(Config config, Path data) throws IOException {
    AuthConfig auth = config.section("auth", AuthConfig.class);
    if (auth.jwtSecret() != null && !auth.jwtSecret().isBlank()) return auth.jwtSecret();
    return Secrets.loadOrCreateKey(data.resolve("secrets").resolve("jwt-hs256.key"));
  }

  /** AI results' UIDs, keyed by a key derived from the master key (every worker computes the same ones). */
  static ResultUids resultUids(Config config, Path data) throws IOException {
    return new ResultUids(Secrets.derive(masterKey(config, data), "imago result UIDs"));
  }

  /** Spool files belong to transfers that died with the last process. */
  private static void cleanSpool(Path spool) throws IOException {
    if (!Files.isDirectory(spool)) return;
    try (var files = Files.list(spool)) {
      for (Path f : (Iterable<Path>) files::iterator) Files.deleteIfExists(f);
    }
  }

  /** {data}/run/imago.json: what a script or a second process needs to find this one. */
  private void writeRunFile() throws IOException {
    Path run = dataDir.resolve("run");
    Files.createDirectories(run);
    String json = String.format("{\"pid\": %d, \"dicomPort\": %d, \"dicomTlsPort\": %d, \"httpPort\": %d, "
        + "\"httpsPort\": %d}%n", ProcessHandle.current().pid(), dimse.port(), dimse.tlsPort(), http.port(), httpsPort());
    Files.writeString(run.resolve("imago.json"), json, StandardCharsets.UTF_8);
  }

  public int dicomPort() {
    return dimse.port();
  }

  public int httpPort() {
    return http.port();
  }

  /** The HTTPS port, -1 when HTTPS is off. */
  public int httpsPort() {
    return http.httpsPort().orElse(-1);
  }

  /** The DICOM TLS port, -1 when it is off. */
  public int dicomTlsPort() {
    return dimse.tlsPort();
  }

  /** This process's keys and trust (the local CA, the server certificate). */
  public TlsMaterial tls() {
    return tls;
  }

  public ObjectStore store() {
    return storage.store();
  }

  public Index index() {
    return storage.index();
  }

  public StorageRuntime storage() {
    return storage;
  }

  public StudyStabilizer stabilizer() {
    return stabilizer;
  }

  /** Every REST endpoint the HTTP server answers ({@code GET /inference/jobs/{id}}...). */
  public List<Routes.Endpoint> endpoints() {
    return http.endpoints();
  }

  public DimseServer dimse() {
    return dimse;
  }

  public Vertx vertx() {
    return vertx;
  }

  public BearerAuth auth() {
    return auth;
  }

  public ModelRegistry models() {
    return models;
  }

  public Coordinator coordinator() {
    return coordinator;
  }

  public FseNotifier notifier() {
    return notifier;
  }

  public imago.storage.jobs.JobQueue jobs() {
    return inference.queue();
  }

  public Tenants tenants() {
    return tenants;
  }

  @Override
  public void close() {
    if (telemetry != null) telemetry.close();
    if (coordinator != null) coordinator.close(); // its duties go to other nodes at once
    if (inference != null) inference.close();
    if (dimse != null) dimse.close();
    if (http != null) http.close();
    if (stow != null) stow.close();
    if (models != null) models.close();
    if (wado != null) wado.close();
    if (engines instanceof AutoCloseable sandbox) {
      try {
        sandbox.close();
      } catch (Exception ignored) {
        // its timer thread is a daemon
      }
    }
    if (auditExport != null) auditExport.close(); // rows it has not sent yet go after the next start
    vertx.close().await();
    storage.close();
    try {
      Files.deleteIfExists(dataDir.resolve("run").resolve("imago.json"));
    } catch (IOException ignored) {
      // stale run file: its pid tells it is stale
    }
    LOG.info("event=imago.stopped");
  }
}
