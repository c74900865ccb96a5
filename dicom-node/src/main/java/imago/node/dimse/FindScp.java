package imago.node.dimse;

import com.pixelmed.dicom.DicomException;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
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

  /** Answers one C-FIND-RQ, whose identifier is its data set. */
  void answer(DimseRequest rq) throws DicomNetworkException, IOException {
    byte[] identifier = rq.identifierOrRefuse();
    if (identifier == null) return;
    try {
      respond(rq, identifier);
    } catch (RuntimeException e) {
      // a bug of ours must not abort the peer's association: it gets a failure status instead
      LOG.error("event=cfind.failed calling={} tenant={}", rq.peer().callingAe(), rq.peer().tenant().id(), e);
      rq.respond(DicomStatus.CANNOT_UNDERSTAND, "internal error");
    }
  }

  private void respond(DimseRequest rq, byte[] identifier) throws DicomNetworkException {
    String transferSyntax = rq.transferSyntax();
    FindIdentifier id;
    try {
      id = FindIdentifier.read(identifier, transferSyntax);
    } catch (MalformedDicomException e) {
      rq.respond(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage());
      return;
    }
    if (id.level == QueryLevel.PATIENT && !PATIENT_ROOT_FIND.equals(rq.command().affectedSopClassUid())) {
      rq.respond(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, "Study Root has no PATIENT level");
      return;
    }
    List<QueryMatch> matches = auditedMatchesOrRefuse(rq, id);
    if (matches == null) return;
    int pending = id.unsupportedKeys.isEmpty() ? DicomStatus.PENDING : DicomStatus.PENDING_OPTIONAL_KEYS_NOT_SUPPORTED;
    DimseCommand request = rq.command();
    try {
      for (QueryMatch m : matches) {
        rq.send(new DimseCommand(request.commandField() | 0x8000, -1, request.messageId(), request.affectedSopClassUid(),
            null, true, pending, null), id.response(m, aeTitle, transferSyntax));
      }
    } catch (DicomException | IOException e) {
      rq.respond(DicomStatus.CANNOT_UNDERSTAND, "cannot encode a response: " + e.getMessage());
      return;
    }
    LOG.info("event=cfind calling={} tenant={} level={} matches={}", rq.peer().callingAe(), rq.peer().tenant().id(),
        id.levelName, matches.size());
    rq.respond(0x0000, null);
  }

  /** The matches, audited; null, with the request answered, when there are too many or the index cannot answer. */
  private List<QueryMatch> auditedMatchesOrRefuse(DimseRequest rq, FindIdentifier id) throws DicomNetworkException {
    String tenant = rq.peer().tenant().id();
    try {
      List<QueryMatch> matches = matches(rq.scope(), id);
      if (matches == null) {
        rq.respond(DicomStatus.OUT_OF_RESOURCES, "more than " + maxMatches + " matches: narrow the query");
        return null;
      }
      access.recordDimse(tenant, rq.peer().callingAe(), "query", Access.Via.C_FIND, rq.peer().address(), audited(matches));
      return matches;
    } catch (InvalidQueryException e) {
      rq.respond(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage());
    } catch (SqlUnavailableException e) {
      LOG.warn("event=cfind.unavailable calling={} tenant={} reason=\"{}\"", rq.peer().callingAe(), tenant, e.getMessage());
      rq.respond(DicomStatus.OUT_OF_RESOURCES, "index unavailable");
    }
    return null;
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
    for (QueryMatch m : matches) items.add(new Access.Item(m.studyUid(), m.seriesUid(), m.sopInstanceUid(), m.tenantId()));
    return items;
  }
}
