package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UidsTest {
  @Test
  void acceptsWellFormedUids() {
    for (String uid : new String[] {"1.2.840.10008.1.2", "2.25.0", "1", "1.02.3", "1.2.3." + "4".repeat(58)}) {
      assertTrue(Uids.isValid(uid), uid);
    }
  }

  @Test
  void rejectsMalformedUids() {
    for (String uid : new String[] {null, "", ".1.2", "1.2.", "1..2", "1.2a", "1.2 ", " 1.2", "1,2", "1.2\0",
        "1.2.3." + "4".repeat(59)}) {
      assertFalse(Uids.isValid(uid), String.valueOf(uid));
    }
  }

  @Test
  void derivesUuidUidsUnderTwoTwentyFive() {
    UUID max = new UUID(-1L, -1L);
    String uid = Uids.fromUuid(max);
    assertEquals("2.25.340282366920938463463374607431768211455", uid); // 2^128 - 1, PS3.5 B.2
    assertTrue(Uids.isValid(uid));
    assertEquals("2.25.0", Uids.fromUuid(new UUID(0, 0)));
    UUID u = UUID.nameUUIDFromBytes(new byte[] {1, 2, 3});
    assertEquals(Uids.fromUuid(u), Uids.fromUuid(u));
  }

  @Test
  void randomUidsAreValidAndDistinct() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String uid = Uids.random();
      assertTrue(Uids.isValid(uid), uid);
      assertTrue(uid.startsWith("2.25."), uid);
      assertTrue(seen.add(uid), uid);
    }
  }

  @Test
  void implementationClassUidIsFixedAndValid() {
    assertTrue(Uids.isValid(Uids.IMPLEMENTATION_CLASS_UID));
    assertNotEquals(Uids.IMPLEMENTATION_CLASS_UID, Uids.random());
    assertTrue(Uids.IMPLEMENTATION_VERSION_NAME.length() <= 16); // SH
  }
}
