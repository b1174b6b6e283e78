package dev.triad.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Owns every tensor created on this thread while it is the innermost open scope, and closes them
 * when it closes: the natural home for the step-local tensors of a training step.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *   Tensor loss = model.loss(batch);   // activations, saved tensors: all owned by step
 *   loss.backward();
 *   result = step.keep(Ops.detach(loss)); // escapes: the caller now owns it
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
  private static final ThreadLocal<ArrayDeque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

  private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Thread thread = Thread.currentThread();
  private boolean closed;

  private Scope() {}

  /** Opens a scope nested inside the current one (if any) on this thread. */
  public static Scope open() {
    Scope scope = new Scope();
    OPEN.get().push(scope);
    return scope;
  }

  /** Called by every tensor constructor: the innermost open scope takes ownership. */
  static void adopt(Tensor tensor) {
    Scope top = OPEN.get().peek();
    if (top != null) {
      top.owned.add(tensor);
    }
  }

  /**
   * Releases {@code tensor} from this scope so it survives the scope's end. The caller owns it
   * (and closes it, or hands it to an enclosing scope with {@link #adoptInto}).
   */
  public <T extends Tensor> T keep(T tensor) {
    if (closed) {
      throw new IllegalStateException("scope is closed");
    }
    if (!owned.remove(tensor)) {
      throw new IllegalArgumentException("tensor " + tensor.describe() + " is not owned by this scope");
    }
    return tensor;
  }

  /** Moves {@code tensor} from this scope into {@code outer}, which will close it instead. */
  public <T extends Tensor> T adoptInto(Scope outer, T tensor) {
    if (outer.closed) {
      throw new IllegalStateException("cannot adopt " + tensor.describe() + " into a closed scope");
    }
    keep(tensor);
    outer.owned.add(tensor);
    return tensor;
  }

  /** Number of tensors this scope currently owns. */
  public int size() {
    return owned.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("a scope must be closed on the thread that opened it");
    }
    ArrayDeque<Scope> stack = OPEN.get();
    if (stack.peek() != this) {
      throw new IllegalStateException("scopes must close innermost first");
    }
    stack.pop();
    closed = true;
    List<Tensor> toClose = new ArrayList<>(owned);
    owned.clear();
    for (Tensor t : toClose) {
      t.close();
    }
  }
}
