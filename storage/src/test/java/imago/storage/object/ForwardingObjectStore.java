package imago.storage.object;

import imago.core.io.Spool;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A real store seen through a test's window: every call goes to {@code delegate}; a test overrides
 * the calls it wants to record or count. Closing it leaves the real store to its owner.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
  protected final ObjectStore delegate;

  protected ForwardingObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public Spool newSpool() {
    return delegate.newSpool();
  }

  @Override
  public void put(String key, Spool content, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException {
    delegate.put(key, content, contentType, metadata);
  }

  @Override
  public void put(String key, InputStream content, long size, String contentType, Map<String, String> metadata)
      throws StorageUnavailableException {
    delegate.put(key, content, size, contentType, metadata);
  }

  @Override
  public Optional<InputStream> get(String key) throws StorageUnavailableException {
    return delegate.get(key);
  }

  @Override
  public Optional<InputStream> get(String key, long offset, long length) throws StorageUnavailableException {
    return delegate.get(key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws StorageUnavailableException {
    return delegate.stat(key);
  }

  @Override
  public void remove(String key) throws StorageUnavailableException {
    delegate.remove(key);
  }

  @Override
  public void list(String prefix, Consumer<ObjectInfo> each) throws StorageUnavailableException {
    delegate.list(prefix, each);
  }

  @Override
  public void removePartialWrites(String owner) throws StorageUnavailableException {
    delegate.removePartialWrites(owner);
  }

  @Override
  public boolean reachable() {
    return delegate.reachable();
  }

  @Override
  public void close() {
    // the real store belongs to whoever made it
  }
}
