package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.PortFinder;
import imago.core.testkit.Storescp;
import imago.node.testkit.RawDicomClient;
import imago.web.tls.LocalCa;
import imago.web.tls.Pem;
import imago.web.tls.TlsConfig;
import imago.web.tls.TlsMaterial;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C-MOVE to destinations over DICOM TLS (PS3.15 Annex B), each a dcmtk {@code storescp +tls}:
 * Imago presents its own certificate and checks the destination's against its CA and the host
 * name it connects to. A destination that fails the check, or that does not trust Imago, gets
 * nothing, and the C-MOVE's final response says why; a TLS destination is never sent to in clear.
 */
class MoveOverTlsTest {
  private static final String STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2";
  private static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
  @TempDir static Path tmp;
  static TlsMaterial tls;
  static DimseNode node;
  static final List<Storescp> destinations = new ArrayList<>();
  /** The files stored, by SOP Instance UID. */
  static final Map<String, Path> SENT = new HashMap<>();
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(1, 2, 2).withSize(64, 64).withSeed(5301);

  /** One storescp per way a destination can be set up, each under the AE title the tenant knows it by. */
  static Storescp trusted;
  static Storescp rogueCa;
  static Storescp otherHost;
  static Storescp distrustsImago;
  static Storescp plainOnly;

