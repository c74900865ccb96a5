package imago.storage.object;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The door to object storage (an S3 bucket). Like Orthanc's storage area: create, read, remove,
 * plus listing for the orphan sweep. Keys are plain '/'-separated paths.
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

  /** The object's bytes, or empty if there is no such key. The caller closes the stream. */
  Optional<InputStream> get(String key) throws StorageUnavailableException;

  /** A byte range [offset, offset + length) of the object. */
  Optional<InputStream> get(String key, long offset, long length) throws StorageUnavailableException;

  Optional<ObjectInfo> stat(String key) throws StorageUnavailableException;

  /** Removes the object; removing a missing key is not an error. */
  void remove(String key) throws StorageUnavailableException;

  /** Every object whose key starts with {@code prefix}, in key order (metadata not filled in). */
  void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException;

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
