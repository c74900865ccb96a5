package imago.node.dimse;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.Uids;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The unique keys of a C-MOVE or C-GET identifier (PS3.4 C.4.2.1.4, C.4.3.1.4) and the stored
 * instances they name, within one scope. Study Root and Patient Root, hierarchical retrieve, with
 * the relational shortcut of a lower-level UID list without the UIDs above it.
 */
record RetrieveKeys(String model, QueryLevel level, List<String> patientIds, List<String> studies, List<String> series,
    List<String> sops) {
  static final String PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2";
  static final String PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3";
  static final String STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2";
  static final String STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3";
  /** More instances than this in one retrieve: refused (A701) rather than held in memory. */
  static final int MAX_INSTANCES = 200_000;

  /** An identifier that names nothing retrievable: A900 with {@code getMessage()} as the comment. */
  static final class BadIdentifierException extends Exception {
    BadIdentifierException(String message) {
      super(message, null, false, false);
    }
  }

  static boolean isMoveModel(String uid) {
    return PATIENT_ROOT_MOVE.equals(uid) || STUDY_ROOT_MOVE.equals(uid);
  }

  static boolean isGetModel(String uid) {
    return PATIENT_ROOT_GET.equals(uid) || STUDY_ROOT_GET.equals(uid);
  }

  static RetrieveKeys read(String model, byte[] identifier, String transferSyntax) throws BadIdentifierException {
    AttributeList list;
    try {
      list = CompositeResponseHandler.getAttributeListFromCommandOrData(identifier, transferSyntax);
    } catch (DicomException | DicomNetworkException | IOException | RuntimeException e) {
      throw new BadIdentifierException("unreadable identifier: " + e.getMessage());
    }
    String levelText = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.QueryRetrieveLevel)
        .trim().toUpperCase(Locale.ROOT);
    QueryLevel level = switch (levelText) {
      case "PATIENT" -> QueryLevel.PATIENT;
      case "STUDY" -> QueryLevel.STUDY;
      case "SERIES" -> QueryLevel.SERIES;
      case "IMAGE" -> QueryLevel.INSTANCE;
      default -> throw new BadIdentifierException("Query/Retrieve Level '" + levelText + "' is not PATIENT, STUDY, SERIES or IMAGE");
    };
    boolean patientRoot = PATIENT_ROOT_MOVE.equals(model) || PATIENT_ROOT_GET.equals(model);
    if (level == QueryLevel.PATIENT && !patientRoot) {
      throw new BadIdentifierException("PATIENT level is for the Patient Root model");
    }
    RetrieveKeys keys = new RetrieveKeys(model, level, values(list, TagFromName.PatientID, false),
        values(list, TagFromName.StudyInstanceUID, true), values(list, TagFromName.SeriesInstanceUID, true),
        values(list, TagFromName.SOPInstanceUID, true));
    List<String> unique = switch (level) {
      case PATIENT -> keys.patientIds;
      case STUDY -> keys.studies;
      case SERIES -> keys.series;
      case INSTANCE -> keys.sops;
    };
    if (unique.isEmpty()) throw new BadIdentifierException("no unique key for level " + levelText);
    return keys;
  }

  private static List<String> values(AttributeList list, AttributeTag tag, boolean uid) throws BadIdentifierException {
    List<String> out = new ArrayList<>();
    String[] values;
    try {
      Attribute a = list.get(tag);
      values = a == null ? new String[0] : a.getStringValues();
    } catch (DicomException e) {
      throw new BadIdentifierException("unreadable " + tag + ": " + e.getMessage());
    }
    if (values == null) return out;
    for (String v : values) {
      String t = v == null ? "" : v.trim();
      if (t.isEmpty()) continue;
      if (uid && !Uids.isValid(t)) throw new BadIdentifierException("malformed UID " + t);
      if (!uid && (t.contains("*") || t.contains("?"))) throw new BadIdentifierException("wildcards in a unique key");
      out.add(t);
    }
    return out;
  }

  /** Every stored instance the keys name that {@code scope} may see, without duplicates, in series then instance order. */
  List<StoredInstance> resolve(Index index, Scope scope)
      throws SqlUnavailableException, InvalidQueryException, BadIdentifierException {
    Map<String, StoredInstance> out = new LinkedHashMap<>();
    switch (level) {
      case PATIENT -> {
        for (String patient : patientIds) {
          for (QueryMatch study : matches(index, scope, QueryLevel.STUDY, QueryAttributes.PATIENT_ID, patient)) {
            add(out, index.instances(scope, study.studyUid(), null, null));
          }
        }
      }
      case STUDY -> {
        for (String study : studies) add(out, index.instances(scope, study, null, null));
      }
      case SERIES -> {
        for (String s : series) {
          if (studies.size() == 1) {
            add(out, index.instances(scope, studies.get(0), s, null));
          } else {
            for (QueryMatch m : matches(index, scope, QueryLevel.SERIES, QueryAttributes.SERIES_INSTANCE_UID, s)) {
              add(out, index.instances(scope, m.studyUid(), s, null));
            }
          }
        }
      }
      case INSTANCE -> {
        for (String sop : sops) {
          if (studies.size() == 1 && series.size() == 1) {
            add(out, index.instances(scope, studies.get(0), series.get(0), sop));
          } else {
            for (QueryMatch m : matches(index, scope, QueryLevel.INSTANCE, QueryAttributes.SOP_INSTANCE_UID, sop)) {
              add(out, index.instances(scope, m.studyUid(), m.seriesUid(), sop));
            }
          }
        }
      }
    }
    if (out.size() > MAX_INSTANCES) throw new BadIdentifierException("more than " + MAX_INSTANCES + " instances");
    return new ArrayList<>(out.values());
  }

  /**
   * The instances the identifier of a C-MOVE or C-GET names within the calling AE's tenant; on an
   * identifier that cannot be read, or an index that cannot answer, the refusal is sent and null returned.
   */
  static List<StoredInstance> resolveOrRefuse(DimseRequest rq, byte[] identifier, Index index)
      throws DicomNetworkException {
    try {
      return read(rq.command().affectedSopClassUid(), identifier, rq.transferSyntax()).resolve(index, rq.scope());
    } catch (BadIdentifierException | InvalidQueryException e) {
      rq.respond(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage());
    } catch (SqlUnavailableException e) {
      rq.respond(DicomStatus.OUT_OF_RESOURCES_MATCHES, "index unavailable");
    }
    return null;
  }

  /** One audit item per instance. */
  static List<imago.web.Access.Item> items(List<StoredInstance> instances) {
    List<imago.web.Access.Item> items = new ArrayList<>(instances.size());
    for (StoredInstance i : instances) {
      items.add(new imago.web.Access.Item(i.studyUid(), i.seriesUid(), i.sopInstanceUid(), i.tenantId()));
    }
    return items;
  }

  private static List<QueryMatch> matches(Index index, Scope scope, QueryLevel level, int tag, String value)
      throws SqlUnavailableException, InvalidQueryException {
    return index.query(scope, QueryRequest.of(level, Map.of(tag, value), 10_000)).matches();
  }

  private static void add(Map<String, StoredInstance> out, List<StoredInstance> instances) {
    for (StoredInstance i : instances) out.putIfAbsent(i.sopInstanceUid(), i);
  }
}
