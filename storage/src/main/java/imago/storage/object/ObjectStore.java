package imago.storage.object;

import imago.core.io.Spool;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The door to object storage: a local directory ({@link FsObjectStore}, the embedded default) or an
 * S3 bucket ({@link S3ObjectStore}). Like Orthanc's storage area: create, read, remove, plus
 * listing for reindexing. Keys are plain '/'-separated paths. A put returns once the object is
 * durable: fsynced on disk, or acknowledged by S3.
 */
public interface ObjectStore extends AutoCloseable {

  /** What is known of a stored object without reading it. */
  record ObjectInfo(String key, long size, Instant lastModified, Map<String, String> metadata) {}

  /**
   * Stores {@code size} bytes from {@code content} under {@code key}, with user metadata. Returns
   * only once the store has acknowledged the whole object; throws {@link StorageUnavailableException}
   * when the store cannot be reached or refuses.
   */
  void put(String key, InputStream content, long size, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException;

  /**
   * A spool for a new object's bytes as they arrive, placed where {@link #put(String, Spool, String, Map)}
   * takes it without copying when the backend can (the fs backend's staging folder).
   */
  Spool newSpool();

  /**
   * Says that everything of a new object has been written to {@code content} (from {@link #newSpool()}):
   * the store may start making those bytes durable while the caller parses and journals them, so
   * that {@link #put(String, Spool, String, Map)} later waits only for what is left. A hint: a
   * store may do nothing here.
   */
  default void received(Spool content) {}

  /** Stores everything written to {@code content} under {@code key}; the spool may be emptied. */
  default void put(String key, Spool content, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException {
    try (InputStream in = content.open()) {
      put(key, in, content.size(), contentType, metadata);
    } catch (StorageUnavailableException e) {
      throw e;
    } catch (IOException e) {
      throw new StorageUnavailableException("cannot read the spooled object for " + key + ": " + e.getMessage(), e);
    }
  }

  /** The object's bytes, or empty if there is no such key. The caller closes the stream. */
  Optional<InputStream> get(String key) throws StorageUnavailableException;

  /** A byte range [offset, offset + length) of the object. */
  Optional<InputStream> get(String key, long offset, long length) throws StorageUnavailableException;

  Optional<ObjectInfo> stat(String key) throws StorageUnavailableException;

  /** Removes the object; removing a missing key is not an error. */
  void remove(String key) throws StorageUnavailableException;

  /** Every object whose key starts with {@code prefix}, in key order (metadata not filled in). */
  void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException;

  /**
   * Removes what the writes of a process that died ({@code owner}, its journal's owner id) left
   * half done. Objects themselves are never removed here.
   */
  default void removePartialWrites(String owner) throws StorageUnavailableException {
    // S3 has no partial objects: an interrupted PUT never becomes visible
  }

  /** Whether the store answers now (for /ready and start-up checks). */
  boolean reachable();

  @Override
  void close();

  /** The store could not be reached, timed out, or refused the request. */
  final class StorageUnavailableException extends IOException {
    public StorageUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
