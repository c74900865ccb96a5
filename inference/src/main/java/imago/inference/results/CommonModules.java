package imago.inference.results;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Uids;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The modules a result object shares with its sources and with the other writer: SOP Common,
 * Patient and General Study copied from the first source, a new series, General Equipment
 * (Imago) and the Contributing Equipment Sequence naming the model (PS3.3 C.12.1, C.7.1.1,
 * C.7.2.1, C.7.3.1, C.7.5.1). Also the PS3.10 encoding both writers return.
 */
final class CommonModules {
  static final String MANUFACTURER = "Imago";
  private static final AttributeTag[] PATIENT = {TagFromName.PatientName, TagFromName.PatientID,
      TagFromName.PatientBirthDate, TagFromName.PatientSex};
  private static final AttributeTag[] STUDY = {TagFromName.StudyInstanceUID, TagFromName.StudyDate,
      TagFromName.StudyTime, TagFromName.ReferringPhysicianName, TagFromName.StudyID, TagFromName.AccessionNumber};

  private CommonModules() {}

  /** A source image's identity, for references. */
  record SourceRef(String seriesInstanceUid, String sopClassUid, String sopInstanceUid) {}

  /**
   * Checks the sources (at least one, one study, every UID present) and returns their identities
   * in order.
   */
  static List<SourceRef> checkSources(List<AttributeList> sources) {
    if (sources == null || sources.isEmpty()) throw new IllegalArgumentException("no source images");
    String study = Datasets.text(sources.get(0), TagFromName.StudyInstanceUID);
    if (!Uids.isValid(study)) throw new IllegalArgumentException("the first source has no valid Study Instance UID");
    List<SourceRef> refs = new ArrayList<>();
    for (AttributeList s : sources) {
      if (!study.equals(Datasets.text(s, TagFromName.StudyInstanceUID))) {
        throw new IllegalArgumentException("sources belong to more than one study");
      }
      SourceRef ref = new SourceRef(Datasets.text(s, TagFromName.SeriesInstanceUID),
          Datasets.text(s, TagFromName.SOPClassUID), Datasets.text(s, TagFromName.SOPInstanceUID));
      if (!Uids.isValid(ref.seriesInstanceUid()) || !Uids.isValid(ref.sopClassUid())
          || !Uids.isValid(ref.sopInstanceUid())) {
        throw new IllegalArgumentException("a source lacks a valid Series, SOP Class or SOP Instance UID");
      }
      refs.add(ref);
    }
    return refs;
  }

  /** Sources grouped by series, in first-seen order. */
  static Map<String, List<SourceRef>> bySeries(List<SourceRef> refs) {
    Map<String, List<SourceRef>> series = new LinkedHashMap<>();
    for (SourceRef r : refs) series.computeIfAbsent(r.seriesInstanceUid(), k -> new ArrayList<>()).add(r);
    return series;
  }

