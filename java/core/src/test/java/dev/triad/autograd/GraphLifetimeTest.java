package dev.triad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The graph is spent by backward: a second walk fails loudly instead of silently doing nothing. */
class GraphLifetimeTest {
  @Test
  void secondBackwardThroughTheSameGraphThrows() {
    try (Tensor w = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true); Scope s = Scope.open()) {
      Tensor loss = Ops.sum(Ops.square(w));
      loss.backward();
      assertArrayEquals(new float[] {2f, 4f}, w.grad().toFloatArray()); // d sum(w^2) = 2w
      IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
      assertTrue(e.getMessage().contains("second time"), e.getMessage());
      assertArrayEquals(new float[] {2f, 4f}, w.grad().toFloatArray(), "gradient unchanged by the failed walk");
    }
  }

  @Test
  void recomputedForwardDifferentiatesAgainAndAccumulates() {
    try (Tensor w = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true); Scope s = Scope.open()) {
      Ops.sum(Ops.square(w)).backward();
      Ops.sum(Ops.square(w)).backward();
      assertArrayEquals(new float[] {4f, 8f}, w.grad().toFloatArray());
    }
  }

  @Test
  void adoptingIntoAClosedScopeThrows() {
    Scope outer = Scope.open();
    outer.close();
    try (Scope inner = Scope.open()) {
      Tensor t = Tensor.zeros(2);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> inner.adoptInto(outer, t));
      assertTrue(e.getMessage().contains("closed scope"), e.getMessage());
    }
  }
}
