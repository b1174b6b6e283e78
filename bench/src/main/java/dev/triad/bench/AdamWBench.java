package dev.triad.bench;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.optim.AdamW;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
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
 * One fused AdamW step over GPT-2 small's 124,439,808 f32 parameters (tied embeddings), two ways:
 * <ul>
 *   <li>{@code fusedSingleTensor}: one TriadNative.triad_adamw_step over a single 124M-element
 *       tensor (the kernel's memory bandwidth);
 *   <li>{@code optimizerGpt2Params}: dev.triad.optim.AdamW.step() over GPT-2 small's 148 parameter
 *       tensors (the same bytes, plus one JNI call and bookkeeping per tensor).
 * </ul>
 * Score: ms per step. Bytes moved per step: param r+w, grad r, m r+w, v r+w = 7 x 4 = 28 bytes per
 * parameter, so GB/s = 28 * 124,439,808 / time (BenchMain prints it). Needs ~2 GB of memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AdamWBench {
  /** GPT-2 small: vocab, context, width, layers. */
  static final long V = 50257, P = 1024, C = 768, L = 12;

  /** Parameter shapes of GPT-2 small, lm_head tied to wte. */
  static List<long[]> gpt2SmallShapes() {
    List<long[]> s = new ArrayList<>();
    s.add(new long[] {V, C}); // wte
    s.add(new long[] {P, C}); // wpe
    for (int l = 0; l < L; l++) {
      s.add(new long[] {C}); // ln_1 weight
      s.add(new long[] {C}); // ln_1 bias
      s.add(new long[] {3 * C, C}); // attn c_attn weight
      s.add(new long[] {3 * C}); // attn c_attn bias
      s.add(new long[] {C, C}); // attn c_proj weight
      s.add(new long[] {C}); // attn c_proj bias
      s.add(new long[] {C}); // ln_2 weight
      s.add(new long[] {C}); // ln_2 bias
      s.add(new long[] {4 * C, C}); // mlp c_fc weight
      s.add(new long[] {4 * C}); // mlp c_fc bias
      s.add(new long[] {C, 4 * C}); // mlp c_proj weight
      s.add(new long[] {C}); // mlp c_proj bias
    }
    s.add(new long[] {C}); // ln_f weight
    s.add(new long[] {C}); // ln_f bias
    return s;
  }

  static long numel(List<long[]> shapes) {
    long n = 0;
    for (long[] s : shapes) {
      long k = 1;
      for (long d : s) {
        k *= d;
      }
      n += k;
    }
    return n;
  }

  /** 124,439,808. */
  public static final long GPT2_SMALL_PARAMS = numel(gpt2SmallShapes());

  /** param r+w, grad r, m r+w, v r+w, 4 bytes each. */
  public static final long BYTES_PER_PARAM = 28;

  /** Runs only one of the two setups, so each benchmark holds ~2 GB, not ~4 GB. */
  @State(Scope.Benchmark)
  public static class Single {
    Tensor param;
    Tensor grad;
    Tensor m;
    Tensor v;
    TriadNative.Buffer p;
    TriadNative.Buffer g;
    TriadNative.Buffer mb;
    TriadNative.Buffer vb;
    TriadNative.AdamWParams hp;
    long step;

    @Setup(Level.Trial)
    public void setup() {
      TriadNative.load();
      long n = GPT2_SMALL_PARAMS;
      param = Tensor.randn(1, 0, 0f, 0.02f, Device.CPU, n);
      grad = Tensor.randn(2, 0, 0f, 1e-3f, Device.CPU, n);
      m = Tensor.zeros(n);
      v = Tensor.zeros(n);
      p = TensorAccess.buf(param);
      g = TensorAccess.buf(grad);
      mb = TensorAccess.buf(m);
      vb = TensorAccess.buf(v);
      hp = new TriadNative.AdamWParams().lr(1e-4f).beta1(0.9f).beta2(0.95f).eps(1e-8f)
          .weight_decay(0.1f).grad_scale(1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      param.close();
      grad.close();
      m.close();
      v.close();
      hp.close();
    }
  }

  @State(Scope.Benchmark)
  public static class Gpt2 {
    List<Tensor> params;
    AdamW opt;

    @Setup(Level.Trial)
    public void setup() {
      TriadNative.load();
      params = new ArrayList<>();
      long offset = 0;
      for (long[] shape : gpt2SmallShapes()) {
        Tensor p = Tensor.randn(1, offset, 0f, 0.02f, Device.CPU, shape).requiresGrad(true);
        TensorAccess.setGrad(p, Tensor.randn(2, offset, 0f, 1e-3f, Device.CPU, shape));
        offset += p.numel();
        params.add(p);
      }
      opt = new AdamW(params, 1e-4f, 0.1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      opt.close();
      params.forEach(Tensor::close); // closes the gradients too
    }
  }

  @Benchmark
  public void fusedSingleTensor(Single s) {
    s.hp.step(++s.step);
    Status.check(TriadNative.triad_adamw_step(s.p, s.g, s.mb, s.vb, GPT2_SMALL_PARAMS, s.hp));
  }

  @Benchmark
  public void optimizerGpt2Params(Gpt2 s) {
    s.opt.step();
  }
}
