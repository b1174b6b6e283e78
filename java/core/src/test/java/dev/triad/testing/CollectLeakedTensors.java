package dev.triad.testing;

import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Before each test class (registered for all of them through META-INF/services): collects the
 * garbage of tensors that earlier classes dropped without closing and waits until the Cleaner has
 * freed it, so that the native memory counters that leak checks compare exactly do not fall in the
 * middle of a later test when a garbage collection happens to free an earlier test's leak.
 */
public final class CollectLeakedTensors implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) throws InterruptedException {
    long seen = -1;
    for (int quiet = 0, i = 0; quiet < 2 && i < 50; i++) { // ~2 quiet rounds: the Cleaner has caught up
      System.gc();
      Thread.sleep(5);
      long now = Tensor.collectedLeaks();
      quiet = now == seen ? quiet + 1 : 0;
      seen = now;
    }
  }
}
