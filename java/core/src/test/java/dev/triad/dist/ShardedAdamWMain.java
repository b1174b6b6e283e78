package dev.triad.dist;

import dev.triad.internal.TensorAccess;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.List;
import java.util.Random;

/**
 * One rank of ShardedAdamWTest, started by mpirun. Every rank holds the same tiny GPT; rank r's
 * gradients are fresh random data (seed broadcast by rank 0, + r, so every rank can make every
 * rank's). The reference is one AdamW on the mean gradient, in this process; after three steps
 * (clipped: the bucket is small, so windows cut through tensors) the sharded parameters must match
 * it. Prints each rank's optimizer-state bytes and the live bytes its optimizer holds.
 */
public final class ShardedAdamWMain {
  private ShardedAdamWMain() {}

  public static void main(String[] args) {
    try (Communicator comm = Communicator.start(false)) {
      int rank = comm.rank(), size = comm.size();
      long seed;
      try (Tensor s = Tensor.ofInts(new int[] {new Random().nextInt()}, Device.CPU, 1)) {
        comm.broadcast(s, 0);
        seed = s.toIntArray()[0];
      }
      GptConfig cfg = GptConfig.preset("tiny", 64);
      try (Gpt sharded = new Gpt(cfg, Device.CPU, 7); Gpt reference = new Gpt(cfg, Device.CPU, 7)) {
        List<Tensor> ps = sharded.parameters(), rs = reference.parameters();
        long total = ps.stream().mapToLong(Tensor::numel).sum();
        long before = Device.CPU.liveBytes();
        ShardedAdamW opt = new ShardedAdamW(comm, ps, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 10_007);
        long held = Device.CPU.liveBytes() - before;
        try (opt; AdamW ref = new AdamW(rs, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f)) {
          for (int step = 0; step < 3; step++) {
            for (int i = 0; i < ps.size(); i++) {
              int n = (int) ps.get(i).numel();
              float[] mean = new float[n];
              for (int r = 0; r < size; r++) {
                float[] g = grad(1000L * (seed + step) + r, i, n);
                for (int k = 0; k < n; k++) {
                  mean[k] += g[k] / size;
                }
                if (r == rank) {
                  TensorAccess.setGrad(ps.get(i), Tensor.of(g, Device.CPU, ps.get(i).shape()));
                }
              }
              TensorAccess.setGrad(rs.get(i), Tensor.of(mean, Device.CPU, rs.get(i).shape()));
            }
            try (Tensor normSq = opt.step(1.0); Tensor refNormSq = GradClip.squaredNorm(rs)) {
              ref.step(refNormSq, 1.0);
              check(Math.abs(normSq.item() - refNormSq.item()) <= 1e-5 * refNormSq.item(),
                  "norm^2 " + normSq.item() + " vs " + refNormSq.item());
            }
            opt.zeroGrad();
            ref.zeroGrad();
            for (int i = 0; i < ps.size(); i++) {
              float[] a = ps.get(i).toFloatArray(), b = rs.get(i).toFloatArray();
              for (int k = 0; k < a.length; k++) {
                check(Math.abs(a[k] - b[k]) <= 1e-6 + 1e-5 * Math.abs(b[k]),
                    "step " + (step + 1) + " parameter " + i + " element " + k + ": " + a[k] + " vs " + b[k]);
              }
            }
          }
          // the whole state gathered on rank 0 equals the reference optimizer's
          try (AdamW whole = opt.gatherTo(0)) {
            if (rank == 0) {
              for (int i = 0; i < ps.size(); i++) {
                float[] m = whole.firstMoment(i).toFloatArray(), mr = ref.firstMoment(i).toFloatArray();
                float[] v = whole.secondMoment(i).toFloatArray(), vr = ref.secondMoment(i).toFloatArray();
                for (int k = 0; k < m.length; k++) {
                  check(Math.abs(m[k] - mr[k]) <= 1e-6 + 1e-5 * Math.abs(mr[k]), "gathered m of " + i);
                  check(Math.abs(v[k] - vr[k]) <= 1e-9 + 1e-5 * Math.abs(vr[k]), "gathered v of " + i);
                }
              }
              check(whole.stepCount() == 3, "gathered step count " + whole.stepCount());
            } else {
              check(whole == null, "gatherTo(0) returned a state on rank " + rank);
            }
          }
          // averageGradients: the mean of every rank's gradient, the same bits on every rank
          for (int i = 0; i < rs.size(); i++) {
            float[] g = grad(1000L * (seed + 7) + rank, i, (int) rs.get(i).numel());
            TensorAccess.setGrad(rs.get(i), Tensor.of(g, Device.CPU, rs.get(i).shape()));
          }
          comm.averageGradients(rs);
          int hash = 0;
          for (int i = 0; i < rs.size(); i++) {
            int n = (int) rs.get(i).numel();
            float[] got = rs.get(i).grad().toFloatArray();
            float[] mean = new float[n];
            for (int r = 0; r < size; r++) {
              float[] g = grad(1000L * (seed + 7) + r, i, n);
              for (int k = 0; k < n; k++) {
                mean[k] += g[k] / size;
              }
            }
            for (int k = 0; k < n; k++) {
              check(Math.abs(got[k] - mean[k]) <= 1e-6 * (1 + Math.abs(mean[k])), "averaged gradient " + i + "[" + k + "]");
              hash = 31 * hash + Float.floatToIntBits(got[k]);
            }
          }
          try (Tensor mine = Tensor.ofInts(new int[] {hash}, Device.CPU, 1);
              Tensor all = Tensor.zeros(dev.triad.tensor.DType.I32, Device.CPU, size)) {
            comm.allGather(all, mine);
            for (int h : all.toIntArray()) {
              check(h == hash, "averaged gradients differ between ranks");
            }
          }
          System.out.println("rank " + rank + " of " + size + ": ok; state " + opt.stateBytes() + " bytes, held "
              + held + " bytes, parameters " + total + ", segment " + opt.segmentElements());
        }
      }
    }
  }

  /**
   * Rank r's gradient of tensor i: a part every rank shares, of magnitude 0.5 to 1.5, plus the
   * rank's own noise. A mean near zero would make Adam's first step g / (|g| + eps) hang on the
   * last bit of the sum, which the ranks and the reference add in different orders.
   */
  private static float[] grad(long seed, int tensor, int n) {
    Random common = new Random(Math.floorDiv(seed, 1000) * 31 + tensor); // seed = base + 1000 * step + rank
    Random own = new Random(seed * 31 + tensor);
    float[] g = new float[n];
    for (int k = 0; k < n; k++) {
      double shared = (common.nextBoolean() ? 1 : -1) * (0.5 + common.nextDouble());
      g[k] = (float) (shared + 0.1 * own.nextGaussian());
    }
    return g;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }
}
