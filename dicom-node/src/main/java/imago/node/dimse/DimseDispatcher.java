package imago.node.dimse;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.network.Association;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationDataValue;
import imago.core.dicom.MalformedDicomException;
import imago.core.io.Spool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DIMSE side of one association: PixelMed hands over every P-DATA-TF as it arrives
 * ({@link #sendPDataIndication}); command fragments are collected and parsed, data fragments
 * stream into the {@link IncomingDataSet}, and each complete request goes to the service
 * registered for its command field (PS3.7 §9.3, §E). A command field nobody answers gets
 * "unrecognized operation" (PS3.7 C.4.1).
 */
final class DimseDispatcher extends CompositeResponseHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DimseDispatcher.class);

  private final Map<Integer, DimseService> services;
  private final DimseRequest.Peer peer;
  private final IncomingDataSet dataSet;
  /** The largest command set kept: a real one is a few hundred bytes (PS3.7 §9.3, §E). */
  static final int MAX_COMMAND_BYTES = 64 * 1024;

  private final ByteArrayOutputStream command = new ByteArrayOutputStream(256);
  /** The request whose data set is streaming in, or null. */
  private DimseRequest pending;

  DimseDispatcher(Map<Integer, DimseService> services, DimseRequest.Peer peer, Spool spool) {
    this.services = Map.copyOf(services);
    this.peer = peer;
    this.dataSet = new IncomingDataSet(spool);
  }

  @Override
  public void sendPDataIndication(PDataPDU pdata, Association as) throws DicomNetworkException, IOException {
    for (Object o : pdata.getPDVList()) {
      PresentationDataValue pdv = (PresentationDataValue) o;
      byte[] value = pdv.getValue();
      if (pdv.isCommand()) {
        if (command.size() + value.length > MAX_COMMAND_BYTES) {
          // Refused before it is kept: a command set is a few elements, not a way to fill the heap.
          throw new DicomNetworkException("command set over " + MAX_COMMAND_BYTES + " bytes");
        }
        command.write(value, 0, value.length);
        if (pdv.isLastFragment()) onCommand(pdv.getPresentationContextID(), as);
      } else {
        if (pending == null) throw new DicomNetworkException("data PDV without a preceding command");
        dataSet.write(value, 0, value.length);
        if (pdv.isLastFragment()) onDataSet();
      }
    }
  }

  private void onCommand(byte context, Association as) throws DicomNetworkException, IOException {
    DimseCommand parsed;
    try {
      parsed = DimseCommand.parse(command.toByteArray());
    } catch (MalformedDicomException e) {
      throw new DicomNetworkException("unreadable command set: " + e.getMessage());
    } finally {
      command.reset();
    }
    DimseRequest rq = new DimseRequest(as, context, parsed, peer, dataSet, System.nanoTime());
    DimseService service = services.get(parsed.commandField());
    if (service == null) {
      unsupported(rq);
      if (parsed.hasDataSet()) pending = null;
    } else if (parsed.hasDataSet()) {
      pending = rq;
      // A C-STORE's data set is an instance, held by the spool's own limits; anything else's an identifier.
      dataSet.begin(parsed.commandField() == DimseCommand.C_STORE_RQ ? Long.MAX_VALUE : IncomingDataSet.MAX_IDENTIFIER_BYTES);
      service.receiving(rq);
    } else {
      service.answer(rq);
    }
  }

  private void onDataSet() throws DicomNetworkException, IOException {
    DimseRequest rq = pending;
    pending = null;
    services.get(rq.command().commandField()).answer(rq);
  }

  /** PS3.7 C.4.1: a command this SCP does not perform; the association carries on. */
  static void unsupported(DimseRequest rq) throws DicomNetworkException {
    LOG.warn("event=dimse.unsupported calling={} command=0x{}", rq.peer().callingAe(),
        Integer.toHexString(rq.command().commandField()));
    rq.respond(DimseCommand.UNRECOGNIZED_OPERATION, "Imago performs C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET");
  }

  @Override
  protected void evaluateStatusAndSetSuccess(AttributeList list) {
    // Not used: this handler answers requests rather than evaluating responses.
  }
}
