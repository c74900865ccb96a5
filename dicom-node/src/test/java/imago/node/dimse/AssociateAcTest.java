package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The A-ASSOCIATE-AC a C-MOVE destination answers, read by Imago's own initiator (PS3.8 §9.3.3). */
class AssociateAcTest {
  private static final String EXPLICIT = "1.2.840.10008.1.2.1";

  @Test
  void readsTheAcceptedContextsAndTheAcceptorsMaximumLength() throws Exception {
    AssociateAc ac = AssociateAc.parse(body(context(1, 0, EXPLICIT), context(3, 4, EXPLICIT), userInfo(16384)));
    assertEquals(Map.of(1, EXPLICIT), ac.accepted(), "context 3 was refused (result 4: transfer syntaxes not supported)");
    assertEquals(16384, ac.maxPduLength());
  }

  @Test
  void anItemThatRunsPastItsEndIsRefused() {
    byte[] body = body(context(1, 0, EXPLICIT));
    byte[] cut = Arrays.copyOf(body, body.length - 3);
    assertThrows(ProtocolException.class, () -> AssociateAc.parse(cut));
  }

  @Test
  void aRejectionSaysWhy() {
    assertEquals("A-ASSOCIATE-RJ (permanent): called AE title not recognized", AssociateAc.rejection(new byte[] {0, 1, 1, 7}));
  }

  @Test
  void noAcceptorLimitMeansImagosOwnCeilingAndATinyOneIsRefused() throws Exception {
    assertEquals(PduChannel.MAX_SEND, PduChannel.sendLimit(0));
    assertEquals(4096, PduChannel.sendLimit(4096));
    assertThrows(ProtocolException.class, () -> PduChannel.sendLimit(6));
  }

  private static byte[] body(byte[]... items) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[68]);
    out.writeBytes(item(0x10, ascii(AssociateRq.APPLICATION_CONTEXT)));
    for (byte[] i : items) out.writeBytes(i);
    return out.toByteArray();
  }

  private static byte[] context(int id, int result, String transferSyntax) {
    ByteArrayOutputStream value = new ByteArrayOutputStream();
    value.writeBytes(new byte[] {(byte) id, 0, (byte) result, 0});
    value.writeBytes(item(0x40, ascii(transferSyntax)));
    return item(0x21, value.toByteArray());
  }

  private static byte[] userInfo(int maxLength) {
    return item(0x50, item(0x51, ByteBuffer.allocate(4).putInt(maxLength).array()));
  }

  private static byte[] item(int type, byte[] value) {
    return ByteBuffer.allocate(4 + value.length).put((byte) type).put((byte) 0).putShort((short) value.length).put(value).array();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
