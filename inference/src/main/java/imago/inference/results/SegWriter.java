package imago.inference.results;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.AttributeTagAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.dicom.Part10;
import imago.inference.manifest.Manifest.Code;
import imago.inference.manifest.Manifest;
import imago.inference.results.CommonModules.SourceRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Segmentation masks as a BINARY Segmentation Storage object (PS3.3 A.51), one frame per mask,
 * the IHE AI Results encoding for segmentations. Frames are ordered by segment, then along the
 * slice normal; each names its source frame (Derivation Image), its segment and its dimension
 * index values (segment number, position index).
 */
public final class SegWriter {
  public static final String SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4";
  // a segment with no code in the manifest gets a local one (PS3.16 8.2: "99" schemes are private)
  static final String LOCAL_SCHEME = "99IMAGO";
  private static final Code UNSPECIFIED_CATEGORY = new Code(LOCAL_SCHEME, "segment", "Segment");

  /** One output frame: the mask, its source and where it lies. */
  private record Frame(SegmentMask mask, SourceRef source, boolean multiFrameSource, FrameGeometry geometry,
      int positionIndex) {}

  /** Writes the SEG as a PS3.10 file; the same arguments always give the same bytes. */
  public byte[] write(Algorithm alg, List<AttributeList> sources, List<Manifest.Segment> segments,
                      List<SegmentMask> masks, ResultIds ids) {
    List<SourceRef> refs = CommonModules.checkSources(sources);
    if (segments == null || segments.isEmpty()) throw new IllegalArgumentException("no segments");
    if (masks == null || masks.isEmpty()) {
      throw new IllegalArgumentException("no masks: a SEG needs at least one frame");
    }
    int[] size = checkMasks(sources, segments, masks);
    List<Frame> frames = frames(sources, refs, marked(masks));
    boolean positioned = frames.stream().allMatch(f -> f.geometry().hasPosition());

    AttributeList l = CommonModules.start(SEGMENTATION_STORAGE, "SEG", alg, sources.get(0), ids);
    segmentationImage(l, alg, ids, size);
    // PS3.3 C.7.6.1: Patient Orientation (Type 2C) is required when the image has no Plane
    // Orientation, as for a segmentation of radiographs; copied from the source, else empty.
    if (frames.stream().anyMatch(f -> f.geometry().orientation().length != 6)) {
      Datasets.put(l, TagFromName.PatientOrientation, Datasets.values(sources.get(0), TagFromName.PatientOrientation));
    }
    segmentSequence(l, alg, segments);
    frameOfReference(l, sources.get(0));
    String dimensionUid = CommonModules.derivedUid(ids, "dimension-organization");
    dimensions(l, dimensionUid, positioned);
    functionalGroups(l, frames, positioned);
    CommonModules.referencedSeries(l, frames.stream().map(Frame::source).distinct().toList(),
        TagFromName.ReferencedInstanceSequence);
    pixelData(l, frames, size[0] * size[1]);
    return Part10.encode(l, null);
  }

  /** Every mask names a known segment, source and frame, and all sources share one size: {rows, columns}. */
  private static int[] checkMasks(List<AttributeList> sources, List<Manifest.Segment> segments,
                                  List<SegmentMask> masks) {
    int rows = -1;
    int columns = -1;
    for (SegmentMask m : masks) {
      if (m.segmentNumber() > segments.size()) throw new IllegalArgumentException("no segment " + m.segmentNumber());
      if (m.source() >= sources.size()) throw new IllegalArgumentException("no source " + m.source());
      AttributeList s = sources.get(m.source());
      int r = intValue(s, TagFromName.Rows);
      int c = intValue(s, TagFromName.Columns);
      int n = Math.max(1, intValue(s, TagFromName.NumberOfFrames));
      if (m.frame() > n) throw new IllegalArgumentException("source " + m.source() + " has no frame " + m.frame());
      if (rows < 0) {
        rows = r;
        columns = c;
      }
      if (r != rows || c != columns || r < 1 || c < 1) {
        throw new IllegalArgumentException("sources of a SEG must share one non-zero size; got " + r + "x" + c);
      }
      if (m.mask().length != r * c) throw new IllegalArgumentException("mask is not rows*columns = " + r * c + " long");
    }
    return new int[] {rows, columns};
  }

