package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FrameworkTest {

  @Test
  void parsesTheManifestSpelling() {
    for (Framework framework : Framework.values()) {
      assertEquals(framework, Framework.parse(framework.id()));
    }
    assertEquals(Framework.KERAS_H5, Framework.parse("keras-h5"));
  }

  @Test
  void listsTheValidIdsForAnUnknownOne() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Framework.parse("tflite"));
    assertEquals("unknown framework 'tflite'; valid: torchscript, onnx, keras-h5, dl4j", e.getMessage());
  }
}
