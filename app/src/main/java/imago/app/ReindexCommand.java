package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Tenants;
import imago.storage.StorageConfig;
import imago.storage.index.Source;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestListener;
import imago.storage.ingest.IngestOutcome;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code imago reindex [--tenant T]}: rebuilds the index from the object store alone. The object
 * store is the record; the index is derived. Every instance object without an index row gets one,
 * with its tenant from its key and everything else from its bytes; objects already indexed are
 * counted as duplicates, so a second run changes nothing. Facts kept only in SQL (shares, links,
 * audit, jobs, models) are not in the objects and are not rebuilt.
 */
final class ReindexCommand {
  private ReindexCommand() {}

  static int run(Config config, String tenantId, int threads, PrintStream out, PrintStream progress) throws Exception {
    Tenants tenants = Imago.tenants(config);
    if (tenantId != null && tenants.byId(tenantId).isEmpty()) throw new IllegalArgumentException("no tenant '" + tenantId + "'");
    StorageConfig storageConfig = config.section("storage", StorageConfig.class);
    int n = threads > 0 ? threads : storageConfig.ingestThreads();
    try (StorageRuntime storage = StorageRuntime.open(storageConfig, config.dataDir())) {
      List<String> keys = new ArrayList<>();
      progress.println("reindex: listing objects" + (tenantId == null ? "" : " of tenant " + tenantId) + "...");
      storage.store().list(tenantId == null ? "" : tenantId + "/", info -> {
        if (Ingest.isInstanceKey(info.key())) keys.add(info.key());
      });
      Ingest ingest = storage.ingest(storageConfig.duplicatePolicy(), IngestListener.NONE);
      ImportCommand.Tally tally = ImportCommand.runAll(keys, n, progress, "objects",
          new ImportCommand.Labels("indexed", "already indexed", "not indexed"), (key, t) -> {
        String tenant = key.substring(0, key.indexOf('/'));
        if (tenants.byId(tenant).isEmpty()) {
          ImportCommand.reject(t, "tenant '" + tenant + "' is not configured");
          return;
        }
        IngestOutcome outcome = ingest.reindex(key, Source.REINDEX, "reindex");
        if (outcome.ok()) {
          (outcome.duplicate() ? t.duplicate : t.stored).increment();
          t.bytes.add(outcome.instance().objectSize());
        } else {
          ImportCommand.reject(t, outcome.reason().replaceAll("object \\S+: ", ""));
        }
      });
      out.printf("%d instance objects: %d indexed, %d already indexed, %d not indexed%n", keys.size(),
          tally.stored.sum(), tally.duplicate.sum(), tally.rejected.sum());
      tally.reasons.forEach((reason, count) -> out.printf("  not indexed %5d  %s%n", count.sum(), reason));
      return tally.rejected.sum() == 0 ? 0 : 1;
    }
  }
}
