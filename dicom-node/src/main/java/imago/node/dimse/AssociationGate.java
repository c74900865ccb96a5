package imago.node.dimse;

import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.web.tls.PeerIdentity;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Reads the A-ASSOCIATE-RQ before PixelMed does and decides who may associate: the called AE
 * title must be ours and the calling AE title must belong to a tenant. Others get a proper
 * A-ASSOCIATE-RJ (PS3.8 §9.3.4) instead of a dropped connection.
 */
final class AssociationGate {
  /** Largest A-ASSOCIATE-RQ accepted (hundreds of presentation contexts fit in far less). */
  private static final int MAX_REQUEST = 1 << 20;

  /** Result values (PS3.8 Table 9-21). */
  static final int PERMANENT = 1;
  static final int TRANSIENT = 2;
  /** Source and reason values (PS3.8 Table 9-21). */
  static final int SOURCE_SERVICE_USER = 1;
  static final int SOURCE_PRESENTATION = 3;
  static final int REASON_CALLING_AE_NOT_RECOGNIZED = 3;
  static final int REASON_CALLED_AE_NOT_RECOGNIZED = 7;
  static final int REASON_LOCAL_LIMIT_EXCEEDED = 2;

  /** What the gate decided. */
  sealed interface Decision {
    record Admitted(Tenant tenant, String callingAe, byte[] request) implements Decision {}

    record Rejected(String callingAe, String calledAe, int result, int source, int reason, String why) implements Decision {}

    /** Not an A-ASSOCIATE-RQ at all: close without a word (PS3.8 state machine: AA-1). */
    record NotAssociation(String why) implements Decision {}
  }

  private final String aeTitle;
  private final Tenants tenants;

  AssociationGate(String aeTitle, Tenants tenants) {
    this.aeTitle = aeTitle.trim();
    this.tenants = tenants;
  }

  /** How the peer reached us: plain DIMSE, or DICOM TLS with the identity its verified client certificate names. */
  sealed interface Transport {
    record Plain() implements Transport {}

    /**
     * {@code identity} empty: a certificate from a trusted CA whose subject names no tenant and AE;
     * {@code vouchedTenant}: the one tenant its CA may speak for (a tenant's own CA), empty for any.
     */
    record Tls(java.util.Optional<PeerIdentity> identity, java.util.Optional<String> vouchedTenant) implements Transport {}
  }

  static final Transport PLAIN = new Transport.Plain();

  /**
   * Reads the A-ASSOCIATE-RQ, all of it by {@code deadline}: a peer that trickles its request a
   * byte at a time is cut off then, whatever each single read took (PS3.8 ARTIM timer). Over DICOM
   * TLS the calling AE title must be the one the client certificate names, for the same tenant: a
   * hospital's certificate speaks for its own device only.
   */
  Decision admit(Socket socket, long deadlineNanos, Transport transport) throws IOException {
    DataInputStream in = new DataInputStream(new DeadlineInputStream(socket, deadlineNanos));
    byte[] header = new byte[6];
    in.readFully(header);
    int type = header[0] & 0xFF;
    long length = ((header[2] & 0xFFL) << 24) | ((header[3] & 0xFFL) << 16) | ((header[4] & 0xFFL) << 8) | (header[5] & 0xFFL);
    if (type != 0x01) return new Decision.NotAssociation(String.format("first PDU has type 0x%02X, not A-ASSOCIATE-RQ", type));
    if (length < 68 || length > MAX_REQUEST) {
      return new Decision.NotAssociation("A-ASSOCIATE-RQ declares " + length + " bytes");
    }
    byte[] request = new byte[6 + (int) length];
    System.arraycopy(header, 0, request, 0, 6);
    in.readFully(request, 6, (int) length);
    String called = ae(request, 10);
    String calling = ae(request, 26);
    if (!called.equals(aeTitle)) {
      return new Decision.Rejected(calling, called, PERMANENT, SOURCE_SERVICE_USER, REASON_CALLED_AE_NOT_RECOGNIZED,
          "the called AE title is not " + aeTitle);
    }
    java.util.Optional<Tenant> tenant = tenants.byAeTitle(calling);
    String refused = tenant.isEmpty() ? "the calling AE title belongs to no tenant"
        : !tenant.get().admits(calling, socket.getInetAddress())
            ? "the calling AE title may not connect from this address (tenants[].aeAddresses)"
            : certificateMismatch(transport, tenant.get(), calling);
    if (refused != null) {
      return new Decision.Rejected(calling, called, PERMANENT, SOURCE_SERVICE_USER, REASON_CALLING_AE_NOT_RECOGNIZED, refused);
    }
    return new Decision.Admitted(tenant.get(), calling, request);
  }

  /** Why a TLS peer's certificate does not vouch for {@code calling} of {@code tenant}; null when it does. */
  private static String certificateMismatch(Transport transport, Tenant tenant, String calling) {
    if (!(transport instanceof Transport.Tls tls)) return null;
    if (tls.identity().isEmpty()) return "the client certificate names no tenant and AE title (CN=<AE>, OU=<tenant>)";
    PeerIdentity id = tls.identity().get();
    if (!id.aeTitle().equals(calling) || !id.tenant().equals(tenant.id())) {
      return "the client certificate is for AE " + id.aeTitle() + " of tenant " + id.tenant() + ", not this calling AE title";
    }
    if (tls.vouchedTenant().isPresent() && !tls.vouchedTenant().get().equals(tenant.id())) {
      return "the client certificate's CA is " + (tls.vouchedTenant().get().isEmpty() ? "no tenant's"
          : "tenant " + tls.vouchedTenant().get() + "'s") + ": it cannot vouch for tenant " + tenant.id();
    }
    return null;
  }

  private static String ae(byte[] pdu, int offset) {
    return new String(pdu, offset, 16, StandardCharsets.US_ASCII).trim();
  }

  static void reject(OutputStream out, int result, int source, int reason) throws IOException {
    out.write(new byte[] {0x03, 0, 0, 0, 0, 4, 0, (byte) result, (byte) source, (byte) reason});
    out.flush();
  }

  /** A-ABORT from the service provider (source 2) with a reason (PS3.8 Table 9-26). */
  static void abort(OutputStream out, int reason) throws IOException {
    out.write(new byte[] {0x07, 0, 0, 0, 0, 4, 0, 0, 2, (byte) reason});
    out.flush();
  }

  /** The socket's input, each read given only the time left before the deadline. */
  private static final class DeadlineInputStream extends java.io.FilterInputStream {
    private final Socket socket;
    private final long deadlineNanos;

    DeadlineInputStream(Socket socket, long deadlineNanos) throws IOException {
      super(socket.getInputStream());
      this.socket = socket;
      this.deadlineNanos = deadlineNanos;
    }

    private void arm() throws IOException {
      long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
      if (left <= 0) throw new java.net.SocketTimeoutException("the association request did not arrive whole in time");
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int read() throws IOException {
      arm();
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      arm();
      return super.read(b, off, len);
    }
  }
}
