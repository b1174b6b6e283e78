package dev.triad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Cleaner safety net (Storage): a tensor dropped without close is freed once the garbage
 * collector finds it unreachable, with one warning per process; a closed tensor is freed by its
 * close alone, never again by the Cleaner; a view keeps its storage alive.
 */
class LeakSafetyNetTest {
  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private Consumer<String> saved;

  @BeforeEach
  void captureWarnings() {
    drainEarlierLeaks();
    saved = Storage.leakWarning;
    Storage.leakWarning = warnings::add;
    Storage.rearmLeakWarning();
  }

  @AfterEach
  void restore() {
    Storage.leakWarning = saved;
  }

  /** Garbage from earlier tests (tensors they leaked) is collected before a test counts anything. */
  private static void drainEarlierLeaks() {
    long seen = -1;
    for (int quiet = 0, i = 0; quiet < 3 && i < 100; i++) {
      System.gc();
      sleep(20);
      long now = Tensor.collectedLeaks();
      quiet = now == seen ? quiet + 1 : 0;
      seen = now;
    }
  }

  /** Collects until {@code done}, for at most 10 s; true if it happened. */
  private static boolean collectUntil(BooleanSupplier done) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      System.gc();
      sleep(10);
    }
    return true;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Creates tensors and drops them without close (outside any Scope); returns their bytes. */
  private static long leak(Device device, int n) {
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      Tensor t = Tensor.zeros(DType.F32, device, 37, 3);
      Tensor view = t.reshape(3, 37); // a view shares the buffer: freed once, when both are gone
      bytes += view.numel() * 4;
      Tensor b = Tensor.zeros(DType.BF16, device, 5);
      bytes += b.numel() * 2;
    }
    return bytes;
  }

  @Test
  void droppedTensorsAreFreedWithOneWarning() {
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers(), leaked = Tensor.collectedLeaks();
    long failed = Storage.failedFrees();
    long held = leak(Device.CPU, 20);
    assertEquals(bytes + held, Device.CPU.liveBytes(), "the dropped tensors still hold their memory");
    assertEquals(buffers + 40, Device.CPU.liveBuffers());

    assertTrue(collectUntil(() -> Device.CPU.liveBuffers() == buffers && Device.CPU.liveBytes() == bytes),
        "not freed within 10 s: " + (Device.CPU.liveBytes() - bytes) + " bytes in "
            + (Device.CPU.liveBuffers() - buffers) + " buffers still live");
    assertEquals(leaked + 40, Tensor.collectedLeaks(), "each leaked buffer counted once");
    assertEquals(failed, Storage.failedFrees(), "every Cleaner free succeeded");
    if (Storage.tracing()) { // -Dtriad.leakTrace=true: every leak, with where it was created
      assertEquals(40, warnings.size(), "one warning per leak: " + warnings);
      assertTrue(warnings.get(0).contains("It was created at\n\tat dev.triad.tensor.Tensor.zeros("), warnings.get(0));
      assertTrue(warnings.get(0).contains(LeakSafetyNetTest.class.getName() + ".leak("), warnings.get(0));
    } else {
      assertEquals(1, warnings.size(), "one warning for 40 leaks: " + warnings);
      assertTrue(warnings.get(0).contains("-Dtriad.leakTrace=true"), warnings.get(0));
    }
    String w = warnings.get(0);
    assertTrue(w.startsWith("a tensor ") && w.contains(" was never closed"), w);
    assertTrue(w.contains("f32[37, 3] on cpu (444 bytes)") || w.contains("bf16[5] on cpu (10 bytes)"),
        "the warning names the tensor: " + w);
  }

  @Test
  void closedTensorsAreFreedOnceByTheirClose() {
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers(), leaked = Tensor.collectedLeaks();
    long failed = Storage.failedFrees();
    for (int i = 0; i < 200; i++) {
      Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      Tensor view = t.reshape(3, 2);
      if (i % 2 == 0) { // either order: the last close frees
        t.close();
        view.close();
      } else {
        view.close();
        t.close();
      }
      t.close(); // idempotent
      try (Scope s = Scope.open()) {
        Ops.add(Tensor.scalar(1f), Tensor.scalar(2f)); // closed by the scope
      }
    }
    assertEquals(bytes, Device.CPU.liveBytes());
    assertEquals(buffers, Device.CPU.liveBuffers());
    // give the Cleaner every chance to free them a second time: it must not (unregistered at close)
    for (int i = 0; i < 5; i++) {
      System.gc();
      sleep(20);
    }
    assertEquals(leaked, Tensor.collectedLeaks(), "no closed tensor counted as leaked");
    assertEquals(failed, Storage.failedFrees(), "no second free of a closed buffer");
    assertEquals(List.of(), warnings);
    assertEquals(bytes, Device.CPU.liveBytes());
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  @Test
  void aLiveViewKeepsTheBufferOfADroppedTensor() {
    long bytes = Device.CPU.liveBytes(), leaked = Tensor.collectedLeaks();
    List<Tensor> views = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Tensor t = Tensor.of(new float[] {i, 1, 2, 3}, 4);
      views.add(t.reshape(2, 2)); // t itself is dropped without close
    }
    for (int i = 0; i < 5; i++) {
      System.gc();
      sleep(20);
    }
    assertEquals(leaked, Tensor.collectedLeaks(), "reachable through its view: not freed");
    for (int i = 0; i < views.size(); i++) {
      assertArrayEquals(new float[] {i, 1, 2, 3}, views.get(i).toFloatArray());
      views.get(i).close(); // the dropped owner never closes: the buffer is still leaked
    }
    views.clear();
    assertTrue(collectUntil(() -> Device.CPU.liveBytes() == bytes), "the buffers were never freed");
    assertEquals(leaked + 10, Tensor.collectedLeaks());
    assertEquals(Storage.tracing() ? 10 : 1, warnings.size(), warnings.toString());
  }

  /** On the GPU the Cleaner's thread frees device buffers too (the caching allocator is thread-safe). */
  @Test
  void droppedCudaTensorsAreFreed() {
    assumeTrue(Device.CUDA.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
    long bytes = Device.CUDA.liveBytes(), buffers = Device.CUDA.liveBuffers(), failed = Storage.failedFrees();
    long held = leak(Device.CUDA, 20);
    assertEquals(bytes + held, Device.CUDA.liveBytes());
    assertTrue(collectUntil(() -> Device.CUDA.liveBuffers() == buffers && Device.CUDA.liveBytes() == bytes),
        "CUDA buffers not freed within 10 s");
    assertEquals(failed, Storage.failedFrees());
    // the allocator still works on this thread after frees on the Cleaner's
    try (Tensor t = Tensor.of(new float[] {1, 2, 3}, Device.CUDA, 3)) {
      assertArrayEquals(new float[] {1, 2, 3}, t.toFloatArray());
    }
  }
}
