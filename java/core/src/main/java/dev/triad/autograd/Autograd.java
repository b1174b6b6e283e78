package dev.triad.autograd;

import dev.triad.internal.TensorAccess;
import dev.triad.tensor.InPlace;
import dev.triad.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation. Ops record a {@link Node} on each result whose inputs
 * require gradients; {@link #backward} walks those nodes from a scalar in reverse topological
 * order, and each node's backward (a native kernel) adds into its inputs' gradients. Leaf tensors
 * (parameters) keep their gradients, which accumulate across backward calls until zeroed;
 * intermediate gradients are freed as soon as the walk is done, and the graph with them.
 */
public final class Autograd {
  private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private Autograd() {}

  /** True unless inside {@link #noGrad()} on this thread. */
  public static boolean isEnabled() {
    return NO_GRAD_DEPTH.get()[0] == 0;
  }

  /**
   * Disables recording on this thread until the returned handle closes: for evaluation and
   * sampling, where no backward will run.
   */
  public static NoGrad noGrad() {
    int[] depth = NO_GRAD_DEPTH.get();
    depth[0]++;
    return new NoGrad(depth);
  }

  /** Whether an op over {@code inputs} must record a node (recording on, some input requires grad). */
  public static boolean shouldRecord(Tensor... inputs) {
    if (!isEnabled()) {
      return false;
    }
    for (Tensor t : inputs) {
      if (t != null && t.requiresGrad()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The gradient buffer of {@code t} during backward, allocated (zero-filled) on first use; null
   * when {@code t} is null or needs no gradient, so backward kernels skip that output.
   */
  public static Tensor gradOf(Tensor t) {
    if (t == null || !t.requiresGrad()) {
      return null;
    }
    Tensor g = t.grad();
    if (g == null) {
      g = Tensor.unscoped(t.dtype(), t.device(), t.shape());
      TensorAccess.setGrad(t, g);
    }
    return g;
  }

  /** Runs backward from {@code loss}, which must hold one element and require a gradient. */
  public static void backward(Tensor loss) {
    if (loss.isClosed()) {
      throw new IllegalStateException("backward from a closed tensor " + loss.describe());
    }
    if (loss.numel() != 1) {
      throw new IllegalArgumentException("backward needs a one-element loss, got " + loss.describe());
    }
    if (!loss.requiresGrad()) {
      throw new IllegalStateException("backward from a tensor that does not require a gradient "
          + "(no input required one, or it was computed under noGrad)");
    }
    List<Tensor> order = topologicalOrder(loss);
    // d loss / d loss = 1, added like every other contribution: a leaf loss keeps accumulating
    // (a non-leaf loss's gradient is fresh, so this is the same as setting it to 1)
    Tensor seed = gradOf(loss);
    InPlace.affine(seed, 1f, 1f);
    try {
      for (int i = order.size() - 1; i >= 0; i--) {
        Tensor t = order.get(i);
        Tensor g = t.grad();
        if (t.gradFn() != null && g != null) {
          t.gradFn().run(g);
        }
      }
    } finally {
      // intermediate gradients and the graph are spent: free them now, keep the leaves'
      // (the nodes stay on their tensors, released, so a second walk fails loudly)
      for (Tensor t : order) {
        if (t.gradFn() != null) {
          t.zeroGrad();
          t.gradFn().release();
        }
      }
    }
  }

  /** Tensors reachable from {@code root} through grad nodes, inputs before their users. */
  private static List<Tensor> topologicalOrder(Tensor root) {
    List<Tensor> order = new ArrayList<>();
    Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    // iterative DFS: deep graphs (many layers) must not overflow the Java stack
    ArrayDeque<Object[]> stack = new ArrayDeque<>();
    seen.add(root);
    stack.push(new Object[] {root, 0});
    while (!stack.isEmpty()) {
      Object[] frame = stack.peek();
      Tensor t = (Tensor) frame[0];
      int next = (Integer) frame[1];
      Node node = t.gradFn();
      Tensor[] inputs = node == null ? new Tensor[0] : node.inputs();
      if (next < inputs.length) {
        frame[1] = next + 1;
        Tensor in = inputs[next];
        if (in != null && in.requiresGrad() && seen.add(in)) {
          if (in.isClosed()) {
            throw new IllegalStateException("backward needs " + in.describe() + ", an input of "
                + node.name() + ", but it was closed (did its scope end before backward?)");
          }
          stack.push(new Object[] {in, 0});
        }
      } else {
        stack.pop();
        order.add(t);
      }
    }
    return order;
  }

  /** Handle of a no-grad region; closing it restores recording. */
  public static final class NoGrad implements AutoCloseable {
    private final int[] depth;
    private boolean closed;

    NoGrad(int[] depth) {
      this.depth = depth;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        depth[0]--;
      }
    }
  }
}