  /** A new data set with SOP Common, Patient, General Study, the series and General Equipment. */
  static AttributeList start(String sopClassUid, String modality, Algorithm alg, AttributeList first, ResultIds ids) {
    AttributeList l = new AttributeList();
    Datasets.put(l, TagFromName.SpecificCharacterSet, Datasets.ISO_IR_192);
    Datasets.put(l, TagFromName.SOPClassUID, sopClassUid);
    Datasets.put(l, TagFromName.SOPInstanceUID, ids.sopInstanceUid());
    Datasets.put(l, TagFromName.InstanceCreationDate, Dataset.date(ids.contentTime()));
    Datasets.put(l, TagFromName.InstanceCreationTime, Dataset.time(ids.contentTime()));
    // PS3.3 C.12.1.1: all dates and times in this object are UTC
    Datasets.put(l, TagFromName.TimezoneOffsetFromUTC, "+0000");
    for (AttributeTag t : PATIENT) Datasets.copy(first, l, t);
    Dataset.copyIfPresent(first, l, TagFromName.IssuerOfPatientID);
    for (AttributeTag t : STUDY) Datasets.copy(first, l, t);
    Dataset.copyIfPresent(first, l, TagFromName.StudyDescription);
    Datasets.put(l, TagFromName.Modality, modality);
    Datasets.put(l, TagFromName.SeriesInstanceUID, ids.seriesInstanceUid());
    Datasets.put(l, TagFromName.SeriesNumber, Integer.toString(ids.seriesNumber()));
    Datasets.put(l, TagFromName.SeriesDate, Dataset.date(ids.contentTime()));
    Datasets.put(l, TagFromName.SeriesTime, Dataset.time(ids.contentTime()));
    Datasets.put(l, TagFromName.SeriesDescription, Dataset.lo("AI " + alg.modelName() + " " + alg.modelVersion()));
    Datasets.put(l, TagFromName.InstanceNumber, Integer.toString(ids.instanceNumber()));
    // General Equipment: the Imago build that ran the model as its device (Enhanced General
    // Equipment, PS3.3 C.7.5.2, needs model name and serial number as type 1)
    Datasets.put(l, TagFromName.Manufacturer, MANUFACTURER);
    Datasets.put(l, TagFromName.ManufacturerModelName, alg.modelName());
    Datasets.put(l, TagFromName.DeviceSerialNumber, alg.deviceUid());
    Datasets.put(l, TagFromName.SoftwareVersions, alg.imagoVersion());
    contributingEquipment(l, alg, ids);
    return l;
  }

  /**
   * PS3.3 C.7.5.1 Contributing Equipment Sequence, one item for the model (IHE AIR 6.5.3.1: purpose
   * "Processing Algorithm", each model version named with manufacturer, model name, version and a
   * Device UID that changes with the model). The artifact digest is the serial number (64 hex digits, LO's limit) and, with its
   * {@code sha256:} prefix, the Contribution Description.
   */
  private static void contributingEquipment(AttributeList l, Algorithm alg, ResultIds ids) {
    AttributeList item = Datasets.item(Datasets.sequence(l, TagFromName.ContributingEquipmentSequence));
    Dataset.putCode(item, TagFromName.PurposeOfReferenceCodeSequence, Codes.PROCESSING_ALGORITHM);
    Datasets.put(item, TagFromName.Manufacturer, MANUFACTURER);
    Datasets.put(item, TagFromName.ManufacturerModelName, alg.modelName());
    Datasets.put(item, TagFromName.SoftwareVersions, alg.modelVersion());
    Datasets.put(item, TagFromName.DeviceUID, alg.deviceUid());
    Datasets.put(item, TagFromName.DeviceSerialNumber, alg.artifactSha256());
    Datasets.put(item, Tags.CONTRIBUTION_DATE_TIME, Dataset.dateTime(ids.contentTime()));
    Datasets.put(item, TagFromName.ContributionDescription,
        "AI model " + alg.modelName() + " " + alg.modelVersion() + ", artifact " + alg.artifactDigest());
  }

  /** Referenced Series Sequence items (Series Instance UID, Referenced Instance Sequence) per PS3.3 C.12.2. */
  static void referencedSeries(AttributeList l, List<SourceRef> refs, AttributeTag instancesTag) {
    SequenceAttribute series = Datasets.sequence(l, TagFromName.ReferencedSeriesSequence);
    for (Map.Entry<String, List<SourceRef>> e : bySeries(refs).entrySet()) {
      AttributeList s = Datasets.item(series);
      Datasets.put(s, TagFromName.SeriesInstanceUID, e.getKey());
      SequenceAttribute instances = Datasets.sequence(s, instancesTag);
      for (SourceRef r : e.getValue()) sopReference(Datasets.item(instances), r);
    }
  }

  static void sopReference(AttributeList item, SourceRef r) {
    Datasets.put(item, TagFromName.ReferencedSOPClassUID, r.sopClassUid());
    Datasets.put(item, TagFromName.ReferencedSOPInstanceUID, r.sopInstanceUid());
  }

  /** A UID derived from the result's SOP Instance UID, so re-writes give the same one (PS3.5 B.2). */
  static String derivedUid(ResultIds ids, String purpose) {
    String name = "imago:result:" + ids.sopInstanceUid() + ":" + purpose;
    return Uids.fromUuid(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.US_ASCII)));
  }
}
