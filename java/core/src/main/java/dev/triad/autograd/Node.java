package dev.triad.autograd;

import dev.triad.profile.Profiler;
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
  private Tensor[] inputs;
  private Backward backward;

  public Node(String name, Tensor[] inputs, Backward backward) {
    this.name = name;
    this.inputs = inputs;
    this.backward = backward;
  }

  public String name() {
    return name;
  }

  Tensor[] inputs() {
    checkLive();
    return inputs;
  }

  void run(Tensor gradOutput) {
    checkLive();
    long prof = Profiler.opBegin(); // the profiler's backward hook: one volatile read when off
    backward.apply(gradOutput);
    Profiler.opEnd(name, true, prof);
  }

  /** After a backward walk: drops the references to saved tensors; the node cannot run again. */
  void release() {
    inputs = null;
    backward = null;
  }

  private void checkLive() {
    if (backward == null) {
      throw new IllegalStateException("backward through " + name + " a second time: the graph is "
          + "freed after backward (recompute the forward to differentiate again)");
    }
  }
}
