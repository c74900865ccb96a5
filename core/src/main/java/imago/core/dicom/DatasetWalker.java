package imago.core.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Checks that a data set is structurally whole: every element header is complete, every value
 * length fits inside its container, every undefined-length sequence and item is delimited, and
 * the data set ends exactly where the bytes end. PixelMed reads truncated files without
 * complaint, so this is what stands between a broken transfer and the archive. It reads no
 * values, so it costs one pass of {@link ElementReader} over the element headers.
 */
public final class DatasetWalker {
  private static final long MAX_INFLATED = 1L << 30;
  /**
   * Beyond this size, a data set inflating more than {@link #MAX_RATIO} times its deflated size is a
   * bomb. High enough that a large, mostly empty SEG (which does compress some hundredfold) passes.
   */
  private static final long RATIO_FLOOR = 256L << 20;
  private static final long MAX_RATIO = 200;

  private DatasetWalker() {}

  /** Validates {@code dataset} (position to limit) encoded in {@code transferSyntaxUid}. */
  public static void validate(ByteBuffer dataset, String transferSyntaxUid) throws MalformedDicomException {
    ByteBuffer view = dataset.slice();
    if (Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(transferSyntaxUid)) view = inflate(view);
    if (view.remaining() == 0) throw new MalformedDicomException("empty data set");
    try {
      ElementReader.of(view, ElementReader.Encoding.of(transferSyntaxUid)).read(element -> true);
    } catch (IOException e) {
      throw new UncheckedIOException("reading a buffer", e); // only a streamed reader reads I/O
    }
  }

  /** PS3.5 A.5: raw deflate (no zlib header) of the whole data set. */
  private static ByteBuffer inflate(ByteBuffer deflated) throws MalformedDicomException {
    byte[] in = new byte[deflated.remaining()];
    deflated.duplicate().get(in);
    Inflater inflater = new Inflater(true);
    inflater.setInput(in);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 4);
    byte[] chunk = new byte[65536];
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new MalformedDicomException("deflated data set is truncated");
        }
        out.write(chunk, 0, n);
        if (out.size() > MAX_INFLATED) throw new MalformedDicomException("deflated data set inflates beyond 1 GiB");
        if (out.size() > RATIO_FLOOR && out.size() / Math.max(1, in.length) > MAX_RATIO) {
          // a real data set compresses a few times; a thousandfold one is built to fill the heap
          throw new MalformedDicomException("deflated data set inflates more than " + MAX_RATIO + " times ("
              + in.length + " bytes to over " + out.size() + "): refused as a deflate bomb");
        }
      }
    } catch (DataFormatException e) {
      throw new MalformedDicomException("deflated data set is corrupt: " + e.getMessage());
    } finally {
      inflater.end();
    }
    return ByteBuffer.wrap(out.toByteArray());
  }
}
