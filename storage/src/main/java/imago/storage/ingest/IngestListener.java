package imago.storage.ingest;

import imago.storage.index.StoredInstance;

/** Told after an instance is durable (in S3 and committed in the index); never before. */
@FunctionalInterface
public interface IngestListener {
  IngestListener NONE = instance -> { };

  void stored(StoredInstance instance);
}
