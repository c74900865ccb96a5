package imago.storage.ingest;

import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.object.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up recovery from the journals of processes that died: every object they were writing
 * that is in the store but has no index row is re-indexed from its bytes (never deleted: its
 * sender may have been acknowledged before a power cut took the index commit, or may retry, and
 * duplicates are idempotent); their partial writes are removed. The work is bounded by the
 * writes those journals recorded since their last checkpoint, not by the size of the archive.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  /** What recovery found: journals of dead processes, entries read, and instances re-indexed. */
  public record Result(int journals, int entries, int reindexed) {}

  private Recovery() {}

  public static Result run(Path journalDir, ObjectStore store, Index index, Ingest ingest)
      throws IOException, SqlUnavailableException {
    List<IngestJournal.Abandoned> journals = IngestJournal.abandoned(journalDir);
    int entries = 0;
    int reindexed = 0;
    for (IngestJournal.Abandoned journal : journals) {
      for (IngestJournal.Entry e : journal.entries()) {
        entries++;
        if (index.referencesObject(e.key()) || store.stat(e.key()).isEmpty()) continue;
        IngestOutcome outcome = ingest.reindex(e.key(), e.source(), e.origin());
        if (outcome.ok()) {
          reindexed++;
          LOG.info("event=recovery.reindexed key={} sop={}", e.key(), outcome.sopInstanceUid());
        } else if (outcome.status() == imago.core.dicom.DicomStatus.OUT_OF_RESOURCES) {
          throw new IOException("recovery cannot index " + e.key() + " now (journal kept): " + outcome.reason());
        } else {
          LOG.warn("event=recovery.skipped key={} reason=\"{}\"", e.key(), outcome.reason());
        }
      }
      store.removePartialWrites(journal.owner());
      journal.discard();
    }
    LOG.info("event=recovery.done journals={} entries={} reindexed={}", journals.size(), entries, reindexed);
    return new Result(journals.size(), entries, reindexed);
  }
}
