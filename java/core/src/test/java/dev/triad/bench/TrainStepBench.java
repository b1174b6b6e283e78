package dev.triad.bench;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * One GPT training step timed on CUDA: forward + loss + backward + gradient clipping + AdamW, the
 * loop of {@code train.Trainer} without data loading. Prints
 * {@code RESULT train_step_<dtype>_B<b>_T<t> <tokens/s> tok/s <ms>} and a {@code CHECK} line
 * (PASS when every loss is finite and the first is within 1 of ln(vocab), the loss of a freshly
 * initialised model on random tokens). bench/gpu/torch_gpt2_step.py times PyTorch on the same
 * shapes.
 *
 * <p>The parameter dtype is an argument: {@code bf16} is the mixed-precision policy that
 * {@code triad pretrain --device cuda} trains with (bf16 parameters and activations, f32 masters
 * and moments in AdamW), {@code f32} the full-precision model.
 */
public final class TrainStepBench {
  private TrainStepBench() {}

  /** GPT-2's vocabulary; the CUDA model pads it to 50304 rows. */
  static final int GPT2_VOCAB = 50257;

  /** The model under test with {@code dtype} parameters. */
  static Gpt model(GptConfig cfg, DType dtype, long seed) {
    return new Gpt(cfg, Device.CUDA, Precision.of(dtype), seed);
  }

  /**
   * Times {@code steps} steps after {@code warmup} (median), batch x t tokens each; prints the
   * RESULT and CHECK lines. Returns PASS, FAIL (the loss check) or UNSUPPORTED (the dtype).
   */
  public static String run(String preset, DType dtype, int batch, int t, int warmup, int steps) {
    String key = String.format(Locale.ROOT, "train_step_%s_B%d_T%d", dtype.name().toLowerCase(Locale.ROOT), batch, t);
    GptConfig cfg = GptConfig.preset(preset, GPT2_VOCAB).withBlockSize(t);
    Gpt gpt;
    try {
      gpt = model(cfg, dtype, 1234);
    } catch (UnsupportedOperationException e) {
      System.out.println("UNSUPPORTED " + key + " " + e.getMessage());
      return "UNSUPPORTED";
    }
    Random rng = new Random(99);
    int[] tok = rng.ints((long) batch * t, 0, GPT2_VOCAB).toArray();
    int[] tgt = rng.ints((long) batch * t, 0, GPT2_VOCAB).toArray();
    float[] losses = new float[warmup + steps];
    double[] ms = new double[steps];
    try (Gpt model = gpt;
        Tensor tokens = Tensor.ofInts(tok, Device.CUDA, batch, t);
        Tensor targets = Tensor.ofInts(tgt, Device.CUDA, batch, t);
        AdamW opt = new AdamW(model.parameters(), 3e-4f, 0.1f)) {
      for (int s = 0; s < warmup + steps; s++) {
        long t0 = System.nanoTime();
        try (Scope scope = Scope.open()) {
          // the steps of Trainer.run: loss, backward, the norm on the device, clipped AdamW
          Tensor loss = model.loss(tokens, targets, tgt.length);
          loss.backward();
          try (Tensor normSq = GradClip.squaredNorm(model.parameters())) {
            opt.step(normSq, 1.0);
          }
          opt.zeroGrad();
          // the one device-to-host read a logging step makes; it also ends the step's device work
          losses[s] = loss.item();
        }
        Status.check(TriadNative.triad_cuda_synchronize());
        if (s >= warmup) {
          ms[s - warmup] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    double median = sorted[steps / 2];
    System.out.println(String.format(Locale.ROOT, "RESULT %s %.2f tok/s %.4f", key,
        (double) batch * t / (median * 1e-3), median));
    double expect = Math.log(GPT2_VOCAB);
    boolean ok = Math.abs(losses[0] - expect) < 1.0;
    for (float l : losses) {
      ok &= Float.isFinite(l);
    }
    System.out.println(String.format(Locale.ROOT, "CHECK %s %s %.4f first loss, ln(V) = %.4f; losses %s", key,
        ok ? "PASS" : "FAIL", losses[0], expect, Arrays.toString(losses)));
    return ok ? "PASS" : "FAIL";
  }

  /** {@code TrainStepBench [preset] [f32|bf16] [batch] [T] [steps]}: defaults gpt2 bf16 16 1024 10. */
  public static void main(String[] args) {
    if (!Device.CUDA.isAvailable()) {
      System.out.println("CUDA is not available: " + Device.CUDA.unavailabilityCause());
      System.exit(2);
    }
    String preset = args.length > 0 ? args[0] : "gpt2";
    DType dt = DType.valueOf((args.length > 1 ? args[1] : "bf16").toUpperCase(Locale.ROOT));
    int b = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int t = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
    int steps = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    System.exit(run(preset, dt, b, t, 2, steps).equals("PASS") ? 0 : 1);
  }
}
