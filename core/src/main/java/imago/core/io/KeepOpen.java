package imago.core.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A stream whose close only flushes: the stream under it stays open. For writers that close what
 * they write to (a zip writing its central directory, PixelMed's data set writer) when the caller
 * still has more to write there (the next zip entry, the rest of a multipart body).
 */
public final class KeepOpen extends FilterOutputStream {
  public KeepOpen(OutputStream out) {
    super(out);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
