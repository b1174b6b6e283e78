package dev.triad.autograd;

import dev.triad.tensor.Tensor;

/**
 * How one tensor was produced: the op's name, its inputs, and the backward step that, given the
 * gradient of the output, adds the gradients of the inputs (through {@link Autograd#gradOf}).
 */
public final class Node {
  /** Adds input gradients for the output gradient {@code gradOutput}. */
  @FunctionalInterface
  public interface Backward {
    void apply(Tensor gradOutput);
  }

  private final String name;
  private final Tensor[] inputs;
  private final Backward backward;

  public Node(String name, Tensor[] inputs, Backward backward) {
    this.name = name;
    this.inputs = inputs;
    this.backward = backward;
  }

  public String name() {
    return name;
  }

  Tensor[] inputs() {
    return inputs;
  }

  void run(Tensor gradOutput) {
    backward.apply(gradOutput);
  }
}
