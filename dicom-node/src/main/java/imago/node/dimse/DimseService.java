package imago.node.dimse;

import com.pixelmed.network.DicomNetworkException;
import java.io.IOException;

/**
 * One DIMSE service (PS3.7 §9.1): what Imago does with the commands of one command field. The
 * {@link DimseDispatcher} holds them by command field and only dispatches; a service gets the
 * whole request in one {@link DimseRequest} and answers it on the association.
 */
@FunctionalInterface
interface DimseService {
  /**
   * Answers {@code request}: right after its command set when it has no data set, else once the
   * last fragment of its data set is in {@link DimseRequest#dataSet()}.
   */
  void answer(DimseRequest request) throws DicomNetworkException, IOException;

  /**
   * The command set is in and a data set follows: called before any of it streams into
   * {@link DimseRequest#dataSet()} (a C-STORE writes the object's File Meta Information first).
   */
  default void receiving(DimseRequest request) throws DicomNetworkException {
  }
}
