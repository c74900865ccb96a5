package imago.core.deid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clean Pixel Data on every layout it takes: 16-bit, 8-bit as OB and as OW, colour by pixel and by plane, multi-frame. */
class PixelCleanerTest {
  private static final PixelCleaner.Rect BAND = new PixelCleaner.Rect(0, 0, 4, 2); // columns 0-3 of rows 0-1

  private static AttributeList image(int bits, int samples, int planar, int frames) throws Exception {
    AttributeList l = new AttributeList();
    put(l, TagFromName.Rows, "3");
    put(l, TagFromName.Columns, "5");
    put(l, TagFromName.SamplesPerPixel, Integer.toString(samples));
    put(l, TagFromName.PlanarConfiguration, Integer.toString(planar));
    put(l, TagFromName.NumberOfFrames, Integer.toString(frames));
    put(l, TagFromName.BitsAllocated, Integer.toString(bits));
    put(l, TagFromName.BurnedInAnnotation, "YES");
    SequenceAttribute methods = new SequenceAttribute(TagFromName.DeidentificationMethodCodeSequence);
    l.put(methods);
    return l;
  }

  private static void put(AttributeList l, AttributeTag tag, String v) throws Exception {
    Attribute a = AttributeFactory.newAttribute(tag);
    a.addValue(v);
    l.put(a);
  }

  /** Whether sample s of pixel (row, column) of frame f is inside the band. */
  private static boolean inBand(int row, int column) {
    return row < 2 && column < 4;
  }

  @Test
  void sixteenBitFramesAreBlackedOutInTheRectangleOnly() throws Exception {
    AttributeList l = image(16, 1, 0, 2);
    short[] v = new short[2 * 15];
    java.util.Arrays.fill(v, (short) 700);
    Attribute pixels = new OtherWordAttribute(TagFromName.PixelData);
    pixels.setValues(v);
    l.put(pixels);
    assertTrue(PixelCleaner.clean(l, List.of(BAND)));
    short[] out = l.get(TagFromName.PixelData).getShortValues();
    for (int f = 0; f < 2; f++) {
      for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 5; c++) assertEquals(inBand(r, c) ? 0 : 700, out[f * 15 + r * 5 + c], "frame " + f + " " + r + "," + c);
      }
    }
    assertEquals("NO", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.BurnedInAnnotation));
    SequenceAttribute methods = (SequenceAttribute) l.get(TagFromName.DeidentificationMethodCodeSequence);
    assertEquals("113101", Attribute.getSingleStringValueOrEmptyString(methods.getItem(0).getAttributeList(), TagFromName.CodeValue));
  }

  @Test
  void eightBitSamplesAsObOrAsOwAndColourByPixelOrByPlane() throws Exception {
    for (int planar : new int[] {0, 1}) {
      AttributeList l = image(8, 3, planar, 1);
      byte[] v = new byte[45];
      java.util.Arrays.fill(v, (byte) 200);
      Attribute pixels = new OtherByteAttribute(TagFromName.PixelData);
      pixels.setValues(v);
      l.put(pixels);
      assertTrue(PixelCleaner.clean(l, List.of(BAND)));
      byte[] out = l.get(TagFromName.PixelData).getByteValues();
      for (int s = 0; s < 3; s++) {
        for (int r = 0; r < 3; r++) {
          for (int c = 0; c < 5; c++) {
            int i = planar == 1 ? s * 15 + r * 5 + c : (r * 5 + c) * 3 + s;
            assertEquals(inBand(r, c) ? 0 : 200, out[i] & 0xff, "planar " + planar + " sample " + s + " at " + r + "," + c);
          }
        }
      }
    }
    AttributeList ow = image(8, 1, 0, 1);
    short[] words = new short[8]; // 15 samples, two a word, padded
    java.util.Arrays.fill(words, (short) 0x6464);
    Attribute pixels = new OtherWordAttribute(TagFromName.PixelData);
    pixels.setValues(words);
    ow.put(pixels);
    assertTrue(PixelCleaner.clean(ow, List.of(BAND)));
    short[] out = ow.get(TagFromName.PixelData).getShortValues();
    for (int i = 0; i < 15; i++) {
      int sample = (i % 2 == 0 ? out[i / 2] : out[i / 2] >> 8) & 0xff;
      assertEquals(inBand(i / 5, i % 5) ? 0 : 0x64, sample, "sample " + i);
    }
  }

  @Test
  void whatItCannotCleanItLeavesAlone() throws Exception {
    AttributeList twelve = image(32, 1, 0, 1);
    assertFalse(PixelCleaner.cleanable(twelve, true));
    assertFalse(PixelCleaner.cleanable(image(16, 1, 0, 1), false), "encapsulated pixels are not cleaned");
    assertFalse(PixelCleaner.clean(image(16, 1, 0, 1), List.of(BAND)), "no Pixel Data");
  }
}
