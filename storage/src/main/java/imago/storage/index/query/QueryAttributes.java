package imago.storage.index.query;

import imago.storage.index.query.QueryAttribute.Matching;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Every attribute a query can match or return, each read from an indexed column or a summary kept
 * at ingest (never from the stored objects): the PS3.18 Table 10.6.1-5 matching keys, the
 * PS3.18 Table 10.6.3-3/4/5 return attributes, and a few more the index has anyway.
 */
public final class QueryAttributes {
  public static final int PATIENT_NAME = 0x00100010;
  public static final int PATIENT_ID = 0x00100020;
  public static final int STUDY_INSTANCE_UID = 0x0020000D;
  public static final int SERIES_INSTANCE_UID = 0x0020000E;
  public static final int SOP_INSTANCE_UID = 0x00080018;
  public static final int MODALITIES_IN_STUDY = 0x00080061;

  private static final Map<Integer, QueryAttribute> BY_TAG = new LinkedHashMap<>();
  private static final Map<String, QueryAttribute> BY_KEYWORD = new LinkedHashMap<>();

  static {
    QueryLevel p = QueryLevel.PATIENT;
    add(PATIENT_NAME, "PatientName", "PN", p, "p.patient_name", Matching.PERSON_NAME);
    add(PATIENT_ID, "PatientID", "LO", p, "p.patient_id", Matching.TEXT);
    add(0x00100021, "IssuerOfPatientID", "LO", p, "p.issuer", Matching.TEXT);
    add(0x00100030, "PatientBirthDate", "DA", p, "p.birth_date", Matching.DATE);
    add(0x00100040, "PatientSex", "CS", p, "p.sex", Matching.TEXT);
    // Patient-level counts exist only in a PATIENT query (C-FIND Patient Root), over the studies in scope.
    add(0x00201200, "NumberOfPatientRelatedStudies", "IS", p, "COUNT(st.pk)", Matching.NONE);
    add(0x00201202, "NumberOfPatientRelatedSeries", "IS", p, "SUM(st.num_series)", Matching.NONE);
    add(0x00201204, "NumberOfPatientRelatedInstances", "IS", p, "SUM(st.num_instances)", Matching.NONE);

    QueryLevel st = QueryLevel.STUDY;
    add(STUDY_INSTANCE_UID, "StudyInstanceUID", "UI", st, "st.study_uid", Matching.UID);
    add(0x00080020, "StudyDate", "DA", st, "st.study_date", Matching.DATE);
    add(0x00080030, "StudyTime", "TM", st, "st.study_time", Matching.TIME);
    add(0x00080050, "AccessionNumber", "SH", st, "st.accession_number", Matching.TEXT);
    add(0x00200010, "StudyID", "SH", st, "st.study_id", Matching.TEXT);
    add(0x00081030, "StudyDescription", "LO", st, "st.study_description", Matching.TEXT);
    add(0x00080090, "ReferringPhysicianName", "PN", st, "st.referring_physician", Matching.PERSON_NAME);
    add(MODALITIES_IN_STUDY, "ModalitiesInStudy", "CS", st, "st.modalities", Matching.MODALITIES_IN_STUDY);
    add(0x00201206, "NumberOfStudyRelatedSeries", "IS", st, "st.num_series", Matching.NONE);
    add(0x00201208, "NumberOfStudyRelatedInstances", "IS", st, "st.num_instances", Matching.NONE);
    // Every object Imago indexes is in S3, so every one is ONLINE (PS3.18 Table 10.6.3-3).
    add(0x00080056, "InstanceAvailability", "CS", st, "'ONLINE'", Matching.NONE);

    QueryLevel se = QueryLevel.SERIES;
    add(SERIES_INSTANCE_UID, "SeriesInstanceUID", "UI", se, "se.series_uid", Matching.UID);
    add(0x00080060, "Modality", "CS", se, "se.modality", Matching.TEXT);
    add(0x00200011, "SeriesNumber", "IS", se, "se.series_number", Matching.TEXT);
    add(0x0008103E, "SeriesDescription", "LO", se, "se.series_description", Matching.TEXT);
    add(0x00180015, "BodyPartExamined", "CS", se, "se.body_part", Matching.TEXT);
    add(0x00080021, "SeriesDate", "DA", se, "se.series_date", Matching.DATE);
    add(0x00080031, "SeriesTime", "TM", se, "se.series_time", Matching.TIME);
    add(0x00201209, "NumberOfSeriesRelatedInstances", "IS", se, "se.num_instances", Matching.NONE);

    QueryLevel i = QueryLevel.INSTANCE;
    add(0x00080016, "SOPClassUID", "UI", i, "i.sop_class_uid", Matching.UID);
    add(SOP_INSTANCE_UID, "SOPInstanceUID", "UI", i, "i.sop_instance_uid", Matching.UID);
    add(0x00200013, "InstanceNumber", "IS", i, "i.instance_number", Matching.TEXT);
    // 0 is how ingest records "absent" for these: returned empty, never matched as 0
    add(0x00280010, "Rows", "US", i, "NULLIF(i.pixel_rows, 0)", Matching.INTEGER);
    add(0x00280011, "Columns", "US", i, "NULLIF(i.pixel_columns, 0)", Matching.INTEGER);
    add(0x00280008, "NumberOfFrames", "IS", i, "NULLIF(i.number_of_frames, 0)", Matching.INTEGER);
    add(0x00280100, "BitsAllocated", "US", i, "NULLIF(i.bits_allocated, 0)", Matching.INTEGER);
  }

  private QueryAttributes() {}

  private static void add(int tag, String keyword, String vr, QueryLevel level, String column, Matching matching) {
    QueryAttribute a = new QueryAttribute(tag, keyword, vr, level, column, matching);
    BY_TAG.put(tag, a);
    BY_KEYWORD.put(keyword.toLowerCase(Locale.ROOT), a);
  }

  public static Optional<QueryAttribute> byTag(int tag) {
    return Optional.ofNullable(BY_TAG.get(tag));
  }

  /** By DICOM keyword (PS3.6), case-insensitively: "PatientName", "patientname". */
  public static Optional<QueryAttribute> byKeyword(String keyword) {
    return keyword == null ? Optional.empty() : Optional.ofNullable(BY_KEYWORD.get(keyword.toLowerCase(Locale.ROOT)));
  }

  /** What a query at {@code level} returns: its own attributes and those of the levels above. */
  public static List<QueryAttribute> returnedAt(QueryLevel level) {
    List<QueryAttribute> out = new ArrayList<>();
    for (QueryAttribute a : BY_TAG.values()) {
      if (level.includes(a.level()) && (!isPatientCount(a) || level == QueryLevel.PATIENT)) out.add(a);
    }
    return Collections.unmodifiableList(out);
  }

  /** The patient-level counts: aggregates over the patient's studies, so only a PATIENT query has them. */
  static boolean isPatientCount(QueryAttribute a) {
    return a.level() == QueryLevel.PATIENT && !a.matchable();
  }

  /** The keys a query at {@code level} can match on, for error messages and documentation. */
  public static List<String> matchableAt(QueryLevel level) {
    return returnedAt(level).stream().filter(QueryAttribute::matchable).map(QueryAttribute::keyword).toList();
  }
}
