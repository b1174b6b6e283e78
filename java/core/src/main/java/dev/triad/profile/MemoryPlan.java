package dev.triad.profile;

import dev.triad.InvalidOptionException;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bytes of native buffers one training step of a phase holds at its peak, derived from what
 * the ops allocate and what the autograd graph keeps alive (pure arithmetic: nothing is allocated).
 *
 * <p>What a step holds at its peak, the end of backward (N = rows x T tokens, C = nEmbd, d = the
 * precision's bytes per element, Vp = the padded vocabulary):
 * <ul>
 *   <li>parameters (P d), their gradients (P d, allocated by the first backward and kept until
 *       zeroGrad), AdamW's f32 moments m and v (2 P 4) and, for bf16, f32 master weights (P 4);
 *   <li>activations saved for backward, per layer: ln_1 out, qkv (3), attention out, c_proj out,
 *       residual, ln_2 out, the MLP's gelu(pre) and pre (4 + 4), its out, residual: 18 N C d; the
 *       two layernorms' mean and rstd (f32, 16 N) and attention's lse (f32, 4 N H); plus the
 *       embedding and ln_f outputs;
 *   <li>the gradients of every intermediate tensor (Autograd frees them only when the walk ends):
 *       10 N C d per layer (all of the above but the MLP's hidden pair);
 *   <li>the classifier: logits and their gradient (2 N Vp d) and cross-entropy's loss, logprob and
 *       lse (f32) with the loss's gradients; the reward model's scalar head instead;
 *   <li>the int32 inputs (tokens, targets, positions, document ids).
 * </ul>
 * The largest transient is the MLP backward's dpre (4 N C d); when it runs (layer 0) seven N C d
 * of activation gradients are not yet allocated, so it does not raise the peak. RL phases add the
 * frozen reference and reward models' parameters, PPO's value model with its gradients and moments,
 * and the rollouts' KV cache (2 L rows T C d). Not counted: the CPU's transient f32 staging copies
 * of bf16 operands inside native calls (api/bf16_staging), CUDA's cached allocator blocks and
 * library workspaces, and the JVM heap.
 */
public final class MemoryPlan {
  /** The training phases. */
  public enum Phase {
    PRETRAIN, SFT, REWARD, DPO, PPO, GRPO;

    public static Phase parse(String name) {
      if (name != null) {
        for (Phase p : values()) {
          if (p.name().equalsIgnoreCase(name.trim())) {
            return p;
          }
        }
      }
      throw new IllegalArgumentException("unknown phase '" + name + "' (expected pretrain, sft, reward, dpo, ppo or grpo)");
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What to plan for. {@code batch}: sequences per micro-batch (pretrain, sft), pairs (reward, dpo:
   * 2 x batch sequences), prompts (ppo; grpo: batch x group sequences). {@code seq}: tokens per
   * sequence (for ppo and grpo prompt + reply, the rollouts' KV-cache length). {@code group}: grpo's
   * replies per prompt (ignored elsewhere).
   */
  public record Spec(GptConfig config, boolean padVocab, int batch, int seq, Precision precision, Phase phase,
      Device device, int gradAccum, int group) {
    public Spec {
      if (config == null || precision == null || phase == null || device == null) {
        throw new IllegalArgumentException("plan: config, precision, phase and device are required");
      }
      check(batch >= 1, "batch", " must be >= 1, got " + batch);
      check(seq >= 1, "seqLen", " must be >= 1, got " + seq);
      check(seq <= config.blockSize(), "seqLen", " " + seq + " exceeds the model's context of " + config.blockSize());
      check(gradAccum >= 1, "gradAccum", " must be >= 1, got " + gradAccum);
      check(phase != Phase.GRPO || group >= 2, "group", " must be >= 2 for grpo, got " + group);
    }

    /** The same with another batch. */
    public Spec withBatch(int b) {
      return new Spec(config, padVocab, b, seq, precision, phase, device, gradAccum, group);
    }

    /** Sequences one forward pass of the trained model sees. */
    public long rows() {
      switch (phase) {
        case REWARD:
        case DPO:
          return 2L * batch;
        case GRPO:
          return (long) batch * group;
        default:
          return batch;
      }
    }
  }

  /** One line of the plan: what, its bytes, and how they arise. */
  public record Item(String name, long bytes, String detail) {}

  private final Spec spec;
  private final List<Item> items = new ArrayList<>();
  private final long transient_;
  private final long transientSlack;
  private final long peak;

  private MemoryPlan(Spec s) {
    this.spec = s;
    GptConfig c = s.config();
    long d = s.precision().dtype().bytes();
    long C = c.nEmbd(), L = c.nLayer(), H = c.nHead(), Vp = c.paddedVocab(s.padVocab());
    long P = c.parameterCount(s.padVocab());
    long rows = s.rows(), N = rows * s.seq();
    boolean bf16 = s.precision() == Precision.BF16;
    boolean scalarHead = s.phase() == Phase.REWARD;
    long trainedP = scalarHead ? P + C + 1 : P;  // the reward model adds its head: weight [1,C], bias [1]

    items.add(new Item("parameters", trainedP * d, fmt("%,d x %d B", trainedP, d)));
    items.add(new Item("gradients", trainedP * d, "one per parameter"));
    if (bf16) {
      items.add(new Item("master weights", trainedP * 4, "f32 copy of each bf16 parameter"));
    }
    items.add(new Item("optimizer state", 2 * trainedP * 4, "AdamW m, v in f32"));

    long perLayerSaved = 18 * N * C * d + 16 * N + 4 * N * H;
    long perLayerGrad = 10 * N * C * d;
    items.add(new Item("activations / layer", perLayerSaved,
        fmt("18 N C d + ln stats + attention lse, N = %,d rows x %d tokens (in the next line)", rows, s.seq())));
    items.add(new Item("activations", L * perLayerSaved + N * C * d + (N * C * d + 8 * N),
        fmt("%d layers + embedding + ln_f", L)));
    items.add(new Item("activation gradients", L * perLayerGrad + 2 * N * C * d,
        "10 N C d / layer + embedding + ln_f, held until backward ends"));
    long inputs;
    if (scalarHead) {
      // score [N,1] and its reshape's gradient (d), the f32 cast of values and its gradient (bf16)
      long head = 3 * N * d + (bf16 ? 2 * N * 4 : 0) + 64L * rows;
      items.add(new Item("reward head", head, "scores [N] and their gradients; per-pair gathers"));
      inputs = N * 4 + 16L * rows;
    } else {
      // logits and dlogits; cross-entropy loss, logprob, lse (f32), dloss and the view's gradient
      long classifier = 2 * N * Vp * d + 5 * N * 4 + 16;
      items.add(new Item("classifier", classifier, fmt("logits + dlogits [N,%d] and cross-entropy (f32)", Vp)));
      int ints = s.phase() == Phase.PRETRAIN ? 2 : 4;  // tokens, targets (+ positions, document ids / weights)
      inputs = ints * N * 4;
    }
    items.add(new Item("inputs", inputs, "int32 tokens, targets, ..."));

    long modelP = P * d;
    switch (s.phase()) {
      case PPO: {
        long kv = 2 * L * rows * s.seq() * C * d;
        items.add(new Item("KV cache (rollouts)", kv, fmt("2 x %d layers x %d rows x %d x C", L, rows, s.seq())));
        items.add(new Item("reference model", modelP, "frozen policy copy"));
        items.add(new Item("reward model", (P + C + 1) * d, "frozen"));
        long vP = P + C + 1;
        long value = vP * d * 2 + (bf16 ? vP * 4 : 0) + 2 * vP * 4
            + L * (perLayerSaved + perLayerGrad) + 4 * N * C * d + 6 * N * 4;
        items.add(new Item("value model", value, "critic: weights, grads, AdamW, activations"));
        break;
      }
      case GRPO: {
        long kv = 2 * L * rows * s.seq() * C * d;
        items.add(new Item("KV cache (rollouts)", kv, fmt("2 x %d layers x %d rows x %d x C", L, rows, s.seq())));
        items.add(new Item("reference model", modelP, "frozen policy copy (beta > 0)"));
        items.add(new Item("reward model", (P + C + 1) * d, "frozen"));
        break;
      }
      default:
        break;
    }
    long sum = 0;
    for (Item it : items) {
      if (!it.name().equals("activations / layer")) {
        sum += it.bytes();
      }
    }
    this.transient_ = 4 * N * C * d;
    this.transientSlack = 7 * N * C * d;
    items.add(new Item("largest transient", transient_,
        "MLP backward dpre [N,4C]; layer 0's, while 7 N C d of gradients are still unallocated"));
    this.peak = sum + Math.max(0, transient_ - transientSlack);
  }

  /** The plan for {@code spec}. */
  public static MemoryPlan of(Spec spec) {
    return new MemoryPlan(spec);
  }

  public Spec spec() {
    return spec;
  }

  public List<Item> items() {
    return List.copyOf(items);
  }

  /** Bytes of one item by name (0 when absent). */
  public long bytes(String name) {
    for (Item it : items) {
      if (it.name().equals(name)) {
        return it.bytes();
      }
    }
    return 0;
  }

  /** Peak live native bytes of a training step: what must fit. */
  public long peakBytes() {
    return peak;
  }

  /** The largest batch (same units as {@link Spec#batch}) whose plan fits in {@code available}; 0 if none. */
  public int largestBatch(long available) {
    if (of(spec.withBatch(1)).peakBytes() > available) {
      return 0;
    }
    // peak grows linearly in batch: double, then bisect
    long lo = 1, hi = 2;
    while (hi < (1 << 24) && of(spec.withBatch((int) hi)).peakBytes() <= available) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      long mid = (lo + hi) >>> 1;
      if (of(spec.withBatch((int) mid)).peakBytes() <= available) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (int) lo;
  }

  /** The plan as a table, with the verdict against {@code available} bytes (negative: unknown). */
  public String table(long available) {
    StringBuilder b = new StringBuilder();
    GptConfig c = spec.config();
    b.append(fmt("memory plan: %s, %s %s on %s, %d layers, %d heads, C=%d, vocab %d, batch %d, seq %d%s%n",
        c.name(), spec.phase(), spec.precision(), spec.device(), c.nLayer(), c.nHead(), c.nEmbd(), c.vocabSize(),
        spec.batch(), spec.seq(), spec.gradAccum() > 1 ? ", grad accum " + spec.gradAccum() : ""));
    String row = "  %-22s %12s %18s  %s%n";
    b.append(fmt(row, "part", "size", "bytes", "what"));
    for (Item it : items) {
      b.append(fmt(row, it.name(), human(it.bytes()), fmt("%,d", it.bytes()), it.detail()));
    }
    b.append(fmt(row, "peak", human(peak), fmt("%,d", peak), "what must fit"));
    if (available >= 0) {
      b.append(fmt(row, "available", human(available), fmt("%,d", available), "on " + spec.device()));
      int largest = largestBatch(available);
      b.append(fmt("  %s; the largest batch that fits: %s%n", peak <= available ? "fits" : "DOES NOT FIT",
          largest == 0 ? "none" : String.valueOf(largest)));
    } else {
      b.append("  available memory unknown on ").append(spec.device()).append(System.lineSeparator());
    }
    return b.toString();
  }

  /** Bytes in binary units: 1.50 GiB. */
  public static String human(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : fmt("%.2f %s", v, units[u]);
  }

  private static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }

  private static void check(boolean ok, String option, String detail) {
    if (!ok) {
      throw new InvalidOptionException(option, detail);
    }
  }
}
