package imago.node.dimse;

import imago.core.io.Spool;
import java.io.IOException;

/**
 * The data set of the request in progress on one association, as its PDVs arrive: written
 * straight into the association's spool, fragment by fragment, without a copy. A spool that
 * fails (full, disk error) keeps its failure while the rest of the data set is read and dropped,
 * so the association stays usable and the request is answered with a status.
 */
final class IncomingDataSet {
  /** The largest C-FIND, C-MOVE or C-GET identifier held: a few keys, never megabytes. */
  static final long MAX_IDENTIFIER_BYTES = 1 << 20;

  private final Spool spool;
  private IOException failure;
  private long limit = Long.MAX_VALUE;

  IncomingDataSet(Spool spool) {
    this.spool = spool;
  }

  /** Starts a new data set: the previous one is forgotten. */
  void begin() throws IOException {
    begin(Long.MAX_VALUE);
  }

  /** Starts a new data set of at most {@code limit} bytes: what comes beyond is read and dropped, and the request refused. */
  void begin(long limit) throws IOException {
    spool.reset();
    failure = null;
    this.limit = limit;
  }

  void write(byte[] bytes, int offset, int length) {
    if (failure != null) return;
    if (spool.size() + length > limit) {
      failure = new IOException("the identifier is over " + limit + " bytes");
      return;
    }
    try {
      spool.write(bytes, offset, length);
    } catch (IOException e) {
      failure = e; // keep reading the data so the association stays usable
    }
  }

  /** Why the data set could not be held, or null. */
  IOException failure() {
    return failure;
  }

  /** Where the data set is: a C-STORE's object is stored from here without a copy. */
  Spool spool() {
    return spool;
  }

  /** The whole data set, copied out: for identifiers (C-FIND, C-MOVE, C-GET), held to {@link #MAX_IDENTIFIER_BYTES}. */
  byte[] copy() throws IOException {
    byte[] bytes = new byte[(int) spool.size()];
    spool.buffer().get(bytes);
    return bytes;
  }

  /** Leaves nothing behind, e.g. no staging file for an instance whose response is about to go. */
  void clear() throws IOException {
    spool.reset();
  }
}