  /**
   * The masks that mark something: a frame of zeros says nothing a viewer or reader needs (PS3.3
   * C.8.20.2 lets a SEG leave it out), and a CT series of hundreds of slices with one nodule would
   * otherwise carry hundreds of empty frames. When nothing is marked at all the first mask stays,
   * as a SEG has at least one frame.
   */
  private static List<SegmentMask> marked(List<SegmentMask> masks) {
    List<SegmentMask> marked = new ArrayList<>();
    for (SegmentMask m : masks) {
      for (boolean b : m.mask()) {
        if (b) {
          marked.add(m);
          break;
        }
      }
    }
    return marked.isEmpty() ? List.of(masks.get(0)) : marked;
  }

  private static int intValue(AttributeList l, AttributeTag tag) {
    return Attribute.getSingleIntegerValueOrDefault(l, tag, 0);
  }

  /**
   * Frames in the order PS3.3 C.7.6.17.1 suggests for dimension organisations: by segment, then
   * position index (rank of the distance along the slice normal, 1 nearest the feet-or-start),
   * then source order.
   */
  private static List<Frame> frames(List<AttributeList> sources, List<SourceRef> refs, List<SegmentMask> masks) {
    List<FrameGeometry> geometry =
        masks.stream().map(m -> FrameGeometry.of(sources.get(m.source()), m.frame())).toList();
    boolean positioned = geometry.stream().allMatch(FrameGeometry::hasPosition);
    TreeSet<Double> distances = new TreeSet<>();
    if (positioned) geometry.forEach(g -> distances.add(g.distanceAlongNormal()));
    List<Double> ranks = new ArrayList<>(distances);
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < masks.size(); i++) {
      SegmentMask m = masks.get(i);
      int index = positioned ? ranks.indexOf(geometry.get(i).distanceAlongNormal()) + 1 : 0;
      boolean multiFrame = !Datasets.text(sources.get(m.source()), TagFromName.NumberOfFrames).isEmpty();
      frames.add(new Frame(m, refs.get(m.source()), multiFrame, geometry.get(i), index));
    }
    frames.sort(Comparator.comparingInt((Frame f) -> f.mask().segmentNumber()).thenComparingInt(Frame::positionIndex)
        .thenComparingInt(f -> f.mask().source()).thenComparingInt(f -> f.mask().frame()));
    return frames;
  }

  /** PS3.3 C.8.20.2 Segmentation Image, C.7.6.3 Image Pixel, the header of C.7.6.16 Multi-frame Functional Groups. */
  private static void segmentationImage(AttributeList l, Algorithm alg, ResultIds ids, int[] size) {
    Datasets.put(l, TagFromName.ImageType, "DERIVED", "PRIMARY");
    Datasets.put(l, TagFromName.ContentDate, Dataset.date(ids.contentTime()));
    Datasets.put(l, TagFromName.ContentTime, Dataset.time(ids.contentTime()));
    Datasets.put(l, TagFromName.ContentLabel, "AI_SEGMENTATION");
    Datasets.put(l, TagFromName.ContentDescription, Dataset.lo(alg.modelName() + " " + alg.modelVersion()));
    Datasets.put(l, TagFromName.ContentCreatorName);
    Datasets.put(l, TagFromName.SegmentationType, "BINARY");
    Datasets.put(l, TagFromName.LossyImageCompression, "00");
    Datasets.putInts(l, TagFromName.SamplesPerPixel, 1);
    Datasets.put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
    Datasets.putInts(l, TagFromName.Rows, size[0]);
    Datasets.putInts(l, TagFromName.Columns, size[1]);
    Datasets.putInts(l, TagFromName.BitsAllocated, 1);
    Datasets.putInts(l, TagFromName.BitsStored, 1);
    Datasets.putInts(l, TagFromName.HighBit, 0);
    Datasets.putInts(l, TagFromName.PixelRepresentation, 0);
  }

  /** PS3.3 C.8.20.2 Segment Sequence: one item per manifest segment, numbered from 1 in manifest order. */
  private static void segmentSequence(AttributeList l, Algorithm alg, List<Manifest.Segment> segments) {
    SequenceAttribute seq = Datasets.sequence(l, TagFromName.SegmentSequence);
    for (int i = 0; i < segments.size(); i++) {
      Manifest.Segment s = segments.get(i);
      AttributeList item = Datasets.item(seq);
      Datasets.putInts(item, TagFromName.SegmentNumber, i + 1);
      Datasets.put(item, TagFromName.SegmentLabel, Dataset.lo(s.name()));
      Dataset.putCode(item, TagFromName.SegmentedPropertyCategoryCodeSequence,
          s.category() != null ? s.category() : UNSPECIFIED_CATEGORY);
      Dataset.putCode(item, TagFromName.SegmentedPropertyTypeCodeSequence,
          s.code() != null ? s.code() : new Code(LOCAL_SCHEME, s.name(), s.name()));
      // PS3.3 C.8.20.2 (General Anatomy Optional Macro): where the segment lies, when the model says
      if (s.findingSite() != null) Dataset.putCode(item, TagFromName.AnatomicRegionSequence, s.findingSite());
      Datasets.put(item, TagFromName.SegmentAlgorithmType, "AUTOMATIC");
      Datasets.put(item, Tags.SEGMENT_ALGORITHM_NAME, alg.modelName());
      if (s.color() != null) {
        Datasets.putInts(item, TagFromName.RecommendedDisplayCIELabValue, CieLab.fromRgb(s.color()));
      }
    }
  }

  /** PS3.3 C.7.4.1: the SEG lies in its source's frame of reference, when the source has one. */
  private static void frameOfReference(AttributeList l, AttributeList first) {
    if (Dataset.copyIfPresent(first, l, TagFromName.FrameOfReferenceUID)) {
      Datasets.copy(first, l, TagFromName.PositionReferenceIndicator);
    }
  }

  /**
   * PS3.3 C.7.6.17 Multi-frame Dimension: segment number, then (when every frame has one) the
   * image position, each pointing into its functional group.
   */
  private static void dimensions(AttributeList l, String uid, boolean positioned) {
    Datasets.put(Datasets.item(Datasets.sequence(l, TagFromName.DimensionOrganizationSequence)),
        TagFromName.DimensionOrganizationUID, uid);
    SequenceAttribute index = Datasets.sequence(l, TagFromName.DimensionIndexSequence);
    dimension(Datasets.item(index), uid, TagFromName.ReferencedSegmentNumber, TagFromName.SegmentIdentificationSequence,
        "Segment Number");
    if (positioned) {
      dimension(Datasets.item(index), uid, TagFromName.ImagePositionPatient, TagFromName.PlanePositionSequence,
          "Image Position Patient");
    }
  }

  private static void dimension(AttributeList item, String uid, AttributeTag pointer, AttributeTag group,
                                String label) {
    Datasets.put(item, TagFromName.DimensionOrganizationUID, uid);
    putTag(item, TagFromName.DimensionIndexPointer, pointer);
    putTag(item, TagFromName.FunctionalGroupPointer, group);
    Datasets.put(item, TagFromName.DimensionDescriptionLabel, label);
  }

  private static void putTag(AttributeList item, AttributeTag at, AttributeTag value) {
    try {
      AttributeTagAttribute a = new AttributeTagAttribute(at);
      a.addValue(value);
      item.put(a);
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * PS3.3 A.51.5 functional groups: Plane Orientation and Pixel Measures shared when every
   * frame's source agrees, else per frame; per frame always Derivation Image, Frame Content,
   * Segment Identification and Plane Position.
   */
  private static void functionalGroups(AttributeList l, List<Frame> frames, boolean positioned) {
    Datasets.putInts(l, TagFromName.NumberOfFrames, frames.size());
    boolean shared = frames.stream().map(f -> f.geometry().sharedKey()).distinct().count() == 1;
    AttributeList sharedItem = Datasets.item(Datasets.sequence(l, TagFromName.SharedFunctionalGroupsSequence));
    if (shared) orientationAndMeasures(sharedItem, frames.get(0).geometry());
    SequenceAttribute perFrame = Datasets.sequence(l, TagFromName.PerFrameFunctionalGroupsSequence);
    for (Frame f : frames) {
      AttributeList item = Datasets.item(perFrame);
      derivation(item, f);
      AttributeList content = Datasets.item(Datasets.sequence(item, TagFromName.FrameContentSequence));
      if (positioned) {
        Datasets.putInts(content, TagFromName.DimensionIndexValues, f.mask().segmentNumber(), f.positionIndex());
        Datasets.put(Datasets.item(Datasets.sequence(item, TagFromName.PlanePositionSequence)),
            TagFromName.ImagePositionPatient, f.geometry().position());
      } else {
        Datasets.putInts(content, TagFromName.DimensionIndexValues, f.mask().segmentNumber());
      }
      Datasets.putInts(Datasets.item(Datasets.sequence(item, TagFromName.SegmentIdentificationSequence)),
          TagFromName.ReferencedSegmentNumber, f.mask().segmentNumber());
      if (!shared) orientationAndMeasures(item, f.geometry());
    }
  }

  private static void orientationAndMeasures(AttributeList group, FrameGeometry g) {
    if (g.orientation().length == 6) {
      Datasets.put(Datasets.item(Datasets.sequence(group, TagFromName.PlaneOrientationSequence)),
          TagFromName.ImageOrientationPatient, g.orientation());
    }
    if (g.pixelSpacing().length == 2) {
      AttributeList measures = Datasets.item(Datasets.sequence(group, TagFromName.PixelMeasuresSequence));
      Datasets.put(measures, TagFromName.PixelSpacing, g.pixelSpacing());
      if (g.sliceThickness().length == 1) Datasets.put(measures, TagFromName.SliceThickness, g.sliceThickness());
      if (g.spacingBetweenSlices().length == 1) {
        Datasets.put(measures, TagFromName.SpacingBetweenSlices, g.spacingBetweenSlices());
      }
    }
  }

  /** PS3.3 C.7.6.16.2.6 Derivation Image: the frame was segmented (CID 7203) from this source frame (CID 7202). */
  private static void derivation(AttributeList item, Frame f) {
    AttributeList derivation = Datasets.item(Datasets.sequence(item, TagFromName.DerivationImageSequence));
    Dataset.putCode(derivation, TagFromName.DerivationCodeSequence, Codes.SEGMENTATION);
    AttributeList source = Datasets.item(Datasets.sequence(derivation, TagFromName.SourceImageSequence));
    CommonModules.sopReference(source, f.source());
    // PS3.3 Table 10-3: a frame number only when the source is a multi-frame image
    if (f.multiFrameSource()) Datasets.putInts(source, TagFromName.ReferencedFrameNumber, f.mask().frame());
    Dataset.putCode(source, TagFromName.PurposeOfReferenceCodeSequence, Codes.SOURCE_IMAGE_FOR_PROCESSING);
  }

  private static void pixelData(AttributeList l, List<Frame> frames, int pixelsPerFrame) {
    boolean[][] masks = frames.stream().map(f -> f.mask().mask()).toArray(boolean[][]::new);
    try {
      OtherByteAttribute pixels = new OtherByteAttribute(TagFromName.PixelData);
      pixels.setValues(Bits.pack(masks, pixelsPerFrame));
      l.put(pixels);
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }
}
