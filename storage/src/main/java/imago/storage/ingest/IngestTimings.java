package imago.storage.ingest;

import java.util.Locale;

/**
 * Where the time of one ingested instance goes, stage by stage (issue 11: measure before
 * optimising). {@link Ingest} records the stages it runs; a receiving protocol records how long
 * the bytes took to arrive and the response to go out. The server exports them as
 * {@code imago_ingest_stage_seconds{stage=...}}; bench/ingest prints them per instance.
 */
@FunctionalInterface
public interface IngestTimings {
  /** The stages of one instance's ingest, in the order they run. */
  enum Stage {
    /** First to last byte of the data set, as the protocol delivers it (PDU reading included). */
    RECEIVE,
    /** File Meta Information and the data set's structure checked (tags, lengths, sequences). */
    VALIDATE,
    /** The attributes the index needs, parsed into an attribute list. */
    PARSE,
    /** SHA-256 of the data set. */
    HASH,
    /** DICOM JSON metadata, gzipped, for WADO-RS metadata. */
    METADATA,
    /** Looking up an instance with the same SOP Instance UID. */
    LOOKUP,
    /** Journaling the object's key (fdatasync, shared across concurrent writers). */
    JOURNAL,
    /**
     * Putting the object: on fs, what is left of its fsync (started when the last byte arrived),
     * the rename and the directory fsync; on s3, the upload.
     */
    WRITE,
    /** The index transaction. */
    COMMIT,
    /** Sending the protocol's response. */
    RESPOND;

    /** The label value exported for this stage. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Records {@code nanos} spent in {@code stage} by one instance. */
  void record(Stage stage, long nanos);

  /** Records nothing. */
  IngestTimings NONE = (stage, nanos) -> {};
}
