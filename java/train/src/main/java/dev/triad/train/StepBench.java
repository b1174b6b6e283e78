package dev.triad.train;

import dev.triad.profile.BenchCase;

import dev.triad.data.SplitMix64;
import dev.triad.data.chat.Packing;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Module;
import dev.triad.nn.Precision;
import dev.triad.nn.RewardModel;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.profile.BenchCase.Prepared;
import dev.triad.profile.BenchCase.Unit;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.Trainer;
import dev.triad.train.rlhf.DpoTask;
import dev.triad.train.rlhf.PpoLosses;
import dev.triad.train.rlhf.ReferenceLogProbs;
import dev.triad.train.rlhf.RewardTask;
import dev.triad.train.rlhf.Triple;
import dev.triad.train.sft.SftTask;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Whole training steps of every phase on randomly initialised models and random token data, each
 * step exactly as {@link Trainer} runs one (micro-batch loss from the phase's own Task class,
 * backward, the on-device gradient norm, the fused AdamW step, one read of loss and norm, zero
 * grads): pretrain (Gpt.loss), SFT ({@link SftTask} on packed rows with document ids and
 * response-only targets), reward ({@link RewardTask}: Bradley-Terry over chosen/rejected pairs),
 * DPO ({@link DpoTask}: policy log-probs of both replies against cached reference log-probs), and
 * PPO as its two halves: the rollout ({@link Generator} with temperature 1 on the policy, no stop
 * token) and one update minibatch (policy loss, entropy and value loss with {@link PpoLosses}, two
 * AdamW steps), as Ppo's loop runs it.
 *
 * <p>Work: F = 6 N + 12 L C T FLOPs per trained token (Pretrain's MFU formula; N counts every
 * parameter of the models trained), so TFLOP/s as a share of the GEMM peak is the step's MFU.
 * The rollout counts 2 N per generated token plus 2 N per prompt token (prefill).
 */
public final class StepBench {
  private StepBench() {}

  /** One preset's batch shape. */
  public record Shape(String preset, int vocab, int batch, int seq) {}

  /** The presets and B x T that fit the device, in run order. */
  public static List<Shape> shapes(Device device, boolean quick) {
    if (device == Device.CUDA) {
      return quick ? List.of(new Shape("small", 257, 16, 256), new Shape("gpt2", 50257, 8, 1024))
          : List.of(new Shape("small", 257, 32, 256), new Shape("gpt2", 50257, 16, 1024));
    }
    return quick ? List.of(new Shape("small", 257, 4, 64))
        : List.of(new Shape("small", DEMO_VOCAB, 8, 128), new Shape("gpt2", 50257, 1, 64));
  }

  /** The demo's vocabulary: the words tokenizer (833 ids) and the chat template's special tokens. */
  static final int DEMO_VOCAB = 837;

  /** The phases benchmarked for a shape: all of them, except only pretraining for GPT-2 on the CPU. */
  public static List<BenchCase> cases(Device device, Precision precision, boolean quick) {
    List<BenchCase> out = new ArrayList<>();
    for (Shape s : shapes(device, quick)) {
      boolean all = device == Device.CUDA || s.preset().equals("small");
      out.add(pretrain(s, precision));
      if (all) {
        out.add(sft(s, precision));
        out.add(reward(s, precision));
        out.add(dpo(s, precision));
        out.add(ppoRollout(s, precision));
        if (device != Device.CUDA && !quick) { // the demo's rollouts and evaluations generate 32 replies at once
          out.add(ppoRollout(new Shape(s.preset(), s.vocab(), 32, s.seq()), precision));
        }
        out.add(ppoUpdate(s, precision));
      }
    }
    return out;
  }

  static GptConfig config(Shape s) {
    return GptConfig.preset(s.preset(), s.vocab());
  }

  /** Training FLOPs per token of {@code cfg} at sequence length T (6 N + 12 L C T). */
  public static double flopsPerToken(GptConfig cfg, long params, int T) {
    return 6.0 * params + 12.0 * cfg.nLayer() * cfg.nEmbd() * T;
  }

  private static String shapeOf(Shape s, String extra) {
    return s.preset() + " B=" + s.batch() + " T=" + s.seq() + extra;
  }

