package imago.node.dimse;

import com.pixelmed.dicom.DicomException;
import com.pixelmed.network.Association;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
import imago.core.tenant.Tenant;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryResult;
import imago.web.Access;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * C-FIND SCP (PS3.4 C.4.1) for the Patient Root and Study Root information models, at every
 * level, answered from the same query engine as QIDO-RS and scoped to the calling AE's tenant
 * (DIMSE peers have no subject, so no shares). Every match is audited before any is sent; then
 * one pending response per match, then the final status.
 *
 * <p>The SCP answers on the association's reading thread, so a C-CANCEL-RQ is read only after
 * the final response: it is tolerated and ignored (PS3.7 §9.1.2.1.5: it has no response).
 */
public final class FindScp {
  private static final Logger LOG = LoggerFactory.getLogger(FindScp.class);
  public static final String PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1";
  public static final String STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
  /** The most matches one C-FIND answers by default (C-FIND has no paging). */
  public static final int DEFAULT_MAX_MATCHES = 10_000;
  private static final int PAGE = 500;

  private final Index index;
  private final Access access;
  private final String aeTitle;
  private final int maxMatches;

  /** @param maxMatches the most matches one C-FIND answers; beyond it the SCU is told to narrow the query */
  public FindScp(Index index, Access access, String aeTitle, int maxMatches) {
    this.index = index;
    this.access = access;
    this.aeTitle = aeTitle;
    this.maxMatches = maxMatches;
  }

  /** The information models this SCP answers (for the presentation context policy). */
  public static boolean isFindModel(String abstractSyntax) {
    return PATIENT_ROOT_FIND.equals(abstractSyntax) || STUDY_ROOT_FIND.equals(abstractSyntax);
  }

  /** Identifiers are small and parsed by PixelMed: the uncompressed transfer syntaxes only. */
  public static boolean isSupportedTransferSyntax(String ts) {
    return Set.of(Uids.IMPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_BIG_ENDIAN).contains(ts);
  }

  /** Answers one C-FIND-RQ whose identifier is {@code identifier}, on {@code context}. */
  void answer(Association as, byte context, String transferSyntax, DimseCommand rq, byte[] identifier, Tenant tenant,
      String callingAe, String remote) throws DicomNetworkException {
    try {
      respond(as, context, transferSyntax, rq, identifier, tenant, callingAe, remote);
    } catch (RuntimeException e) {
      // a bug of ours must not abort the peer's association: it gets a failure status instead
      LOG.error("event=cfind.failed calling={} tenant={}", callingAe, tenant.id(), e);
      finish(as, context, rq, DicomStatus.CANNOT_UNDERSTAND, "internal error");
    }
  }

  private void respond(Association as, byte context, String transferSyntax, DimseCommand rq, byte[] identifier,
      Tenant tenant, String callingAe, String remote) throws DicomNetworkException {
    FindIdentifier id;
    try {
      id = FindIdentifier.read(identifier, transferSyntax);
    } catch (MalformedDicomException e) {
      finish(as, context, rq, DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage());
      return;
    }
    if (id.level == QueryLevel.PATIENT && !PATIENT_ROOT_FIND.equals(rq.affectedSopClassUid())) {
      finish(as, context, rq, DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, "Study Root has no PATIENT level");
      return;
    }
    List<QueryMatch> matches;
    try {
      matches = matches(Scope.tenant(tenant.id()), id);
      if (matches == null) {
        finish(as, context, rq, DicomStatus.OUT_OF_RESOURCES, "more than " + maxMatches + " matches: narrow the query");
        return;
      }
      access.recordDimse(tenant.id(), callingAe, "query", Access.Via.C_FIND, remote, audited(matches));
    } catch (InvalidQueryException e) {
      finish(as, context, rq, DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage());
      return;
    } catch (SqlUnavailableException e) {
      LOG.warn("event=cfind.unavailable calling={} tenant={} reason=\"{}\"", callingAe, tenant.id(), e.getMessage());
      finish(as, context, rq, DicomStatus.OUT_OF_RESOURCES, "index unavailable");
      return;
    }
    int pending = id.unsupportedKeys.isEmpty() ? DicomStatus.PENDING : DicomStatus.PENDING_OPTIONAL_KEYS_NOT_SUPPORTED;
    try {
      for (QueryMatch m : matches) {
        DimseCommand rsp = new DimseCommand(rq.commandField() | 0x8000, -1, rq.messageId(), rq.affectedSopClassUid(),
            null, true, pending, null);
        as.send(context, rsp.encode(), id.response(m, aeTitle, transferSyntax));
      }
    } catch (DicomException | IOException e) {
      finish(as, context, rq, DicomStatus.CANNOT_UNDERSTAND, "cannot encode a response: " + e.getMessage());
      return;
    }
    LOG.info("event=cfind calling={} tenant={} level={} matches={}", callingAe, tenant.id(), id.levelName, matches.size());
    finish(as, context, rq, 0x0000, null);
  }

  /** Every match, page by page; null when there are more than {@code maxMatches}. */
  private List<QueryMatch> matches(Scope scope, FindIdentifier id) throws SqlUnavailableException, InvalidQueryException {
    List<QueryMatch> all = new ArrayList<>();
    while (true) {
      QueryResult page = index.query(scope, id.request(PAGE, all.size()));
      all.addAll(page.matches());
      if (all.size() > maxMatches) return null;
      if (!page.more()) return all;
    }
  }

  /** One audit row per study, series or instance answered; patients have no UID the audit keeps. */
  private static List<Access.Item> audited(List<QueryMatch> matches) {
    List<Access.Item> items = new ArrayList<>(matches.size());
    for (QueryMatch m : matches) items.add(new Access.Item(m.studyUid(), m.seriesUid(), m.sopInstanceUid()));
    return items;
  }

  private static void finish(Association as, byte context, DimseCommand rq, int status, String comment)
      throws DicomNetworkException {
    as.send(context, DimseCommand.response(rq, status, comment).encode(), null);
  }
}
