package imago.core.io;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Bytes of one object as they arrive from the network: held in memory up to a threshold, then
 * spilled to a file in the spool folder, so a 2 GB multi-frame instance never sits in the heap.
 * One writer, then any number of readers; {@link #close()} deletes the file.
 */
public final class Spool implements Closeable {
  /** ByteBuffers index with int: objects beyond this are refused with a clear status. */
  public static final long MAX_SIZE = Integer.MAX_VALUE - 8;

  private final Path dir;
  private final int threshold;
  private byte[] memory = new byte[8192];
  private int memorySize;
  private Path file;
  private FileChannel channel;
  private long size;
  private ByteBuffer mapped;
  private boolean borrowed;
  private CompletableFuture<Void> forcing;

  public Spool(Path dir, int threshold) {
    this.dir = dir;
    this.threshold = threshold;
  }

  /** A spool over an existing file (import): read in place, never written, never deleted. */
  public static Spool ofFile(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_SIZE) throw new SpoolFullException(size);
    Spool spool = new Spool(file.getParent(), 0);
    spool.memory = null;
    spool.file = file;
    spool.channel = FileChannel.open(file, StandardOpenOption.READ);
    spool.size = size;
    spool.borrowed = true;
    return spool;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    if (forcing != null) throw new IllegalStateException("the spool is complete: it is being forced to disk");
    if (borrowed) throw new IllegalStateException("a spool over an existing file is read-only");
    if (size + len > MAX_SIZE) throw new SpoolFullException(size + len);
    if (channel == null && memorySize + len <= threshold) {
      if (memorySize + len > memory.length) {
        memory = Arrays.copyOf(memory, Math.min(threshold, Math.max(memory.length * 2, memorySize + len)));
      }
      System.arraycopy(b, off, memory, memorySize, len);
      memorySize += len;
    } else {
      if (channel == null) spill();
      ByteBuffer src = ByteBuffer.wrap(b, off, len);
      while (src.hasRemaining()) channel.write(src);
    }
    size += len;
  }

  private void spill() throws IOException {
    Files.createDirectories(dir);
    file = Files.createTempFile(dir, "spool-", ".part");
    channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer src = ByteBuffer.wrap(memory, 0, memorySize);
    while (src.hasRemaining()) channel.write(src);
    memory = null;
  }

  public long size() {
    return size;
  }

  /**
   * Whether the bytes are in a file this spool wrote itself (not one it borrowed) in {@code dir}:
   * then {@link #moveTo} can hand that file over instead of copying it.
   */
  public boolean spilledInto(Path dir) {
    return channel != null && !borrowed && file.getParent().equals(dir);
  }

  /**
   * Starts forcing the spilled file's bytes to disk on {@code executor} while the caller goes on
   * (parsing, hashing, journaling): the fsync's wait overlaps that work, and {@link #moveTo} then
   * only waits for what is left. Nothing may be written afterwards. No effect unless this spool
   * wrote its own file.
   */
  public void forceAsync(Executor executor) {
    if (channel == null || borrowed || forcing != null) return;
    FileChannel c = channel;
    forcing = CompletableFuture.runAsync(() -> {
      try {
        c.force(false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, executor);
  }

  /** Waits for a force started by {@link #forceAsync}; true if one ran (and succeeded). */
  private boolean awaitForce() throws IOException {
    CompletableFuture<Void> f = forcing;
    if (f == null) return false;
    forcing = null;
    try {
      f.join();
      return true;
    } catch (CompletionException e) {
      Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
      if (cause instanceof IOException io) throw io;
      throw new IOException("cannot force the spooled file: " + cause, cause);
    }
  }

  /**
   * Forces the spilled file to disk (when {@code force}; waiting for a force {@link #forceAsync}
   * started instead of forcing again) and renames it to {@code target}, which must be on the same
   * file system; the spool is empty afterwards, as after {@link #reset()}.
   */
  public void moveTo(Path target, boolean force) throws IOException {
    if (channel == null || borrowed) throw new IllegalStateException("only a spilled spool's own file can be moved");
    try {
      if (!awaitForce() && force) channel.force(false);
    } catch (IOException e) {
      reset();
      throw e;
    }
    mapped = null;
    channel.close();
    channel = null;
    Path from = file;
    file = null;
    try {
      Files.move(from, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(from);
      throw e;
    } finally {
      if (memory == null) memory = new byte[8192];
      memorySize = 0;
      size = 0;
    }
  }

  /** A read-only view of everything written (the file is memory-mapped once spilled). */
  public ByteBuffer buffer() throws IOException {
    if (channel == null) return ByteBuffer.wrap(memory, 0, memorySize).asReadOnlyBuffer();
    if (mapped == null || mapped.capacity() != size) {
      mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
    }
    return mapped.duplicate();
  }

  /** A fresh stream over everything written, from the first byte. */
  public InputStream open() throws IOException {
    if (channel == null) return new ByteArrayInputStream(memory, 0, memorySize);
    return Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ));
  }

  /** Forget the content and start again (reuse for the next instance on an association). */
  public void reset() throws IOException {
    deleteFile();
    if (memory == null) memory = new byte[8192];
    memorySize = 0;
    size = 0;
  }

  private void deleteFile() throws IOException {
    try {
      awaitForce();
    } catch (IOException e) {
      // the file is deleted anyway: a failed force of it no longer matters
    }
    mapped = null;
    if (channel != null) {
      channel.close();
      channel = null;
      if (!borrowed) Files.deleteIfExists(file);
      file = null;
    }
  }

  @Override
  public void close() throws IOException {
    deleteFile();
    memory = null;
  }

  /** The object is larger than a spool can hold. */
  public static final class SpoolFullException extends IOException {
    public SpoolFullException(long size) {
      super("object larger than " + MAX_SIZE + " bytes (" + size + ")");
    }
  }
}