  private static int[] randomTokens(SplitMix64 r, int n, int vocab) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = (int) r.nextLong(vocab);
    }
    return t;
  }

  /** One Trainer step: loss, backward, norm on the device, AdamW, one read, zero grads. */
  static void trainStep(Module model, AdamW opt, Supplier<Tensor> loss) {
    try (Scope s = Scope.open()) {
      Tensor l = loss.get();
      l.backward();
      try (Tensor normSq = GradClip.squaredNorm(model.parameters())) { // unscoped: closed here
        opt.step(normSq, 1.0);
        float[] read = Tensor.items(Ops.detach(l), normSq);
        if (!Float.isFinite(read[0])) {
          throw new IllegalStateException("benchmark step: loss became " + read[0]);
        }
      }
    }
    opt.zeroGrad();
  }

  static AdamW adamw(Module m) {
    return new AdamW(m.parameters(), 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f);
  }

  static BenchCase pretrain(Shape s, Precision p) {
    GptConfig cfg = config(s);
    long n = cfg.parameterCount(false);
    long tokens = (long) s.batch() * s.seq();
    return new BenchCase("step pretrain", shapeOf(s, ""), p.toString(), Unit.FLOPS,
        flopsPerToken(cfg, n, s.seq()) * tokens, d -> {
          Gpt model = new Gpt(cfg, d, p, 1234);
          AdamW opt = adamw(model);
          SplitMix64 r = new SplitMix64(42);
          int[] in = randomTokens(r, (int) tokens, s.vocab());
          int[] tg = randomTokens(r, (int) tokens, s.vocab());
          return new Prepared(() -> trainStep(model, opt, () -> {
            Tensor x = Tensor.ofIds(in, s.vocab(), d, s.batch(), s.seq());
            Tensor y = Tensor.ofTargets(tg, s.vocab(), Gpt.IGNORE, d, s.batch(), s.seq());
            return model.loss(x, y, tokens);
          }), opt, model);
        });
  }

  /** Packed SFT rows: documents of T/4 tokens, the first half of each a prompt (no loss). */
  static List<Packing.Row> sftRows(Shape s, int count) {
    SplitMix64 r = new SplitMix64(7);
    List<Packing.Row> rows = new ArrayList<>();
    int T = s.seq(), doc = Math.max(2, T / 4);
    for (int i = 0; i < count; i++) {
      int[] tok = randomTokens(r, T, s.vocab());
      int[] tgt = new int[T], ids = new int[T], pos = new int[T];
      for (int t = 0; t < T; t++) {
        ids[t] = t / doc;
        pos[t] = t % doc;
        boolean response = pos[t] >= doc / 2 && t + 1 < T && ids[t + 1] == ids[t];
        tgt[t] = response ? tok[t + 1] : Packing.IGNORE;
      }
      rows.add(new Packing.Row(tok, tgt, ids, pos));
    }
    return rows;
  }

  static BenchCase sft(Shape s, Precision p) {
    GptConfig cfg = config(s);
    long tokens = (long) s.batch() * s.seq();
    return new BenchCase("step sft", shapeOf(s, " packed"), p.toString(), Unit.FLOPS,
        flopsPerToken(cfg, cfg.parameterCount(false), s.seq()) * tokens, d -> {
          Gpt model = new Gpt(cfg, d, p, 1234);
          AdamW opt = adamw(model);
          SftTask task = new SftTask(model, sftRows(s, 4 * s.batch()), List.of(), s.batch(), 1, null);
          return new Prepared(() -> trainStep(model, opt, () -> task.next().loss()), opt, model);
        });
  }

  /** Pairs of prompt + reply of T/2 tokens each side; with B pairs a micro-batch holds 2B rows of T/2. */
  static BenchCase reward(Shape s, Precision p) {
    GptConfig cfg = config(s);
    int half = s.seq() / 2;
    long tokens = (long) s.batch() * s.seq();
    return new BenchCase("step reward", shapeOf(s, " (B/1 pairs of T/2)"), p.toString(), Unit.FLOPS,
        flopsPerToken(cfg, cfg.parameterCount(false) + cfg.nEmbd() + 1, half) * tokens, d -> {
          RewardModel rm = new RewardModel(cfg, d, p, 1234);
          AdamW opt = adamw(rm);
          SplitMix64 r = new SplitMix64(9);
          List<RewardTask.Encoded> pairs = new ArrayList<>();
          for (int i = 0; i < 4 * s.batch(); i++) {
            pairs.add(new RewardTask.Encoded(randomTokens(r, half, s.vocab()), randomTokens(r, half, s.vocab())));
          }
          RewardTask task = new RewardTask(rm, pairs, List.of(), s.batch(), 0f, 1, 0);
          return new Prepared(() -> trainStep(rm, opt, () -> task.next().loss()), opt, rm);
        });
  }

  /** B/2 triples (prompt T/4, replies 3T/4): B rows of T per micro-batch, as pretraining. */
  static List<Triple> triples(Shape s, int count) {
    SplitMix64 r = new SplitMix64(11);
    int prompt = s.seq() / 4, reply = s.seq() - prompt;
    List<Triple> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new Triple(randomTokens(r, prompt, s.vocab()), randomTokens(r, reply, s.vocab()),
          randomTokens(r, reply, s.vocab())));
    }
    return out;
  }

  static BenchCase dpo(Shape s, Precision p) {
    GptConfig cfg = config(s);
    int pairs = Math.max(1, s.batch() / 2);
    long tokens = 2L * pairs * s.seq();
    return new BenchCase("step dpo", shapeOf(s, " (" + pairs + " pairs)"), p.toString(), Unit.FLOPS,
        flopsPerToken(cfg, cfg.parameterCount(false), s.seq()) * tokens, d -> {
          Gpt model = new Gpt(cfg, d, p, 1234);
          AdamW opt = adamw(model);
          List<Triple> train = triples(s, 2 * pairs);
          // the reference's log-probs are cached before training in Dpo too: not part of a step
          ReferenceLogProbs ref = ReferenceLogProbs.compute(model, train, pairs);
          DpoTask task = new DpoTask(model, train, ref, null, null, pairs, 0.1f, 1, null);
          return new Prepared(() -> trainStep(model, opt, () -> task.next().loss()), opt, model);
        });
  }

  static BenchCase ppoRollout(Shape s, Precision p) {
    GptConfig cfg = config(s);
    int prompt = s.seq() / 4, fresh = Math.min(s.seq() - prompt, 128);  // decode steps dominate: cap them
    long n = cfg.parameterCount(false);
    return new BenchCase("ppo rollout", shapeOf(s, " (prompt " + prompt + " + " + fresh + " new)"), p.toString(),
        Unit.FLOPS, 2.0 * n * s.batch() * (prompt + fresh), d -> {
          Gpt policy = new Gpt(cfg, d, p, 1234);
          SplitMix64 r = new SplitMix64(13);
          int[][] prompts = new int[s.batch()][];
          for (int b = 0; b < s.batch(); b++) {
            prompts[b] = randomTokens(r, prompt, s.vocab());
          }
          SamplingConfig sc = new SamplingConfig(fresh, 1f, 0, 1f, new int[0], 5);
          return new Prepared(() -> {
            try (var ng = dev.triad.autograd.Autograd.noGrad()) {
              Generator.generate(policy, prompts, sc);
            }
          }, policy);
        });
  }

  static BenchCase ppoUpdate(Shape s, Precision p) {
    GptConfig cfg = config(s);
    long tokens = (long) s.batch() * s.seq();
    long n = 2 * cfg.parameterCount(false) + cfg.nEmbd() + 1;  // policy + critic
    return new BenchCase("ppo update", shapeOf(s, " (policy + critic)"), p.toString(), Unit.FLOPS,
        flopsPerToken(cfg, n, s.seq()) * tokens + 12.0 * cfg.nLayer() * cfg.nEmbd() * s.seq() * tokens, d -> {
          Gpt policy = new Gpt(cfg, d, p, 1234);
          RewardModel critic = new RewardModel(cfg, d, p, 4321);
          AdamW popt = adamw(policy);
          AdamW copt = adamw(critic);
          int B = s.batch(), T = s.seq();
          SplitMix64 r = new SplitMix64(17);
          int[] tok = randomTokens(r, B * T, s.vocab());
          int[] tgt = randomTokens(r, B * T, s.vocab());
          float[] mask = new float[B * T], old = new float[B * T], adv = new float[B * T], zero = new float[B * T];
          for (int i = 0; i < B * T; i++) {
            mask[i] = i % T >= T / 4 ? 1f : 0f;  // the reply's tokens
            old[i] = -(float) Math.log(s.vocab());
            adv[i] = (i % 7) / 3f - 1f;
          }
          return new Prepared(() -> {
            try (Scope sc = Scope.open()) {
              Tensor tokT = Tensor.ofInts(tok, d, B, T);
              Tensor maskT = Tensor.of(mask, d, B, T);
              Tensor logits = policy.logits(tokT);
              Tensor lpNew = policy.tokenLoss(logits, Tensor.ofInts(tgt, d, B, T), null).logprob;
              PpoLosses.Policy pol = PpoLosses.policy(lpNew, Tensor.of(old, d, B, T), Tensor.of(adv, d, B, T), maskT,
                  0.2f);
              Tensor entropy = PpoLosses.entropy(logits, maskT, cfg.vocabSize());
              Tensor vLoss = PpoLosses.value(critic.values(tokT, null), Tensor.of(zero, d, B, T),
                  Tensor.of(adv, d, B, T), maskT, 0.2f);
              Tensor loss = Ops.add(Ops.add(pol.loss(), Ops.mulScalar(vLoss, 0.1f)), Ops.mulScalar(entropy, -0.01f));
              loss.backward();
              try (Tensor pn = GradClip.squaredNorm(policy.parameters()); // unscoped: closed here
                   Tensor cn = GradClip.squaredNorm(critic.parameters())) {
                popt.step(pn, 1.0);
                copt.step(cn, 1.0);
                Tensor.items(Ops.detach(loss), pn, cn);
              }
            }
            popt.zeroGrad();
            copt.zeroGrad();
          }, popt, copt, policy, critic);
        });
  }
}