  @BeforeAll
  static void start() throws Exception {
    tls = TlsMaterial.open(TlsConfig.local(), tmp.resolve("data"), List.of(), Clock.systemUTC());
    LocalCa rogue = LocalCa.loadOrCreate(Files.createDirectories(tmp.resolve("rogue-ca")), Clock.systemUTC());
    // dcmtk's smallest maximum PDU: each data set goes in several P-DATA-TF fragments
    trusted = storescpTls("TRUSTED", tls.signer(), "localhost", tls.signer(), "-pdu", "4096");
    rogueCa = storescpTls("ROGUE_CA", rogue, "localhost", tls.signer());
    otherHost = storescpTls("OTHER_HOST", tls.signer(), "pacs.elsewhere.example", tls.signer());
    distrustsImago = storescpTls("NO_TRUST", tls.signer(), "localhost", rogue);
    plainOnly = started(Storescp.start(PortFinder.freePort(), "PLAIN_ONLY", tmp.resolve("PLAIN_ONLY")));
    node = DimseNode.start(tmp.resolve("node"), List.of(
        tlsDestination("TRUSTED", trusted), tlsDestination("ROGUE_CA", rogueCa), tlsDestination("OTHER_HOST", otherHost),
        tlsDestination("NO_TRUST", distrustsImago), tlsDestination("PLAIN_ONLY", plainOnly)), null, tls.clientContext());
    List<Path> files = SyntheticCt.write(SPEC, tmp.resolve("ct"));
    for (Path f : files) SENT.put(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid(), f);
    Dcmtk.Result stored = Dcmtk.storescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, files);
    assertTrue(stored.ok(), stored.toString());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    destinations.forEach(Storescp::close);
  }

  /**
   * A {@code storescp +tls} whose certificate {@code issuer} made for {@code host}, trusting
   * client certificates of {@code clientCa} only (dcmtk requires one by default), with {@code more} options.
   */
  private static Storescp storescpTls(String ae, LocalCa issuer, String host, LocalCa clientCa, String... more)
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(ae + "-tls"));
    LocalCa.Issued issued = issuer.issueServer(ae, List.of(host));
    Files.writeString(dir.resolve("key.pem"), Pem.key(issued.key()));
    Files.writeString(dir.resolve("cert.pem"), Pem.certificates(issued.chain()));
    Files.writeString(dir.resolve("ca.pem"), Pem.certificates(List.of(clientCa.certificate())));
    List<String> args = new ArrayList<>(List.of("+tls", dir.resolve("key.pem").toString(), dir.resolve("cert.pem").toString(),
        "+cf", dir.resolve("ca.pem").toString()));
    args.addAll(List.of(more));
    return started(Storescp.start(PortFinder.freePort(), ae, tmp.resolve(ae), args.toArray(String[]::new)));
  }

  private static Storescp started(Storescp scp) {
    destinations.add(scp);
    return scp;
  }

  /** Reached by the name "localhost": the name a destination's certificate must carry. */
  private static Tenant.MoveDestination tlsDestination(String ae, Storescp scp) {
    return new Tenant.MoveDestination(ae, "localhost", scp.port(), true);
  }

  @Test
  void aDestinationWithACertificateFromImagosCaForItsHostReceivesEveryInstance() throws Exception {
    Dcmtk.Result r = Dcmtk.movescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, "TRUSTED", "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertTrue(r.ok(), r.toString());
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    assertEquals(studyUids(), trusted.receivedUids(), trusted.output());
    for (Path received : Files.list(trusted.outputDir()).toList()) { // named <modality>.<SOP Instance UID>
      String name = received.getFileName().toString();
      String uid = name.substring(name.indexOf('.') + 1);
      assertArrayEquals(DimseNode.dataset(Files.readAllBytes(SENT.get(uid))), DimseNode.dataset(Files.readAllBytes(received)),
          "sent as stored: " + uid);
    }
  }

  @Test
  void aDestinationPresentingAnotherCasCertificateGetsNothing() throws Exception {
    DimseCommand answer = move("ROGUE_CA");
    assertRefused(answer, "destination certificate not trusted");
    assertTrue(rogueCa.receivedUids().isEmpty(), rogueCa.output());
  }

  @Test
  void aCertificateForAnotherHostNameIsRefused() throws Exception {
    DimseCommand answer = move("OTHER_HOST");
    assertRefused(answer, "destination certificate does not name its host");
    assertTrue(otherHost.receivedUids().isEmpty(), otherHost.output());
  }

  @Test
  void aDestinationThatDoesNotTrustImagosCertificateGetsNothing() throws Exception {
    DimseCommand answer = move("NO_TRUST");
    assertEquals(DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS, answer.status(), String.valueOf(answer));
    // TLS 1.3 completes the handshake on Imago's side before the destination judges Imago's certificate
    assertTrue(List.of("destination refused TLS (does it trust Imago's certificate?)", "TLS handshake with destination failed")
        .contains(answer.errorComment()), answer.errorComment());
    assertTrue(distrustsImago.receivedUids().isEmpty(), distrustsImago.output());
  }

  /** The destination speaks plain DIMSE only: the handshake fails and Imago does not fall back to clear text. */
  @Test
  void aTlsDestinationIsNeverSentToInClear() throws Exception {
    DimseCommand answer = move("PLAIN_ONLY");
    assertRefused(answer, "TLS handshake with destination failed");
    assertTrue(plainOnly.receivedUids().isEmpty(), plainOnly.output());
    // what reached it was a TLS handshake record (type 0x16), not an A-ASSOCIATE-RQ (PDU type 0x01)
    assertTrue(plainOnly.output().contains("Unrecognized PDU type: 16"), plainOnly.output());
  }

  private static Set<String> studyUids() {
    Set<String> uids = new HashSet<>();
    for (int se = 1; se <= SPEC.seriesPerStudy(); se++) {
      for (int in = 1; in <= SPEC.instancesPerSeries(); in++) uids.add(SyntheticCt.sopInstanceUid(SPEC, 1, se, in));
    }
    return uids;
  }

  private static void assertRefused(DimseCommand answer, String comment) {
    assertEquals(DicomStatus.OUT_OF_RESOURCES_SUB_OPERATIONS, answer.status(), String.valueOf(answer));
    assertEquals(comment, answer.errorComment());
    assertEquals(4, answer.retrieve().failed(), "every instance failed: " + answer);
    assertEquals(0, answer.retrieve().completed(), String.valueOf(answer));
  }

  /** A C-MOVE of the study to {@code destination} from AE DEMO; its final response. */
  private static DimseCommand move(String destination) throws Exception {
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE,
        List.of(new RawDicomClient.Context(1, STUDY_ROOT_MOVE, IMPLICIT_VR_LE)))) {
      DimseCommand rq = new DimseCommand(DimseCommand.C_MOVE_RQ, 7, -1, STUDY_ROOT_MOVE, null, true, 0, null,
          new DimseCommand.Retrieve(0, destination, -1, -1, -1, -1, null, -1));
      c.send(1, rq, identifier(SyntheticCt.studyInstanceUid(SPEC, 1)));
      DimseCommand rsp;
      do {
        rsp = c.response();
      } while (rsp.status() == DicomStatus.PENDING);
      return rsp;
    }
  }

  private static byte[] identifier(String studyUid) throws Exception {
    AttributeList keys = new AttributeList();
    CodeStringAttribute level = new CodeStringAttribute(TagFromName.QueryRetrieveLevel);
    level.addValue("STUDY");
    keys.put(level);
    UniqueIdentifierAttribute study = new UniqueIdentifierAttribute(TagFromName.StudyInstanceUID);
    study.addValue(studyUid);
    keys.put(study);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DicomOutputStream dout = new DicomOutputStream(out, null, IMPLICIT_VR_LE);
    keys.write(dout);
    dout.flush();
    return out.toByteArray();
  }
}
