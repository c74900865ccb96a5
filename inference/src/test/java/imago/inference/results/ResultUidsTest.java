package imago.inference.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.Uids;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Security: an AI result's UID is stable for its job but cannot be predicted from what a sender
 * knows (tenant, study, series, model), so nobody can store a forged result under it first.
 */
class ResultUidsTest {
  private static final String NAME = "imago:result:sr:demo:1.2.3:lesion-cls:1.0.0:key";

  private static byte[] key(int fill) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) fill);
    return k;
  }

  @Test
  void theSameNameGivesTheSameUidUnderOneKeyAndAnotherUnderAnother() {
    ResultUids uids = new ResultUids(key(1));
    String uid = uids.uid(NAME);
    assertEquals(uid, new ResultUids(key(1)).uid(NAME), "a job run twice writes its result once");
    assertNotEquals(uid, new ResultUids(key(2)).uid(NAME));
    assertNotEquals(uid, uids.uid(NAME + "x"));
    assertTrue(Uids.isValid(uid) && uid.startsWith("2.25."), uid);
  }

  @Test
  void theUidIsNotTheNameBasedOneAnyoneCouldCompute() {
    String predictable = Uids.fromUuid(UUID.nameUUIDFromBytes(NAME.getBytes(StandardCharsets.UTF_8)));
    assertNotEquals(predictable, new ResultUids(key(1)).uid(NAME));
    UUID u = UUID.fromString(uuidOf(new ResultUids(key(1)).uid(NAME)));
    assertEquals(8, u.version());
    assertEquals(2, u.variant());
  }

  @Test
  void aShortKeyIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ResultUids(new byte[16]));
  }

  private static String uuidOf(String uid) {
    String hex = String.format("%032x", new java.math.BigInteger(uid.substring("2.25.".length())));
    return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-"
        + hex.substring(20);
  }
}
