package imago.models.registry;

import imago.core.dicom.Uids;
import imago.core.tenant.Caller;
import imago.inference.engine.ArtifactCache;
import imago.inference.manifest.InvalidManifestException;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.ManifestParser;
import imago.models.registry.RegistryException.Reason;
import imago.models.validation.ModelValidator;
import imago.models.validation.ValidationReport;
import imago.storage.index.SqlUnavailableException;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelEvent;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.storage.models.NewModelVersion;
import imago.storage.object.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model registry: registers versions (manifest + artifact, immutable in S3 at
 * {@code models/<name>/<version>/}), validates them, and moves them through their lifecycle.
 * Researchers register within their tenant; the region's admin activates. Blocking: call it off
 * the event loop.
 *
 * <p>Order of a registration: manifest and artifact checks (nothing stored if they fail) -> the
 * version row (which claims name+version atomically, so a re-upload can never overwrite an artifact)
 * -> S3 -> validation -> {@code validated} or {@code failed}. A process that dies in between leaves a
 * {@code registered} row, which {@link #resume()} validates again or fails.
 */
public final class ModelRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  public static final String PREFIX = "models/";

  private final ModelCatalog catalog;
  private final ObjectStore store;
  private final ManifestParser parser;
  private final ArtifactInspector inspector;
  private final ModelValidator validator;
  private final ArtifactCache cache;
  private final ModelsConfig config;
  private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "imago-model-validation");
    t.setDaemon(true);
    return t;
  });

  /** A registration's outcome: the version as it stands, and whether validation goes on in the background. */
  public record Registration(ModelVersion version, boolean validating) {}

  public ModelRegistry(ModelCatalog catalog, ObjectStore store, ManifestParser parser, ModelValidator validator,
      ArtifactCache cache, ModelsConfig config) {
    this.catalog = catalog;
    this.store = store;
    this.parser = parser;
    this.inspector = new ArtifactInspector(config.maxUnpackedBytes());
    this.validator = validator;
    this.cache = cache;
    this.config = config;
  }

  public ManifestParser parser() {
    return parser;
  }

  public ModelsConfig config() {
    return config;
  }

  /**
   * Registers a version for the caller's tenant. {@code artifact} is a spooled upload the registry
   * takes over (moved into the artifact cache or deleted).
   */
  public Registration register(Caller caller, byte[] manifestBytes, Path artifact)
      throws RegistryException, SqlUnavailableException, IOException {
    try {
      if (caller.role() != Caller.Role.RESEARCHER && caller.role() != Caller.Role.ADMIN) {
        throw new RegistryException(Reason.NOT_PERMITTED, "Role may not register models", "needs role researcher or admin");
      }
      Manifest manifest;
      try {
        manifest = parser.parse(manifestBytes);
      } catch (InvalidManifestException e) {
        throw new RegistryException(Reason.INVALID_MANIFEST, "Invalid manifest", e.getMessage(), e.errors());
      }
      long size = Files.size(artifact);
      try {
        inspector.inspect(artifact, manifest.framework());
      } catch (InvalidArtifactException e) {
        throw new RegistryException(Reason.INVALID_ARTIFACT, "Invalid artifact", e.getMessage());
      }
      String sha256 = sha256(artifact);
      String key = PREFIX + manifest.name() + "/" + manifest.version() + "/" + ArtifactInspector.fileName(manifest.framework());
      String deviceUid = Uids.fromUuid(UUID.nameUUIDFromBytes(("imago:model:" + manifest.name() + ":" + manifest.version()
          + ":" + sha256).getBytes(StandardCharsets.UTF_8)));
      ModelVersion v;
      try {
        v = catalog.register(new NewModelVersion(manifest.name(), manifest.version(), caller.tenantId(),
            manifest.framework().id(), manifest.task().id(), key, sha256, size, deviceUid,
            new String(manifestBytes, StandardCharsets.UTF_8), caller.subject()));
      } catch (ModelCatalog.Conflict e) {
        throw new RegistryException(Reason.VERSION_EXISTS, "Version exists", e.getMessage());
      }
      try {
        try (InputStream in = Files.newInputStream(artifact)) {
          store.put(key, in, size, "application/octet-stream", Map.of("sha256", sha256));
        }
        store.put(PREFIX + manifest.name() + "/" + manifest.version() + "/manifest.json",
            new ByteArrayInputStream(manifestBytes), manifestBytes.length, "application/json", Map.of());
      } catch (ObjectStore.StorageUnavailableException e) {
        fail(v, "storage", "artifact could not be stored: " + e.getMessage(), caller.subject());
        throw e;
      }
      cache.adopt(v, artifact);
      LOG.info("event=model.registered name={} version={} tenant={} framework={} sha256={} size={}", v.name(), v.version(),
          v.tenantId(), v.framework(), sha256, size);
      if (size > config.syncValidationBytes()) {
        background.submit(() -> validate(v));
        return new Registration(v, true);
      }
      return new Registration(validate(v), false);
    } finally {
      try {
        Files.deleteIfExists(artifact);
      } catch (IOException ignored) {
        // spool debris is cleaned at start-up
      }
    }
  }

  /** Validates a registered version and records {@code validated} or {@code failed}; never throws. */
  ModelVersion validate(ModelVersion v) {
    try {
      Manifest manifest = parser.parse(v.manifestJson().getBytes(StandardCharsets.UTF_8));
      ValidationReport report;
      try {
        report = validator.validate(manifest, cache.file(v));
      } catch (IOException e) {
        report = ValidationReport.failed("storage", "artifact could not be read back: " + e.getMessage());
      }
      String json = report.toJson().encode();
      ModelState to = report.passed() ? ModelState.VALIDATED : ModelState.FAILED;
      String reason = report.passed() ? null : report.failedCheck() + ": " + report.error();
      LOG.info("event=model.validated name={} version={} passed={} check={}", v.name(), v.version(), report.passed(),
          report.failedCheck());
      return catalog.transition(v.name(), v.version(), EnumSet.of(ModelState.REGISTERED), to, "validator", reason, json)
          .orElseGet(() -> find(v.name(), v.version()).orElse(v));
    } catch (InvalidManifestException e) {
      return fail(v, "manifest", e.getMessage(), "validator");
    } catch (SqlUnavailableException e) {
      LOG.error("event=model.validation.unrecorded name={} version={} error={}", v.name(), v.version(), e.getMessage());
      return v;
    } catch (RuntimeException e) {
      LOG.error("event=model.validation.crashed name={} version={}", v.name(), v.version(), e);
      return fail(v, "internal", "validation crashed: " + e, "validator");
    }
  }

  private ModelVersion fail(ModelVersion v, String check, String error, String actor) {
    try {
      String json = ValidationReport.failed(check, error).toJson().encode();
      return catalog.transition(v.name(), v.version(), EnumSet.of(ModelState.REGISTERED), ModelState.FAILED, actor,
          check + ": " + error, json).orElse(v);
    } catch (SqlUnavailableException e) {
      LOG.error("event=model.fail.unrecorded name={} version={} error={}", v.name(), v.version(), e.getMessage());
      return v;
    }
  }

  /** Versions left {@code registered} by a process that stopped mid-registration are validated again. */
  public void resume() throws SqlUnavailableException {
    for (ModelVersion v : catalog.unvalidated()) {
      LOG.info("event=model.validation.resumed name={} version={}", v.name(), v.version());
      background.submit(() -> validate(v));
    }
  }

  /** Activates a validated (or retired) version for every hospital of the region: the region's role only. */
  public ModelVersion activate(Caller caller, String name, String version, String mode)
      throws RegistryException, SqlUnavailableException {
    return activate(caller, name, version, mode, null);
  }

  /**
   * Activates {@code version} as primary or shadow: a validated or retired version, or a shadow
   * promoted to primary. {@code detail} goes into the lifecycle event (an overridden gate's reason).
   */
  public ModelVersion activate(Caller caller, String name, String version, String mode, String detail)
      throws RegistryException, SqlUnavailableException {
    if (caller.role() != Caller.Role.REGION) {
      throw new RegistryException(Reason.NOT_PERMITTED, "Only the region activates models",
          "an active model runs on every hospital's studies: activation needs role region, not a tenant's role");
    }
    if (!ModelVersion.PRIMARY.equals(mode) && !ModelVersion.SHADOW.equals(mode)) {
      throw new RegistryException(Reason.INVALID_REQUEST, "Invalid mode", "mode must be primary or shadow, got " + mode);
    }
    ModelVersion v = visible(caller, name, version);
    EnumSet<ModelState> from = EnumSet.of(ModelState.VALIDATED, ModelState.RETIRED);
    boolean promotion = v.state() == ModelState.ACTIVE && ModelVersion.SHADOW.equals(v.mode()) && ModelVersion.PRIMARY.equals(mode);
    if (promotion) from.add(ModelState.ACTIVE);
    return catalog.activate(name, version, from, mode, caller.subject(), detail)
        .orElseThrow(() -> new RegistryException(Reason.INVALID_STATE, "Cannot activate",
            name + " " + version + " is " + v.state().id() + (v.mode() != null ? " (" + v.mode() + ")" : "")
                + (v.reason() != null ? " (" + v.reason() + ")" : "")
                + "; only a validated or retired version can be activated, or a shadow promoted to primary"));
  }

  /** Retires a version: its own tenant's researchers and admins, or the region. */
  public ModelVersion retire(Caller caller, String name, String version, String reason)
      throws RegistryException, SqlUnavailableException {
    ModelVersion v = visible(caller, name, version);
    if (!owns(caller, v) && caller.role() != Caller.Role.REGION) {
      throw new RegistryException(Reason.NOT_PERMITTED, "Not your model", name + " belongs to tenant " + v.tenantId()
          + "; only its researchers and admins, or the region, may retire it");
    }
    return catalog.transition(name, version, EnumSet.of(ModelState.ACTIVE, ModelState.VALIDATED), ModelState.RETIRED,
            caller.subject(), reason == null || reason.isBlank() ? "retired" : reason, null)
        .orElseThrow(() -> new RegistryException(Reason.INVALID_STATE, "Cannot retire",
            name + " " + version + " is " + v.state().id() + "; only an active or validated version can be retired"));
  }

  /**
   * A version the caller may see: the region sees all; researchers and admins their tenant's and
   * every active one; other roles the active ones. Not visible is NOT_FOUND, as if it did not exist.
   */
  public ModelVersion visible(Caller caller, String name, String version) throws RegistryException, SqlUnavailableException {
    Optional<ModelVersion> v = catalog.find(name, version);
    if (v.isEmpty() || !canSee(caller, v.get())) {
      throw new RegistryException(Reason.NOT_FOUND, "No such model version", name + " " + version);
    }
    return v.get();
  }

  /** A version whose artifact the caller may download: its tenant's researchers and admins, and the region. */
  public ModelVersion downloadable(Caller caller, String name, String version)
      throws RegistryException, SqlUnavailableException {
    ModelVersion v = visible(caller, name, version);
    if (!owns(caller, v) && caller.role() != Caller.Role.REGION) {
      throw new RegistryException(Reason.NOT_PERMITTED, "Artifact not downloadable",
          "artifacts are downloadable by their tenant's researchers and admins");
    }
    return v;
  }

  public static boolean canSee(Caller caller, ModelVersion v) {
    return caller.role() == Caller.Role.REGION || v.state() == ModelState.ACTIVE || owns(caller, v);
  }

  /** The version's own tenant's researchers and admins. */
  private static boolean owns(Caller caller, ModelVersion v) {
    return (caller.role() == Caller.Role.RESEARCHER || caller.role() == Caller.Role.ADMIN) && caller.tenantId().equals(v.tenantId());
  }

  public List<ModelVersion> list(Caller caller, String name, ModelState state) throws SqlUnavailableException {
    return catalog.list(name, null, state).stream().filter(v -> canSee(caller, v)).toList();
  }

  public List<ModelEvent> history(ModelVersion v) throws SqlUnavailableException {
    return catalog.history(v.name(), v.version());
  }

  /** The stored artifact's bytes. */
  public InputStream artifact(ModelVersion v) throws RegistryException, IOException {
    return store.get(v.artifactKey()).orElseThrow(() -> new RegistryException(Reason.ARTIFACT_MISSING,
        "Artifact missing", v.artifactKey() + " is not in object storage"));
  }

  private Optional<ModelVersion> find(String name, String version) {
    try {
      return catalog.find(name, version);
    } catch (SqlUnavailableException e) {
      return Optional.empty();
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest sha = ArtifactCache.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  @Override
  public void close() {
    background.shutdownNow();
    try {
      background.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
