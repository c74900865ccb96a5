package imago.inference.results;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.inference.manifest.Manifest.Code;

/**
 * SR content items (PS3.3 C.17.3, Table C.17-5 Document Content Macro) as PixelMed attribute
 * lists. Each factory returns the item; {@link #add} hangs it under a parent with a relationship.
 */
final class SrContent {
  static final String CONTAINS = "CONTAINS";
  static final String HAS_OBS_CONTEXT = "HAS OBS CONTEXT";
  static final String HAS_CONCEPT_MOD = "HAS CONCEPT MOD";
  static final String INFERRED_FROM = "INFERRED FROM";
  static final String SELECTED_FROM = "SELECTED FROM";

  private SrContent() {}

  /** Adds {@code child} to {@code parent}'s Content Sequence with {@code relationship}; returns the child. */
  static AttributeList add(AttributeList parent, String relationship, AttributeList child) {
    Attribute a = parent.get(TagFromName.ContentSequence);
    SequenceAttribute content =
        a instanceof SequenceAttribute s ? s : Datasets.sequence(parent, TagFromName.ContentSequence);
    Datasets.put(child, TagFromName.RelationshipType, relationship);
    content.addItem(child);
    return child;
  }

  /** Makes the data set itself the root CONTAINER, built on DCMR template {@code templateId} (PS3.3 C.17.3). */
  static void root(AttributeList dataset, Code name, String templateId) {
    fillContainer(dataset, name);
    AttributeList template = Datasets.item(Datasets.sequence(dataset, TagFromName.ContentTemplateSequence));
    Datasets.put(template, TagFromName.MappingResource, "DCMR");
    Datasets.put(template, TagFromName.TemplateIdentifier, templateId);
  }

  static AttributeList container(Code name) {
    return fillContainer(new AttributeList(), name);
  }

  private static AttributeList fillContainer(AttributeList item, Code name) {
    Datasets.put(item, TagFromName.ValueType, "CONTAINER");
    Dataset.putCode(item, TagFromName.ConceptNameCodeSequence, name);
    Datasets.put(item, TagFromName.ContinuityOfContent, "SEPARATE");
    return item;
  }

  static AttributeList text(Code name, String value) {
    AttributeList item = named("TEXT", name);
    Datasets.put(item, TagFromName.TextValue, value);
    return item;
  }

  static AttributeList code(Code name, Code value) {
    AttributeList item = named("CODE", name);
    Dataset.putCode(item, TagFromName.ConceptCodeSequence, value);
    return item;
  }

  static AttributeList uidRef(Code name, String uid) {
    AttributeList item = named("UIDREF", name);
    Datasets.put(item, TagFromName.UID, uid);
    return item;
  }

  /**
   * NUM with the value as DS and, exactly, as FD (Floating Point Value, PS3.3 Table C.18.1-1:
   * DS keeps at most 16 characters).
   */
  static AttributeList num(Code name, double value, Code units) {
    AttributeList item = named("NUM", name);
    AttributeList measured = Datasets.item(Datasets.sequence(item, TagFromName.MeasuredValueSequence));
    Dataset.putCode(measured, TagFromName.MeasurementUnitsCodeSequence, units);
    Datasets.put(measured, TagFromName.NumericValue, Dataset.ds(value));
    Datasets.putDouble(measured, TagFromName.FloatingPointValue, value);
    return item;
  }

  /** IMAGE; {@code name} may be null (TID 1601 image library entries have none). */
  static AttributeList image(Code name, CommonModules.SourceRef ref) {
    return image(name, ref, null);
  }

  /** IMAGE of one frame of a multi-frame image ({@code frame} 1-based), or of the whole image when null. */
  static AttributeList image(Code name, CommonModules.SourceRef ref, Integer frame) {
    AttributeList item = new AttributeList();
    Datasets.put(item, TagFromName.ValueType, "IMAGE");
    if (name != null) Dataset.putCode(item, TagFromName.ConceptNameCodeSequence, name);
    AttributeList sop = Datasets.item(Datasets.sequence(item, TagFromName.ReferencedSOPSequence));
    CommonModules.sopReference(sop, ref);
    if (frame != null) Datasets.putInts(sop, TagFromName.ReferencedFrameNumber, frame);
    return item;
  }

  /** IMAGE naming one segment of a SEG (TID 1411 Referenced Segment). */
  static AttributeList segment(Code name, CommonModules.SourceRef seg, int segmentNumber) {
    AttributeList item = image(name, seg);
    AttributeList sop = ((com.pixelmed.dicom.SequenceAttribute) item.get(TagFromName.ReferencedSOPSequence)).getItem(0)
        .getAttributeList();
    Datasets.putInts(sop, TagFromName.ReferencedSegmentNumber, segmentNumber);
    return item;
  }

  /** SCOORD: a 2D region (POINT, POLYLINE...) on the IMAGE it is selected from, its (column, row) pairs as FL (PS3.3 C.18.6). */
  static AttributeList scoord(Code name, String graphicType, float[] points) {
    AttributeList item = named("SCOORD", name);
    Datasets.put(item, TagFromName.GraphicType, graphicType);
    com.pixelmed.dicom.FloatSingleAttribute data = new com.pixelmed.dicom.FloatSingleAttribute(TagFromName.GraphicData);
    try {
      for (float v : points) data.addValue(v);
    } catch (com.pixelmed.dicom.DicomException e) {
      throw new IllegalStateException(e);
    }
    item.put(data);
    return item;
  }

  private static AttributeList named(String valueType, Code name) {
    AttributeList item = new AttributeList();
    Datasets.put(item, TagFromName.ValueType, valueType);
    Dataset.putCode(item, TagFromName.ConceptNameCodeSequence, name);
    return item;
  }
}
