package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** Security: a viewport fits the image; it never enlarges it past twice its size, whatever it asks. */
class RendererTest {
  @Test
  void aViewportDownscalesFreelyAndUpscalesAtMostTwice() {
    BufferedImage small = new BufferedImage(32, 24, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage huge = Renderer.fit(small, 8192, 8192);
    assertEquals(64, huge.getWidth());
    assertEquals(48, huge.getHeight());
    BufferedImage thumb = Renderer.fit(small, 16, 16);
    assertEquals(16, thumb.getWidth());
    assertEquals(12, thumb.getHeight());
  }
}
