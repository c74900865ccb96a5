package imago.core.deid;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;
import java.util.List;

/**
 * PS3.15 E.3.1 Clean Pixel Data: text burned into the pixels (an ultrasound's header band, a
 * secondary capture's labels) is blacked out, by rectangles a project names per modality. Only
 * native (uncompressed) Pixel Data is cleaned; an instance that cannot be cleaned stays out of the
 * project. A cleaned instance says so: Burned In Annotation NO, and Clean Pixel Data Option
 * (113101) among its de-identification methods.
 */
public final class PixelCleaner {
  /** A rectangle of the image, in pixels: columns {@code x0..x1-1}, rows {@code y0..y1-1}. */
  public record Rect(int x0, int y0, int x1, int y1) {
    public Rect {
      if (x0 < 0 || y0 < 0 || x1 <= x0 || y1 <= y0) {
        throw new IllegalArgumentException("a rectangle is x0,y0,x1,y1 with 0 <= x0 < x1 and 0 <= y0 < y1: " + x0 + "," + y0
            + "," + x1 + "," + y1);
      }
    }
  }

  private PixelCleaner() {}

  /**
   * Whether {@code dataset}'s pixels can be cleaned here: native Pixel Data of 8 or 16 bits
   * allocated (its transfer syntax decides; PixelMed reads encapsulated frames as compressed bytes).
   */
  public static boolean cleanable(AttributeList dataset, boolean nativePixels) {
    int bits = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.BitsAllocated, 0);
    return nativePixels && (bits == 8 || bits == 16);
  }

  /**
   * Sets every sample inside {@code rects} to 0 in each frame of {@code dataset} (its header read in
   * full, Pixel Data native), then marks it cleaned; false (nothing changed) when it cannot be.
   */
  public static boolean clean(AttributeList dataset, List<Rect> rects) throws DicomException {
    Attribute pixels = dataset.get(TagFromName.PixelData);
    int rows = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.Rows, 0);
    int columns = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.Columns, 0);
    int samples = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.SamplesPerPixel, 1);
    int planar = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.PlanarConfiguration, 0);
    int frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.NumberOfFrames, 1));
    int bits = Attribute.getSingleIntegerValueOrDefault(dataset, TagFromName.BitsAllocated, 0);
    if (pixels == null || rows == 0 || columns == 0 || (bits != 8 && bits != 16)) return false;
    long frameSamples = (long) rows * columns * samples;
    if (bits == 16 && pixels instanceof OtherWordAttribute) {
      short[] v = pixels.getShortValues();
      if (v.length < frameSamples * frames) return false;
      for (int f = 0; f < frames; f++) {
        for (Rect r : rects) blank(v, null, f * frameSamples, rows, columns, samples, planar, r);
      }
      pixels.setValues(v);
    } else if (bits == 8 && pixels instanceof OtherByteAttribute) {
      byte[] v = pixels.getByteValues();
      if (v.length < frameSamples * frames) return false;
      for (int f = 0; f < frames; f++) {
        for (Rect r : rects) blank(null, v, f * frameSamples, rows, columns, samples, planar, r);
      }
      pixels.setValues(v);
    } else if (bits == 8 && pixels instanceof OtherWordAttribute) {
      // 8-bit samples read as OW (implicit VR little endian): two samples a word, the first in its low byte
      short[] w = pixels.getShortValues();
      byte[] v = new byte[w.length * 2];
      for (int i = 0; i < w.length; i++) {
        v[2 * i] = (byte) w[i];
        v[2 * i + 1] = (byte) (w[i] >> 8);
      }
      if (v.length < frameSamples * frames) return false;
      for (int f = 0; f < frames; f++) {
        for (Rect r : rects) blank(null, v, f * frameSamples, rows, columns, samples, planar, r);
      }
      for (int i = 0; i < w.length; i++) w[i] = (short) ((v[2 * i] & 0xff) | (v[2 * i + 1] << 8));
      pixels.setValues(w);
    } else {
      return false;
    }
    markCleaned(dataset);
    return true;
  }

  /** Says that the pixels were cleaned: Burned In Annotation NO, and Clean Pixel Data Option among the methods. */
  public static void markCleaned(AttributeList dataset) throws DicomException {
    put(dataset, TagFromName.BurnedInAnnotation, "NO");
    SequenceAttribute methods = (SequenceAttribute) dataset.get(TagFromName.DeidentificationMethodCodeSequence);
    if (methods != null) {
      AttributeList code = new AttributeList();
      put(code, TagFromName.CodeValue, "113101");
      put(code, TagFromName.CodingSchemeDesignator, "DCM");
      put(code, TagFromName.CodeMeaning, "Clean Pixel Data Option");
      methods.addItem(new SequenceItem(code));
    }
  }

  private static void blank(short[] words, byte[] bytes, long frameStart, int rows, int columns, int samples, int planar,
      Rect r) {
    int y1 = Math.min(r.y1(), rows);
    int x1 = Math.min(r.x1(), columns);
    for (int s = 0; s < samples; s++) {
      for (int y = r.y0(); y < y1; y++) {
        for (int x = r.x0(); x < x1; x++) {
          long i = frameStart + (planar == 1 ? (long) s * rows * columns + (long) y * columns + x
              : ((long) y * columns + x) * samples + s);
          if (words != null) words[(int) i] = 0;
          else bytes[(int) i] = 0;
        }
      }
    }
  }

  private static void put(AttributeList l, AttributeTag tag, String value) throws DicomException {
    Attribute a = com.pixelmed.dicom.AttributeFactory.newAttribute(tag);
    a.addValue(value);
    l.put(a);
  }
}
