package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void refusesDataThatDoesNotFillTheShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Tensor(new float[5], new long[] {2, 3}));
    assertEquals("shape [2, 3] holds 6 values, data has 5", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[0], new long[] {-1, 0}));
  }

  @Test
  void slicesAndStacksAlongTheBatch() {
    Tensor batch = new Tensor(new float[] {1, 2, 3, 4, 5, 6}, new long[] {3, 2});

    Tensor second = batch.slice(1);

    assertEquals(3, batch.batchSize());
    assertArrayEquals(new long[] {1, 2}, second.shape());
    assertArrayEquals(new float[] {3, 4}, second.data());
    assertTrue(Tensor.stack(List.of(batch.slice(0), batch.slice(1), batch.slice(2))).sameAs(batch));
    assertThrows(IndexOutOfBoundsException.class, () -> batch.slice(3));
  }

  @Test
  void refusesToStackDifferentItemShapes() {
    Tensor a = new Tensor(new float[4], new long[] {1, 4});
    Tensor b = new Tensor(new float[4], new long[] {1, 2, 2});

    assertThrows(IllegalArgumentException.class, () -> Tensor.stack(List.of(a, b)));
  }
}
