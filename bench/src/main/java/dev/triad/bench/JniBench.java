package dev.triad.bench;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fixed cost of crossing into libtriad, in ns per call:
 * <ul>
 *   <li>{@code noop}: TriadNative.triad_noop(x), one bare JNI round trip (target {@literal <} 1 us);
 *   <li>{@code nativeAdd1}: triad_binary_forward(ADD) on 1-element buffers into a preallocated
 *       output (JNI + the C API's argument checks and dispatch);
 *   <li>{@code opsAdd1}: Ops.add on 1-element tensors, closing the result (Java checks, allocation
 *       and free of the output buffer);
 *   <li>{@code opsAdd1Scoped}: the same inside a Scope, as training-step code would write it;
 *   <li>{@code createClose1}: Tensor.zeros(1) then close (allocation, the leak safety net's
 *       registration and its clean, free), no op.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JniBench {
  private int x = 41;
  private Tensor a;
  private Tensor b;
  private Tensor out;
  private TriadNative.Buffer aBuf;
  private TriadNative.Buffer bBuf;
  private TriadNative.Buffer outBuf;

  @Setup(Level.Trial)
  public void setup() {
    TriadNative.load();
    a = Tensor.of(new float[] {1f}, 1);
    b = Tensor.of(new float[] {2f}, 1);
    out = Tensor.zeros(1);
    aBuf = TensorAccess.buf(a);
    bBuf = TensorAccess.buf(b);
    outBuf = TensorAccess.buf(out);
    if (TriadNative.triad_noop(x) != x + 1) {
      throw new IllegalStateException("triad_noop(x) != x + 1");
    }
    Status.check(TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_ADD, outBuf, aBuf, bBuf, 1, 1));
    if (out.item() != 3f) {
      throw new IllegalStateException("1 + 2 != " + out.item());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    a.close();
    b.close();
    out.close();
  }

  @Benchmark
  public int noop() {
    return TriadNative.triad_noop(x);
  }

  @Benchmark
  public int nativeAdd1() {
    return TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_ADD, outBuf, aBuf, bBuf, 1, 1);
  }

  @Benchmark
  public long opsAdd1() {
    try (Tensor sum = Ops.add(a, b)) {
      return sum.numel();
    }
  }

  @Benchmark
  public long createClose1() {
    try (Tensor t = Tensor.zeros(1)) {
      return t.numel();
    }
  }

  @Benchmark
  public long opsAdd1Scoped() {
    try (dev.triad.tensor.Scope step = dev.triad.tensor.Scope.open()) {
      return Ops.add(a, b).numel();
    }
  }
}
