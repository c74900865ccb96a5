package imago.node.dimse;

import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationContextSelectionPolicy;
import imago.core.dicom.Uids;
import java.util.LinkedList;
import java.util.List;

/**
 * Accepts Verification and every storage SOP class, standard or private (any abstract syntax that
 * is not a known non-storage service), in the first transfer syntax the SCU proposes that Imago
 * can validate: so instances are stored exactly as the sender has them, compressed or not. Also
 * the C-FIND Patient Root and Study Root models ({@link FindScp}), uncompressed only, and the
 * C-MOVE and C-GET ones ({@link MoveScp}, {@link GetScp}) likewise.
 */
public final class StorePresentationPolicy implements PresentationContextSelectionPolicy {
  private static final byte ACCEPTANCE = 0;
  private static final byte ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
  private static final byte TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;

  /** Services that are not storage: query/retrieve, worklist, commitment, MPPS, print, UPS... */
  private static final List<String> NON_STORAGE_PREFIXES = List.of(
      "1.2.840.10008.5.1.4.1.2.", "1.2.840.10008.5.1.4.31", "1.2.840.10008.1.20.", "1.2.840.10008.3.1.",
      "1.2.840.10008.5.1.1.", "1.2.840.10008.5.1.4.34.", "1.2.840.10008.5.1.4.32.", "1.2.840.10008.5.1.4.33",
      "1.2.840.10008.5.1.4.37.", "1.2.840.10008.5.1.4.38.", "1.2.840.10008.5.1.4.39.", "1.2.840.10008.5.1.4.41",
      "1.2.840.10008.5.1.4.42", "1.2.840.10008.5.1.4.43.", "1.2.840.10008.5.1.4.44.", "1.2.840.10008.5.1.4.45.",
      "1.2.840.10008.5.1.4.20.", "1.2.840.10008.4.2", "1.2.840.10008.5.1.4.1.1.201.2", "1.2.840.10008.5.1.4.1.1.201.3");

  @Override
  public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int associationNumber, int debugLevel) {
    return applyPresentationContextSelectionPolicy(contexts, associationNumber);
  }

  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int associationNumber) {
    for (Object o : contexts) {
      PresentationContext pc = (PresentationContext) o;
      String abstractSyntax = pc.getAbstractSyntaxUID();
      boolean find = FindScp.isFindModel(abstractSyntax);
      boolean retrieve = RetrieveKeys.isMoveModel(abstractSyntax) || RetrieveKeys.isGetModel(abstractSyntax);
      if (!find && !retrieve && !isStorageOrVerification(abstractSyntax)) {
        pc.setResultReason(ABSTRACT_SYNTAX_NOT_SUPPORTED);
        continue;
      }
      String chosen = null;
      for (Object ts : pc.getTransferSyntaxUIDs()) {
        if (find || retrieve ? FindScp.isSupportedTransferSyntax((String) ts) : isSupportedTransferSyntax((String) ts)) {
          chosen = (String) ts;
          break;
        }
      }
      if (chosen == null) {
        pc.setResultReason(TRANSFER_SYNTAXES_NOT_SUPPORTED);
        continue;
      }
      pc.newTransferSyntaxUIDs();
      pc.addTransferSyntaxUID(chosen);
      pc.setResultReason(ACCEPTANCE);
    }
    return contexts;
  }

  static boolean isStorageOrVerification(String uid) {
    if (uid == null || !Uids.isValid(uid)) return false;
    if (Uids.VERIFICATION.equals(uid)) return true;
    for (String prefix : NON_STORAGE_PREFIXES) {
      if (uid.startsWith(prefix)) return false;
    }
    return true;
  }

  /**
   * Every standard transfer syntax (PS3.5 §10, PS3.6 Annex A) can be validated: the native ones
   * directly, the encapsulated ones as explicit VR little endian with fragments. Private transfer
   * syntaxes cannot, so they are not accepted.
   */
  static boolean isSupportedTransferSyntax(String uid) {
    return uid != null && (uid.equals(Uids.IMPLICIT_VR_LITTLE_ENDIAN) || uid.startsWith("1.2.840.10008.1.2."));
  }
}
