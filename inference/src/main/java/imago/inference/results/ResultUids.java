package imago.inference.results;

import imago.core.dicom.Uids;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * UIDs for AI results: the same name always gives the same UID (a job run twice writes its result
 * once), but nobody without the key can compute it. A name-based UID anyone can predict would let
 * a sender store a forged SR under it before the real result is written (ingest keeps the first).
 * The UID is a UUID (RFC 9562 version 8) whose bits are an HMAC-SHA256 of the name, in the 2.25 root.
 */
public final class ResultUids {
  private final SecretKeySpec key;

  /** @param key at least 32 bytes, the same on every node that writes results */
  public ResultUids(byte[] key) {
    if (key.length < 32) throw new IllegalArgumentException("a result UID key has at least 32 bytes");
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
  }

  public String uid(String name) {
    byte[] h;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      h = mac.doFinal(name.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
    h[6] = (byte) ((h[6] & 0x0f) | 0x80); // version 8: custom
    h[8] = (byte) ((h[8] & 0x3f) | 0x80); // RFC 9562 variant
    ByteBuffer b = ByteBuffer.wrap(h, 0, 16);
    return Uids.fromUuid(new UUID(b.getLong(), b.getLong()));
  }
}
