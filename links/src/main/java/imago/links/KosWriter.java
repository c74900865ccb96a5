package imago.links;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The XDS-I.b imaging manifest (IHE RAD TF-3 4.68.4.1.2.3): a Key Object Selection Document
 * (PS3.3 A.35.4) titled (DCM, 113030, "Manifest") that references every instance of a study the
 * health record links to, with the Current Requested Procedure Evidence Sequence saying where
 * each series can be retrieved: a Retrieve Location UID and a WADO-RS Retrieve URL per series.
 */
public final class KosWriter {
  public static final String KEY_OBJECT_SELECTION_STORAGE = "1.2.840.10008.5.1.4.1.1.88.59";
  static final String MANUFACTURER = "Imago";
  private static final AttributeTag[] PATIENT = {TagFromName.PatientName, TagFromName.PatientID,
      TagFromName.PatientBirthDate, TagFromName.PatientSex};
  private static final AttributeTag[] STUDY = {TagFromName.StudyInstanceUID, TagFromName.StudyDate,
      TagFromName.StudyTime, TagFromName.ReferringPhysicianName, TagFromName.StudyID, TagFromName.AccessionNumber};
  private static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("uuuuMMdd", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * @param header an instance of the study: its Patient and General Study modules are copied
   * @param references every instance to list, all of the header's study, in the order given
   * @param retrieveLocationUid this Imago node's Retrieve Location UID (XDS-I.b repository id)
   * @param wadoRsStudyUrl the study's WADO-RS URL, e.g. {@code https://host/l/TOKEN/dicomweb/studies/1.2.3};
   *     each series' Retrieve URL is built under it
   * @return the KOS as a PS3.10 file; the same arguments always give the same bytes
   */
  public byte[] write(AttributeList header, List<KosReference> references, KosIds ids, String retrieveLocationUid,
                      String wadoRsStudyUrl) {
    String studyUid = Datasets.text(header, TagFromName.StudyInstanceUID);
    check(studyUid, references, retrieveLocationUid, wadoRsStudyUrl);
    AttributeList l = new AttributeList();
    sopCommon(l, ids);
    for (AttributeTag t : PATIENT) Datasets.copy(header, l, t);
    for (AttributeTag t : STUDY) Datasets.copy(header, l, t);
    if (!Datasets.text(header, TagFromName.StudyDescription).isEmpty()) Datasets.copy(header, l, TagFromName.StudyDescription);
    series(l, ids);
    keyObjectDocument(l, references, ids, retrieveLocationUid, trimSlash(wadoRsStudyUrl));
    content(l, references);
    return Part10.encode(l, null);
  }

  private static void check(String studyUid, List<KosReference> references, String retrieveLocationUid, String url) {
    if (!Uids.isValid(studyUid)) throw new IllegalArgumentException("the header has no valid Study Instance UID");
    if (references == null || references.isEmpty()) throw new IllegalArgumentException("a manifest needs references");
    if (!Uids.isValid(retrieveLocationUid)) throw new IllegalArgumentException("invalid Retrieve Location UID");
    if (url == null || !(url.startsWith("https://") || url.startsWith("http://"))) {
      throw new IllegalArgumentException("the WADO-RS study URL must be http(s)");
    }
    for (KosReference r : references) {
      // the Retrieve URLs are built under this one study's URL
      if (!r.studyUid().equals(studyUid)) throw new IllegalArgumentException("a reference is outside the header's study");
    }
  }

  /** PS3.3 C.12.1 SOP Common; every date and time in the object is UTC (C.12.1.1). */
  private static void sopCommon(AttributeList l, KosIds ids) {
    Datasets.put(l, TagFromName.SpecificCharacterSet, Datasets.ISO_IR_192);
    Datasets.put(l, TagFromName.SOPClassUID, KEY_OBJECT_SELECTION_STORAGE);
    Datasets.put(l, TagFromName.SOPInstanceUID, ids.sopInstanceUid());
    Datasets.put(l, TagFromName.InstanceCreationDate, date(ids.contentTime()));
    Datasets.put(l, TagFromName.InstanceCreationTime, time(ids.contentTime()));
    Datasets.put(l, TagFromName.TimezoneOffsetFromUTC, "+0000");
  }

  /** PS3.3 C.17.6.1 Key Object Document Series and C.7.5.1 General Equipment. */
  private static void series(AttributeList l, KosIds ids) {
    Datasets.put(l, TagFromName.Modality, "KO");
    Datasets.put(l, TagFromName.SeriesInstanceUID, ids.seriesInstanceUid());
    Datasets.put(l, TagFromName.SeriesNumber, Integer.toString(ids.seriesNumber()));
    Datasets.put(l, TagFromName.SeriesDate, date(ids.contentTime()));
    Datasets.put(l, TagFromName.SeriesTime, time(ids.contentTime()));
    Datasets.put(l, TagFromName.SeriesDescription, "Manifest");
    Datasets.sequence(l, TagFromName.ReferencedPerformedProcedureStepSequence);
    Datasets.put(l, TagFromName.Manufacturer, MANUFACTURER);
  }

  /**
   * PS3.3 C.17.6.2 Key Object Document: the evidence is one study item, one Referenced Series item
   * per series (first-seen order) with the retrieve location (C.17.2.2, IHE RAD TF-3 4.68.4.1.2.3.3).
   */
  private static void keyObjectDocument(AttributeList l, List<KosReference> references, KosIds ids,
                                        String retrieveLocationUid, String studyUrl) {
    Datasets.put(l, TagFromName.InstanceNumber, Integer.toString(ids.instanceNumber()));
    Datasets.put(l, TagFromName.ContentDate, date(ids.contentTime()));
    Datasets.put(l, TagFromName.ContentTime, time(ids.contentTime()));
    SequenceAttribute evidence = Datasets.sequence(l, TagFromName.CurrentRequestedProcedureEvidenceSequence);
    AttributeList study = Datasets.item(evidence);
    Datasets.put(study, TagFromName.StudyInstanceUID, references.get(0).studyUid());
    SequenceAttribute seriesSeq = Datasets.sequence(study, TagFromName.ReferencedSeriesSequence);
    for (Map.Entry<String, List<KosReference>> e : bySeries(references).entrySet()) {
      AttributeList series = Datasets.item(seriesSeq);
      Datasets.put(series, TagFromName.SeriesInstanceUID, e.getKey());
      Datasets.put(series, Attrs.RETRIEVE_LOCATION_UID, retrieveLocationUid);
      Datasets.put(series, Attrs.RETRIEVE_URL, studyUrl + "/series/" + e.getKey());
      SequenceAttribute sops = Datasets.sequence(series, TagFromName.ReferencedSOPSequence);
      for (KosReference r : e.getValue()) sopReference(Datasets.item(sops), r);
    }
  }

  /**
   * PS3.3 C.17.3 SR Document Content as PS3.16 TID 2010 Key Object Selection: the root CONTAINER
   * titled "Manifest" CONTAINS one IMAGE, WAVEFORM or COMPOSITE item per reference.
   */
  private static void content(AttributeList l, List<KosReference> references) {
    Datasets.put(l, TagFromName.ValueType, "CONTAINER");
    Datasets.putCode(l, TagFromName.ConceptNameCodeSequence, "DCM", "113030", "Manifest");
    Datasets.put(l, TagFromName.ContinuityOfContent, "SEPARATE");
    AttributeList template = Datasets.item(Datasets.sequence(l, TagFromName.ContentTemplateSequence));
    Datasets.put(template, TagFromName.MappingResource, "DCMR");
    Datasets.put(template, TagFromName.TemplateIdentifier, "2010");
    SequenceAttribute content = Datasets.sequence(l, TagFromName.ContentSequence);
    for (KosReference r : references) {
      AttributeList item = Datasets.item(content);
      Datasets.put(item, TagFromName.RelationshipType, "CONTAINS");
      Datasets.put(item, TagFromName.ValueType, ObjectKind.of(r.sopClassUid()).valueType);
      sopReference(Datasets.item(Datasets.sequence(item, TagFromName.ReferencedSOPSequence)), r);
    }
  }

  private static void sopReference(AttributeList item, KosReference r) {
    Datasets.put(item, TagFromName.ReferencedSOPClassUID, r.sopClassUid());
    Datasets.put(item, TagFromName.ReferencedSOPInstanceUID, r.sopInstanceUid());
  }

  private static Map<String, List<KosReference>> bySeries(List<KosReference> references) {
    Map<String, List<KosReference>> series = new LinkedHashMap<>();
    for (KosReference r : references) series.computeIfAbsent(r.seriesUid(), k -> new ArrayList<>()).add(r);
    return series;
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  static String date(Instant t) {
    return DA.format(t);
  }

  static String time(Instant t) {
    return TM.format(t);
  }
}
