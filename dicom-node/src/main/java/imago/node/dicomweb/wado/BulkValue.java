package imago.node.dicomweb.wado;

import imago.core.dicom.ElementReader;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
import imago.core.dicom.json.AttributeListJson;
import imago.storage.index.StoredInstance;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;

/**
 * Where a large top-level binary value lies in a stored object: what a BulkDataURI other than Pixel
 * Data's points at (ingest keeps values over {@link AttributeListJson#INLINE_BINARY_LIMIT} out of the
 * metadata). Found by one forward pass over the element headers, reading no values.
 */
final class BulkValue {
  private static final Set<String> BINARY = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "UN");

  private BulkValue() {}

  /** {offset in the object, length} of {@code tag}'s value, if it is a binary value stored as bulk data. */
  static Optional<long[]> locate(WadoRetrieve retrieve, StoredInstance i, int tag) throws IOException {
    if (Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.equals(i.transferSyntaxUid())) return Optional.empty(); // no byte ranges
    long[] found = new long[2];
    long length = i.objectSize() - i.datasetOffset();
    try (InputStream in = retrieve.stream(i, i.datasetOffset(), length)) {
      ElementReader.of(in, length, ElementReader.Encoding.of(i.transferSyntaxUid())).read(h -> {
        if (h.tag() == tag && !h.undefinedLength() && h.length() > AttributeListJson.INLINE_BINARY_LIMIT
            && (h.vr() == null || BINARY.contains(h.vr()))) {
          found[0] = i.datasetOffset() + h.valuePosition();
          found[1] = h.length();
        }
        return Integer.compareUnsigned(h.tag(), tag) < 0;
      });
    } catch (MalformedDicomException e) {
      throw new IOException("stored object " + i.objectKey() + " cannot be read: " + e.getMessage(), e);
    }
    return found[1] > 0 ? Optional.of(found) : Optional.empty();
  }
}
