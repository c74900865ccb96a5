package imago.node.dicomweb.wado;

import imago.storage.index.StoredInstance;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Strong entity tags for WADO responses (RFC 9110 §8.8.3). A stored instance never changes (a
 * replaced one has another data set digest), so a response is fixed by the digests of the instances
 * it is made of and how it was asked for (media type, frames, rendering, the URL base it writes):
 * those are hashed into its ETag. A client that sends it back in If-None-Match gets 304 with no body,
 * and nothing is read, decoded or rendered for it. Multipart bodies take their boundary from the tag,
 * so the same request gets the same bytes, as a strong tag promises.
 */
final class Validators {
  private Validators() {}

  /** The ETag of a response of {@code kind} ({@code variant}: everything else it depends on) over {@code instances}. */
  static String etag(String kind, String variant, List<StoredInstance> instances) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((kind + "\n" + variant + "\n").getBytes(StandardCharsets.UTF_8));
      for (StoredInstance i : instances) {
        sha.update((i.sopInstanceUid() + ":" + i.datasetSha256() + ":" + i.transferSyntaxUid() + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      return "\"" + HexFormat.of().formatHex(sha.digest(), 0, 16) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A multipart boundary fixed by the ETag: the same representation, byte for byte. */
  static String boundary(String etag) {
    return "imago-" + etag.replace("\"", "");
  }

  /** Whether If-None-Match names {@code etag} (weak comparison, RFC 9110 §13.1.2) or is {@code *}. */
  static boolean notModified(HttpServerRequest request, String etag) {
    String header = request.getHeader("If-None-Match");
    if (header == null) return false;
    for (String t : header.split(",")) {
      String tag = t.trim();
      if (tag.equals("*") || opaque(tag).equals(opaque(etag))) return true;
    }
    return false;
  }

  private static String opaque(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }

  /**
   * The validator headers of a representation: its ETag, and that a browser may keep it for this
   * user only and must ask again (with If-None-Match) before using it.
   */
  static HttpServerResponse headers(HttpServerResponse response, String etag) {
    return response.putHeader("ETag", etag).putHeader("Cache-Control", "private, no-cache");
  }

  /** 304 Not Modified: the client's copy is this representation. */
  static void notModifiedAnswer(HttpServerResponse response, String etag) {
    headers(response, etag).setStatusCode(304).end();
  }
}
