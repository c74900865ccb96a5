package imago.node.dimse;

import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationDataValue;
import imago.core.dicom.MalformedDicomException;
import imago.core.tenant.Tenant.MoveDestination;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Set;

/**
 * A C-STORE SCU association to a C-MOVE destination: proposes each SOP class in each stored
 * transfer syntax it will send (and, for uncompressed data, the uncompressed syntaxes as a
 * fallback), then sends one instance at a time and waits for its C-STORE-RSP.
 */
final class StoreScu implements AutoCloseable {
  /** PS3.8 §9.3.2.2: presentation context IDs are odd, 1..255. */
  private static final int MAX_CONTEXTS = 128;

  private final Association as;
  private final ResponseHandler responses = new ResponseHandler();
  private int messageId;

  private StoreScu(Association as) throws DicomNetworkException {
    this.as = as;
    as.setReceivedDataHandler(responses);
  }

  /** Associates with {@code destination} as {@code callingAe}, proposing what {@code instances} need. */
  static StoreScu open(MoveDestination destination, String callingAe, List<StoredInstance> instances, int maxPdu,
      Duration timeout) throws IOException, DicomNetworkException {
    Association as = AssociationFactory.createNewAssociation(destination.host(), destination.port(),
        destination.aeTitle(), callingAe, maxPdu, 1 << 20, 1 << 20, contexts(instances), new LinkedList<>(), false,
        null, null);
    readTimeout(as, timeout);
    return new StoreScu(as);
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static LinkedList contexts(List<StoredInstance> instances) {
    Set<List<String>> wanted = new LinkedHashSet<>();
    for (StoredInstance i : instances) {
      wanted.add(List.of(i.sopClassUid(), i.transferSyntaxUid()));
      if (SubOperation.UNCOMPRESSED.contains(i.transferSyntaxUid())) wanted.add(List.of(i.sopClassUid(), "*"));
    }
    LinkedList contexts = new LinkedList();
    int id = 1;
    for (List<String> w : wanted) {
      if (contexts.size() == MAX_CONTEXTS) break;
      LinkedList<String> syntaxes = new LinkedList<>();
      if (w.get(1).equals("*")) {
        syntaxes.add(imago.core.dicom.Uids.EXPLICIT_VR_LITTLE_ENDIAN);
        syntaxes.add(imago.core.dicom.Uids.IMPLICIT_VR_LITTLE_ENDIAN);
      } else {
        syntaxes.add(w.get(1));
      }
      contexts.add(new PresentationContext((byte) id, w.get(0), syntaxes));
      id += 2;
    }
    return contexts;
  }

  /** PixelMed's initiator sets no read timeout on its socket: a silent destination would hold us forever. */
  private static void readTimeout(Association as, Duration timeout) {
    try {
      java.lang.reflect.Field f = Association.class.getDeclaredField("socket");
      f.setAccessible(true);
      ((Socket) f.get(as)).setSoTimeout((int) timeout.toMillis());
    } catch (ReflectiveOperationException | IOException | RuntimeException e) {
      // without it a hung destination is ended only by its own timeouts
    }
  }

  /** The context {@code i} would go on, or -1 if the destination accepted none for it. */
  byte context(StoredInstance i) {
    return SubOperation.context(as, i);
  }

  /** Sends one instance and returns the destination's C-STORE-RSP status. */
  int store(StoredInstance i, byte context, ObjectStore store, DimseCommand.Retrieve origin)
      throws IOException, DicomNetworkException {
    messageId = (messageId + 1) & 0xFFFF;
    responses.expect();
    SubOperation.send(as, context, messageId, i, store, origin);
    try {
      as.waitForPDataPDUsUntilHandlerReportsDone();
    } catch (com.pixelmed.network.AReleaseException e) {
      throw new DicomNetworkException("the destination released the association mid-transfer");
    }
    DimseCommand rsp = responses.response;
    if (rsp == null) throw new DicomNetworkException("no C-STORE-RSP");
    return rsp.status();
  }

  @Override
  public void close() {
    try {
      as.release();
    } catch (DicomNetworkException e) {
      try {
        as.abort();
      } catch (DicomNetworkException ignored) {
        // gone already
      }
    }
  }

  /** Collects one response command set; done when its last fragment is in. */
  private static final class ResponseHandler extends CompositeResponseHandler {
    private final ByteArrayOutputStream command = new ByteArrayOutputStream(256);
    private DimseCommand response;

    void expect() {
      response = null;
      command.reset();
      setDone(false);
    }

    @Override
    public void sendPDataIndication(PDataPDU pdata, Association as) throws DicomNetworkException {
      List<PresentationDataValue> pdvs = new ArrayList<>();
      for (Object o : pdata.getPDVList()) pdvs.add((PresentationDataValue) o);
      for (PresentationDataValue pdv : pdvs) {
        if (!pdv.isCommand()) continue; // a C-STORE-RSP has no data set
        command.write(pdv.getValue(), 0, pdv.getValue().length);
        if (pdv.isLastFragment()) {
          try {
            response = DimseCommand.parse(command.toByteArray());
          } catch (MalformedDicomException e) {
            throw new DicomNetworkException("unreadable C-STORE-RSP: " + e.getMessage());
          }
          command.reset();
          setDone(true);
        }
      }
    }

    @Override
    protected void evaluateStatusAndSetSuccess(com.pixelmed.dicom.AttributeList list) {
      // responses are read in sendPDataIndication
    }
  }
}
