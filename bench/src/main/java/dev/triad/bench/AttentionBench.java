package dev.triad.bench;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fused causal self-attention, f32 on the CPU, at GPT-2 small's shape by default: B=4, H=12,
 * T=1024, D=64, so qkv is [4, 1024, 2304] and out [4, 1024, 768].
 * <ul>
 *   <li>{@code opsForwardBackward}: one training-style forward + backward through the Java layer:
 *       Ops.attention, a sum to a scalar loss, loss.backward() (allocates and zero-fills
 *       qkv's gradient, frees everything again);
 *   <li>{@code nativeForwardBackward}: the same kernels straight through TriadNative into
 *       preallocated buffers, zeroing dqkv first as a training step would (backward adds);
 *   <li>{@code nativeForward}: the forward kernel alone.
 * </ul>
 * Score: ms per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AttentionBench {
  @Param({"4"})
  public int B;

  @Param({"12"})
  public int H;

  @Param({"1024"})
  public int T;

  @Param({"64"})
  public int D;

  // Ops path
  private Tensor qkv;
  // native path
  private Tensor out;
  private Tensor lse;
  private Tensor dout;
  private Tensor dqkv;
  private TriadNative.Buffer qkvBuf;
  private TriadNative.Buffer outBuf;
  private TriadNative.Buffer lseBuf;
  private TriadNative.Buffer doutBuf;
  private TriadNative.Buffer dqkvBuf;

  @Setup(Level.Trial)
  public void setup() {
    TriadNative.load();
    long c = (long) H * D;
    qkv = Tensor.randn(1, 0, 0f, 1f, Device.CPU, B, T, 3 * c).requiresGrad(true);
    out = Tensor.zeros(B, T, c);
    lse = Tensor.zeros(DType.F32, Device.CPU, B, H, T);
    dout = Tensor.randn(2, 0, 0f, 1f, Device.CPU, B, T, c);
    dqkv = Tensor.zeros(B, T, 3 * c);
    qkvBuf = TensorAccess.buf(qkv);
    outBuf = TensorAccess.buf(out);
    lseBuf = TensorAccess.buf(lse);
    doutBuf = TensorAccess.buf(dout);
    dqkvBuf = TensorAccess.buf(dqkv);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    qkv.close(); // and its gradient, if any
    out.close();
    lse.close();
    dout.close();
    dqkv.close();
  }

  @Benchmark
  public void opsForwardBackward() {
    try (dev.triad.tensor.Scope step = dev.triad.tensor.Scope.open()) {
      Tensor y = Ops.attention(qkv, H, null);
      Ops.sum(y).backward();
    }
    qkv.zeroGrad();
  }

  @Benchmark
  public void nativeForwardBackward() {
    Status.check(TriadNative.triad_attention_forward(outBuf, lseBuf, qkvBuf, null, B, T, H, D));
    Status.check(TriadNative.triad_fill(dqkvBuf, 0f));
    Status.check(TriadNative.triad_attention_backward(dqkvBuf, doutBuf, qkvBuf, outBuf, lseBuf, null,
        B, T, H, D));
  }

  @Benchmark
  public void nativeForward() {
    Status.check(TriadNative.triad_attention_forward(outBuf, lseBuf, qkvBuf, null, B, T, H, D));
  }
}
