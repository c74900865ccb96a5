package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EngineMessagesTest {

  @Test
  void keepsTheErrorLineOfATorchScriptTraceback() {
    String libtorch = """
        The following operation failed in the TorchScript interpreter.
        Traceback of TorchScript, serialized code (most recent call last):
          File "code/__torch__.py", line 12, in forward
            input = torch._convolution(x, weight, bias)
        RuntimeError: Given groups=1, weight of size [8, 1, 3, 3], expected input[1, 2, 64, 64] to have 1 channels
        """;

    assertEquals("Given groups=1, weight of size [8, 1, 3, 3], expected input[1, 2, 64, 64] to have 1 channels",
        EngineMessages.oneLine(new RuntimeException("wrapper", new IllegalStateException(libtorch))));
  }

  @Test
  void dropsOnnxRuntimeErrorCodes() {
    assertEquals("Protobuf parsing failed.", EngineMessages.oneLine(
        new Exception("Error code - ORT_INVALID_PROTOBUF - message: Protobuf parsing failed.")));
  }
}
