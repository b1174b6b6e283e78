package dev.triad.bench;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square f32 matmul C[n,n] = A[n,n] @ B[n,n] on the CPU, three ways in one run:
 * <ul>
 *   <li>{@code triadNative}: TriadNative.triad_matmul into a preallocated output (the C API cost);
 *   <li>{@code triadOps}: Ops.matmul inside a Scope, which validates, allocates a zero-filled
 *       output and frees it per call (the cost of the Java tensor layer);
 *   <li>{@code openblas}: cblas_sgemm called directly on FloatPointers (the baseline; the same
 *       libopenblas libtriad links against, with the same thread count).
 * </ul>
 * Score: ms per product. GFLOP/s = 2 n^3 / time (BenchMain prints it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MatmulBench {
  @Param({"1024", "2048", "4096"})
  public int n;

  private Tensor a;
  private Tensor b;
  private Tensor c;
  private TriadNative.Buffer aBuf;
  private TriadNative.Buffer bBuf;
  private TriadNative.Buffer cBuf;
  private FloatPointer pa;
  private FloatPointer pb;
  private FloatPointer pc;

  @Setup(Level.Trial)
  public void setup() {
    TriadNative.load();
    a = Tensor.rand(1, 0, -1f, 1f, Device.CPU, n, n);
    b = Tensor.rand(2, 0, -1f, 1f, Device.CPU, n, n);
    c = Tensor.zeros(n, n);
    aBuf = TensorAccess.buf(a);
    bBuf = TensorAccess.buf(b);
    cBuf = TensorAccess.buf(c);
    // the same inputs for the direct OpenBLAS call
    pa = new FloatPointer((long) n * n).put(a.toFloatArray());
    pb = new FloatPointer((long) n * n).put(b.toFloatArray());
    pc = new FloatPointer((long) n * n).zero();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    a.close();
    b.close();
    c.close();
    pa.close();
    pb.close();
    pc.close();
  }

  @Benchmark
  public void triadNative() {
    Status.check(TriadNative.triad_matmul(cBuf, aBuf, bBuf, null, 1, n, n, n, 0, 0, 0));
  }

  @Benchmark
  public void triadOps() {
    try (dev.triad.tensor.Scope step = dev.triad.tensor.Scope.open()) {
      Ops.matmul(a, b, false, false);
    }
  }

  @Benchmark
  public void openblas() {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n);
  }
}
