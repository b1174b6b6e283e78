package dev.triad.train.rlhf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.triad.autograd.Autograd;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.data.instruct.Example;
import dev.triad.data.pref.PreferenceData;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.nn.RewardModel;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.ChatRuns;
import dev.triad.train.Checkpoints;
import dev.triad.train.Metrics;
import dev.triad.train.PhaseBuilder;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.TrainConfig;
import dev.triad.train.TrainingListener;
import dev.triad.train.StepProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The RLHF phase by PPO (proximal policy optimisation) against a trained reward model.
 *
 * <ul>
 *   <li>policy: the SFT run's model (trained);
 *   <li>reference: a second copy of the SFT weights, frozen: per-token KL = logp_policy - logp_ref;
 *   <li>critic: a {@link RewardModel} loaded from the reward run (backbone + scalar head), read at
 *       every position ({@link RewardModel#values}) and trained. Starting the critic from the reward
 *       model (not from the SFT model with a fresh head) gives value estimates of the right scale
 *       from step 1: the usual choice (Ouyang et al. 2022);
 *   <li>reward model: the reward run, frozen, read at the last token of prompt + reply (+ {@code <|end|>}).
 * </ul>
 *
 * <p>Each step samples {@code batch} RL prompts, rolls out at temperature 1 (stop at {@code <|end|>},
 * which then belongs to the reply), scores, computes per-token log-probs under policy and
 * reference, per-token rewards ({@link Gae#rewards}: -beta * KL per token + score at the last),
 * GAE advantages (whitened over the rollout) and returns, then runs {@code epochs} passes over
 * minibatches of the rollout: policy loss + vfCoef * value loss - entCoef * entropy, gradient
 * clipping per model and one AdamW per model. beta is fixed or follows the adaptive controller
 * of Ziegler et al. (2019) toward {@code targetKl} (the KL of a whole reply, in nats).
 *
 * <p>Checkpoints: every {@code checkpointEvery} steps and after the last, one file
 * {@code checkpoints/step_N.safetensors} (keep-last-{@code keepCheckpoints}) holds the policy and its
 * AdamW moments under the names {@link Checkpoints} uses (so it loads as an ordinary model run of
 * phase "ppo"), the critic and its moments under the prefix {@code critic.}, and in the metadata
 * both optimizers' step counts, the KL controller's beta, the guardrail counter and the step. Each
 * step's prompts, rollout sampling and minibatch order derive from (seed, step) alone, so
 * {@code resume} continues exactly: a run resumed at step N ends bit-identical to a straight one.
 * The run also writes metrics.jsonl and ppo_eval.json (no before-evaluation on resume).
 */
public final class Ppo {
  private Ppo() {}

  public static final String PHASE = "ppo";
  public static final String REPORT = "ppo_eval.json";

  /**
   * Everything a PPO run needs; make one with {@link #builder()}: {@code
   * Ppo.Options.builder().runDir(dir).policyRun(sft).rewardRun(reward).build()}.
   *
   * @param batch prompts rolled out per step
   * @param miniBatch rollouts per optimisation minibatch (at most batch)
   * @param epochs passes over each rollout
   * @param beta KL penalty coefficient (its initial value when adaptive)
   * @param targetKl target KL of a reply (nats): the adaptive controller's target and the guardrails' unit
   * @param adaptiveKl whether beta follows the proportional controller toward targetKl
   * @param klHorizon the controller's horizon (in rollouts)
   * @param evalPrompts held-out RL prompts for the before/after evaluation (never trained on)
   */
  public record Options(Path runDir, Path policyRun, Path rewardRun, Device device, int steps, int batch,
      int miniBatch, int epochs, float lr, float beta, float targetKl, boolean adaptiveKl, double klHorizon,
      float clipEps, float valueClipEps, float vfCoef, float entCoef, double gamma, double lambda,
      int maxNewTokens, float gradClip, int evalPrompts, long seed, boolean resume, int checkpointEvery,
      int keepCheckpoints, Precision precision, float beta1, float beta2, float eps, TrainConfig.DataOrder dataOrder) {
    public Options {
      check(runDir != null, "runDir must be given");
      check(policyRun != null, "policyRun must be given");
      check(rewardRun != null, "rewardRun must be given");
      check(device != null, "device must be given");
      check(steps >= 1, "steps must be >= 1, got " + steps);
      check(batch >= 1, "batch must be >= 1, got " + batch);
      check(miniBatch >= 1 && miniBatch <= batch, "miniBatch must be in [1, batch = " + batch + "], got " + miniBatch);
      check(epochs >= 1, "epochs must be >= 1, got " + epochs);
      check(lr > 0 && Float.isFinite(lr), "lr must be > 0, got " + lr);
      check(beta >= 0 && Float.isFinite(beta), "beta must be >= 0, got " + beta);
      check(targetKl > 0 && Float.isFinite(targetKl), "targetKl must be > 0, got " + targetKl);
      check(klHorizon > 0, "klHorizon must be > 0, got " + klHorizon);
      check(clipEps > 0, "clipEps must be > 0, got " + clipEps);
      check(valueClipEps > 0, "valueClipEps must be > 0, got " + valueClipEps);
      check(vfCoef >= 0, "vfCoef must be >= 0, got " + vfCoef);
      check(entCoef >= 0, "entCoef must be >= 0, got " + entCoef);
      check(gamma > 0 && gamma <= 1, "gamma must be in (0, 1], got " + gamma);
      check(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got " + lambda);
      check(maxNewTokens >= 1, "maxNewTokens must be >= 1, got " + maxNewTokens);
      check(gradClip > 0, "gradClip must be > 0, got " + gradClip);
      check(evalPrompts >= 1, "evalPrompts must be >= 1, got " + evalPrompts);
      check(checkpointEvery >= 1, "checkpointEvery must be >= 1, got " + checkpointEvery);
      check(keepCheckpoints >= 1, "keepCheckpoints must be >= 1, got " + keepCheckpoints);
      check(precision != null, "precision must be given");
      check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
      check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
      check(eps > 0 && Float.isFinite(eps), "eps must be > 0, got " + eps);
      check(dataOrder != null, "dataOrder must be given");
    }

    /** Seed, AdamW's betas and eps, and data order default as every phase's (TrainConfig.builder()). */
    private static final TrainConfig SHARED = TrainConfig.builder().build();

    /** A builder at {@code triad ppo}'s defaults; runDir, policyRun and rewardRun must be set. */
    public static Builder builder() {
      return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
      return new Builder().runDir(runDir).policyRun(policyRun).rewardRun(rewardRun).device(device).steps(steps)
          .batch(batch).miniBatch(miniBatch).epochs(epochs).lr(lr).beta(beta).targetKl(targetKl)
          .adaptiveKl(adaptiveKl).klHorizon(klHorizon).clipEps(clipEps).valueClipEps(valueClipEps)
          .vfCoef(vfCoef).entCoef(entCoef).gamma(gamma).lambda(lambda).maxNewTokens(maxNewTokens)
          .gradClip(gradClip).evalPrompts(evalPrompts).seed(seed).resume(resume)
          .checkpointEvery(checkpointEvery).keepCheckpoints(keepCheckpoints).precision(precision).beta1(beta1)
          .beta2(beta2).eps(eps).dataOrder(dataOrder);
    }

    /**
     * Named options at their defaults (the one place they live: the CLI's options read them from the
     * getters).
     */
    public static final class Builder extends PhaseBuilder<Builder> {
      private Path policyRun;
      private Path rewardRun;
      private int steps = 100;
      private int batch = 16;
      private int miniBatch = 8;
      private int epochs = 4;
      private float lr = 1e-5f;
      private float beta = 0.05f;
      private float targetKl = 6f;
      private boolean adaptiveKl = true;
      private double klHorizon = 10000;
      private float clipEps = 0.2f;
      private float valueClipEps = 0.2f;
      private float vfCoef = 0.1f;
      private float entCoef = 0f;
      private double gamma = 1.0;
      private double lambda = 0.95;
      private int maxNewTokens = 32;
      private float gradClip = 1.0f;
      private int evalPrompts = 64;
      private long seed = SHARED.seed();
      private int checkpointEvery = 50;
      private int keepCheckpoints = 2;
      private float beta1 = SHARED.beta1();
      private float beta2 = SHARED.beta2();
      private float eps = SHARED.eps();
      private TrainConfig.DataOrder dataOrder = SHARED.dataOrder();

      private Builder() {}

      @Override
      protected Builder self() {
        return this;
      }

      /** The SFT run to start from (and the KL reference); required. */
      public Builder policyRun(Path policyRun) {
        this.policyRun = policyRun;
        return this;
      }

      /** The reward model run that scores rollouts; required. */
      public Builder rewardRun(Path rewardRun) {
        this.rewardRun = rewardRun;
        return this;
      }

      /** PPO steps (rollout + update) to train to. */
      public Builder steps(int steps) {
        this.steps = steps;
        return this;
      }

      /** Prompts rolled out per step. */
      public Builder batch(int batch) {
        this.batch = batch;
        return this;
      }

      /** Rollouts per optimisation minibatch, in [1, batch]. */
      public Builder miniBatch(int miniBatch) {
        this.miniBatch = miniBatch;
        return this;
      }

      /** Passes over each rollout. */
      public Builder epochs(int epochs) {
        this.epochs = epochs;
        return this;
      }

      /** Learning rate of policy and critic. */
      public Builder lr(float lr) {
        this.lr = lr;
        return this;
      }

      /** KL penalty coefficient (its initial value when adaptive). */
      public Builder beta(float beta) {
        this.beta = beta;
        return this;
      }

      /** Target KL of a reply (nats): the adaptive controller's target and the guardrails' unit. */
      public Builder targetKl(float targetKl) {
        this.targetKl = targetKl;
        return this;
      }

      /** Whether beta follows the proportional controller toward targetKl. */
      public Builder adaptiveKl(boolean adaptiveKl) {
        this.adaptiveKl = adaptiveKl;
        return this;
      }

      /** The KL controller's horizon (in rollouts). */
      public Builder klHorizon(double klHorizon) {
        this.klHorizon = klHorizon;
        return this;
      }

      /** Clip range of the policy ratio. */
      public Builder clipEps(float clipEps) {
        this.clipEps = clipEps;
        return this;
      }

      /** Clip range of the critic's values. */
      public Builder valueClipEps(float valueClipEps) {
        this.valueClipEps = valueClipEps;
        return this;
      }

      /** Weight of the value loss. */
      public Builder vfCoef(float vfCoef) {
        this.vfCoef = vfCoef;
        return this;
      }

      /** Weight of the entropy bonus. */
      public Builder entCoef(float entCoef) {
        this.entCoef = entCoef;
        return this;
      }

      /** Discount, in (0, 1]. */
      public Builder gamma(double gamma) {
        this.gamma = gamma;
        return this;
      }

      /** GAE lambda, in [0, 1]. */
      public Builder lambda(double lambda) {
        this.lambda = lambda;
        return this;
      }

      /** Reply budget. */
      public Builder maxNewTokens(int maxNewTokens) {
        this.maxNewTokens = maxNewTokens;
        return this;
      }

      /** Global gradient-norm clip (> 0). */
      public Builder gradClip(float gradClip) {
        this.gradClip = gradClip;
        return this;
      }

      /** Held-out RL prompts for the before/after evaluation (never trained on). */
      public Builder evalPrompts(int evalPrompts) {
        this.evalPrompts = evalPrompts;
        return this;
      }

      /** Seed of prompts, sampling and initialisation of the critic head. */
      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      /** A checkpoint every N steps (and after the last). */
      public Builder checkpointEvery(int checkpointEvery) {
        this.checkpointEvery = checkpointEvery;
        return this;
      }

      /** Checkpoints kept. */
      public Builder keepCheckpoints(int keepCheckpoints) {
        this.keepCheckpoints = keepCheckpoints;
        return this;
      }

      /** AdamW's first-moment decay (both models), in [0, 1). */
      public Builder beta1(float beta1) {
        this.beta1 = beta1;
        return this;
      }

      /** AdamW's second-moment decay (both models), in [0, 1). */
      public Builder beta2(float beta2) {
        this.beta2 = beta2;
        return this;
      }

      /** AdamW's epsilon (both models). */
      public Builder eps(float eps) {
        this.eps = eps;
        return this;
      }

      /**
       * Prompts drawn by the seed, or in order (sequential: step s rolls out prompts (s-1) B .. s B - 1,
       * wrapping, and minibatches keep the rollout's order).
       */
      public Builder dataOrder(TrainConfig.DataOrder dataOrder) {
        this.dataOrder = dataOrder;
        return this;
      }

      public int steps() {
        return steps;
      }

      public int batch() {
        return batch;
      }

      public int miniBatch() {
        return miniBatch;
      }

      public int epochs() {
        return epochs;
      }

      public float lr() {
        return lr;
      }

      public float beta() {
        return beta;
      }

      public float targetKl() {
        return targetKl;
      }

      public boolean adaptiveKl() {
        return adaptiveKl;
      }

      public double klHorizon() {
        return klHorizon;
      }

      public float clipEps() {
        return clipEps;
      }

      public float valueClipEps() {
        return valueClipEps;
      }

      public float vfCoef() {
        return vfCoef;
      }

      public float entCoef() {
        return entCoef;
      }

      public double gamma() {
        return gamma;
      }

      public double lambda() {
        return lambda;
      }

      public int maxNewTokens() {
        return maxNewTokens;
      }

      public float gradClip() {
        return gradClip;
      }

      public int evalPrompts() {
        return evalPrompts;
      }

      public long seed() {
        return seed;
      }

      public int checkpointEvery() {
        return checkpointEvery;
      }

      public int keepCheckpoints() {
        return keepCheckpoints;
      }

      public float beta1() {
        return beta1;
      }

      public float beta2() {
        return beta2;
      }

      public float eps() {
        return eps;
      }

      public TrainConfig.DataOrder dataOrder() {
        return dataOrder;
      }

      /**
       * The options, the defaults that depend on others resolved.
       *
       * @throws IllegalArgumentException naming the first option out of range and its value
       */
      public Options build() {
        Device d = resolvedDevice();
        return new Options(runDir, policyRun, rewardRun, d, steps, batch, miniBatch, epochs, lr, beta, targetKl, adaptiveKl,
            klHorizon, clipEps, valueClipEps, vfCoef, entCoef, gamma, lambda, maxNewTokens, gradClip, evalPrompts, seed,
            resume, checkpointEvery, keepCheckpoints, resolvedPrecision(d), beta1, beta2,
            eps, dataOrder);
      }
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("ppo: " + message);
    }
  }

  /** One step's figures. */
  public record StepMetrics(int step, double reward, double kl, double beta, double entropy, double clipFraction,
      double approxKl, double policyLoss, double valueLoss, double responseLength, double genTokensPerSec,
      double trainTokensPerSec) {}

  /**
   * The {@link PolicyEval} before (null on resume) and after; {@code steps} holds the steps this
   * invocation ran.
   */
  public record Result(PolicyEval.Result before, PolicyEval.Result after, double klFinal, List<StepMetrics> steps) {}

  /** Prefix of the critic's tensors (and its AdamW moments) in a PPO checkpoint. */
  static final String CRITIC = "critic.";

  /** The adaptive KL controller (Ziegler et al. 2019): beta *= 1 + clip(kl / target - 1, -0.2, 0.2) * n / horizon. */
  public static double updateBeta(double beta, double kl, double target, int n, double horizon) {
    double error = Math.max(-0.2, Math.min(0.2, kl / target - 1));
    return beta * (1 + error * n / horizon);
  }

  private record Prompt(Example example, int[] tokens) {}

  public static Result run(Options o) {
    return run(o, TrainingListener.NONE);
  }

  /**
   * As {@link #run(Options)}, reporting each step and checkpoint to {@code listener} (PPO has no
   * held-out loss: no {@code onEval}). Its {@link dev.triad.train.StepMetrics} has no single loss or
   * gradient norm (NaN); the step's metrics.jsonl figures are in {@code phase}.
   */
  public static Result run(Options o, TrainingListener listener) {
    try (RunLock lock = RunLock.acquire(o.runDir())) { // one trainer per run directory, for the run's life
      return runLocked(o, listener);
    }
  }

  private static Result runLocked(Options o, TrainingListener listener) {
    try {
      Checkpoints.checkRunDirectory(o.runDir(), o.resume(), o.steps());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ppo: " + e.getMessage(), e);
    }
    Optional<Path> resumeFrom = o.resume() ? new Checkpoints(o.runDir(), 1).latest() : Optional.empty();
    RunInfo base = RunInfo.read(o.policyRun());
    Tokenizer tokenizer = Tokenizer.byName(base.tokenizer());
    ChatTemplate template = new ChatTemplate(tokenizer);
    ChatRuns.requireChatRun("ppo", o.policyRun(), base);
    int context = base.blockSize();
    int maxNew = Math.min(o.maxNewTokens(), context - 2);
    check(maxNew >= 1, "the model's context of " + context + " tokens leaves no room to generate");

    // RL prompts: shuffled by the seed; the first evalPrompts are held out for evaluation
    PreferenceData.Split split = PreferenceData.defaultSplit(o.seed());
    List<Prompt> all = new ArrayList<>();
    for (Example e : split.rlPrompts()) {
      int[] p = template.renderPrompt(List.of(Message.user(e.prompt())));
      if (p.length + maxNew + 1 <= context) {
        all.add(new Prompt(e, p));
      }
    }
    Collections.shuffle(all, new Random(o.seed()));
    int nEval = Math.min(o.evalPrompts(), all.size() / 2);
    check(nEval >= 1, "too few RL prompts fit the model's context of " + context + " tokens");
    List<Prompt> evalSet = all.subList(0, nEval);
    List<Prompt> trainSet = all.subList(nEval, all.size());

    int longest = 0;
    for (Prompt p : trainSet) {
      longest = Math.max(longest, p.tokens().length);
    }
    PlanCheck.require(new MemoryPlan.Spec(base.modelConfig(), o.device() == Device.CUDA, o.batch(),
        Math.min(context, longest + maxNew + 1), o.precision(), MemoryPlan.Phase.PPO, o.device(), 1, 0));

    Map<String, Object> settings = RunDirectory.chatSettings(o.policyRun());
    settings.put("reward_run", o.rewardRun().toString());
    settings.put("critic", "reward model of the reward run (backbone + scalar head at every position)");
    settings.put("options", o.toString());
    settings.put("rl_prompts", trainSet.size());
    settings.put("eval_prompts", evalSet.size());

    Gpt policy = RunInfo.loadModel(o.policyRun(), null, o.device(), o.precision());
    try (policy;
         Gpt reference = RunInfo.loadModel(o.policyRun(), null, o.device(), o.precision());
         RewardModel critic = RewardTraining.loadModel(o.rewardRun(), null, o.device(), o.precision());
         RewardModel rm = RewardTraining.loadModel(o.rewardRun(), null, o.device(), o.precision())) {
      if (rm.backbone.config.vocabSize() != policy.config.vocabSize()) {
        throw new IllegalArgumentException("ppo: the reward run " + o.rewardRun() + " has a vocabulary of "
            + rm.backbone.config.vocabSize() + " tokens, the policy " + policy.config.vocabSize());
      }
      RunInfo.of(PHASE, policy.config, tokenizer.name(), o.precision(), settings).write(o.runDir(), resumeFrom.isPresent());
      System.out.printf("ppo: policy %s from %s (%,d parameters), critic and reward model from %s, on %s; %d RL"
              + " prompts, %d held out; run directory %s%n", policy.config.name(), o.policyRun(),
          policy.parameterCount(), o.rewardRun(), o.device(), trainSet.size(), evalSet.size(),
          o.runDir().toAbsolutePath());

      PolicyEval.Result before = null;
      List<Example> evalExamples = evalSet.stream().map(Prompt::example).toList();
      if (resumeFrom.isEmpty()) {
        before = PolicyEval.evaluate(policy, null, rm, template, evalExamples, maxNew, o.seed() + 1).withKl(0.0);
        System.out.printf("ppo: before: held-out reward %.4f, rule score %.4f; sample: %s%n", before.reward(),
            before.ruleScore(), before.sample());
      }

      List<StepMetrics> history = new ArrayList<>();
      double beta = o.beta();
      int tooFar = 0;
      double klLast = Double.NaN;
      int start = resumeFrom.map(f -> (int) Checkpoints.stepOf(f)).orElse(0);
      if (start > o.steps()) {
        throw new IllegalArgumentException("ppo: --resume: the latest checkpoint " + resumeFrom.get().getFileName()
            + " is at step " + start + ", past --steps " + o.steps());
      }
      try (AdamW policyOpt = new AdamW(policy.parameters(), o.lr(), o.beta1(), o.beta2(), o.eps(), 0f);
           AdamW criticOpt = new AdamW(critic.parameters(), o.lr(), o.beta1(), o.beta2(), o.eps(), 0f)) {
        if (resumeFrom.isPresent()) {
          Checkpoints.removeStaleTemporaries(o.runDir());
          Map<String, String> meta = loadCheckpoint(resumeFrom.get(), policy, policyOpt, critic, criticOpt);
          beta = Double.parseDouble(meta.get("beta"));
          tooFar = Integer.parseInt(meta.getOrDefault("too_far", "0"));
          klLast = Double.parseDouble(meta.getOrDefault("kl_last", "NaN"));
          System.out.printf("ppo: resuming from %s (step %d, beta %.6f)%n", resumeFrom.get(), start, beta);
        }
        try (Metrics metrics = new Metrics(o.runDir(), o.steps(), start);
             Profiler.Run phases = Profiler.startRun(o.device())) {
          long runStart = System.nanoTime();
          StepProfile profile = StepProfile.enabled() ? new StepProfile(o.device()) : null;
          for (int step = start + 1; step <= o.steps(); step++) {
            Random rng = new Random(o.seed() * 1_000_003L + step);
            long t0 = System.nanoTime();
            Profiler.stepBegin(step);
            if (profile != null) {
              profile.begin();
            }
            Stepped stepped = step(o, step, rng, beta, policy, reference, critic, rm, policyOpt, criticOpt, template,
                trainSet, maxNew, metrics);
            StepMetrics m = stepped.metrics();
            double stepMillis = (System.nanoTime() - t0) / 1e6;
            if (profile != null) {
              profile.end((System.nanoTime() - t0) / 1e6);
            }
            history.add(m);
            if (o.adaptiveKl()) {
              beta = updateBeta(beta, m.kl(), o.targetKl(), o.batch(), o.klHorizon());
            }
            if (m.kl() > 3 * o.targetKl()) {
              System.out.printf("ppo: warning: step %d: KL %.3f is over 3x the target %.3f%n", step, m.kl(),
                  o.targetKl());
            }
            if (m.responseLength() < 2) {
              System.out.printf("ppo: warning: step %d: mean response length %.2f tokens (collapse?)%n", step,
                  m.responseLength());
            }
            tooFar = m.kl() > 10 * o.targetKl() ? tooFar + 1 : 0;
            if (tooFar >= 3) {
              throw new IllegalStateException(String.format("ppo: stopped at step %d: KL to the reference %.3f"
                  + " has been over 10x the target %.3f for 3 consecutive steps; lower --lr or raise --beta", step,
                  m.kl(), o.targetKl()));
            }
            if (!Double.isFinite(m.policyLoss()) || !Double.isFinite(m.valueLoss())) {
              throw new IllegalStateException("ppo: stopped at step " + step + ": non-finite loss (policy "
                  + m.policyLoss() + ", value " + m.valueLoss() + ")");
            }
            klLast = m.kl();
            Path saved = null;
            if (step % o.checkpointEvery() == 0 || step == o.steps()) {
              try (Profiler.Phase ph = Profiler.phase("checkpoint")) {
                saved = saveCheckpoint(o, step, policy, policyOpt, critic, criticOpt, beta, tooFar, klLast);
              }
            }
            // last, as Trainer does: the step's metrics line and checkpoint are written
            Map<String, Object> phase = new LinkedHashMap<>(stepped.line());
            phase.remove("step");
            Object mfu = phase.remove("mfu");
            dev.triad.train.StepMetrics sm = new dev.triad.train.StepMetrics(step, o.steps(), Double.NaN, o.lr(),
                Double.NaN, stepped.trainTokens(), m.trainTokensPerSec(), stepMillis,
                mfu == null ? Double.NaN : (Double) mfu, (System.nanoTime() - runStart) / 1e9, phase);
            listener.onStep(sm);
            if (saved != null) {
              listener.onCheckpoint(saved, step);
            }
          }
          if (profile != null) {
            metrics.println(profile.report());
          }
          String tables = phases.finish(); // writes --trace; the tables with --profile
          if (tables != null) {
            metrics.println(tables);
          }
        }
      }
      PolicyEval.Result after = PolicyEval.evaluate(policy, reference, rm, template, evalExamples, maxNew, o.seed() + 1);
      double klFinal = history.isEmpty() ? klLast : history.get(history.size() - 1).kl();
      System.out.printf("ppo: held-out reward %s -> %.4f, rule score %s -> %.4f, final KL %.4f; sample: %s%n",
          before == null ? "-" : String.format("%.4f", before.reward()), after.reward(),
          before == null ? "-" : String.format("%.4f", before.ruleScore()), after.ruleScore(), klFinal,
          after.sample());
      writeReport(o, before, after, klFinal, evalSet.size());
      return new Result(before, after, klFinal, history);
    }
  }

  /**
   * Writes {@code checkpoints/step_N.safetensors}: the policy and its moments as {@link Checkpoints}
   * names them, the critic and its moments under {@link #CRITIC}, and the trainer state; prunes to
   * the newest {@code keepCheckpoints}.
   */
  private static Path saveCheckpoint(Options o, int step, Gpt policy, AdamW policyOpt, RewardModel critic,
      AdamW criticOpt, double beta, int tooFar, double klLast) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    putModel(tensors, "", policy.namedParameters(), policyOpt);
    putModel(tensors, CRITIC, critic.namedParameters(), criticOpt);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", Checkpoints.FORMAT);
    meta.put("phase", PHASE);
    meta.put("step", Long.toString(step));
    meta.put("optimizer_step", Long.toString(policyOpt.stepCount()));
    meta.put("critic_optimizer_step", Long.toString(criticOpt.stepCount()));
    meta.put("beta", Double.toString(beta));
    meta.put("too_far", Integer.toString(tooFar));
    meta.put("kl_last", Double.toString(klLast));
    meta.put("seed", Long.toString(o.seed()));
    Checkpoints checkpoints = new Checkpoints(o.runDir(), o.keepCheckpoints());
    Path file = checkpoints.directory().resolve(String.format("step_%08d.safetensors", step));
    try {
      Files.createDirectories(checkpoints.directory());
      Safetensors.write(file, tensors, meta);
      List<Path> all = checkpoints.list();
      for (int i = 0; i < all.size() - o.keepCheckpoints(); i++) {
        Files.deleteIfExists(all.get(i));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  private static void putModel(Map<String, Tensor> out, String prefix, Map<String, Tensor> params, AdamW opt) {
    List<String> names = new ArrayList<>(params.keySet());
    for (int i = 0; i < names.size(); i++) {
      out.put(prefix + "model." + names.get(i), opt.master(i)); // f32 masters: precision-independent
    }
    for (int i = 0; i < names.size(); i++) {
      out.put(prefix + "adam_m." + names.get(i), opt.firstMoment(i));
      out.put(prefix + "adam_v." + names.get(i), opt.secondMoment(i));
    }
  }

  /** Restores policy, critic and both optimizers from a PPO checkpoint; returns its metadata. */
  private static Map<String, String> loadCheckpoint(Path file, Gpt policy, AdamW policyOpt, RewardModel critic,
      AdamW criticOpt) {
    Map<String, String> meta = Checkpoints.load(file, policy, policyOpt);
    if (!PHASE.equals(meta.get("phase")) || !meta.containsKey("beta") || !meta.containsKey("critic_optimizer_step")) {
      throw new IllegalArgumentException("ppo: --resume: " + file + " is not a PPO checkpoint (phase '"
          + meta.get("phase") + "', no critic or KL controller state)");
    }
    try (SafetensorsFile f = Safetensors.open(file)) {
      List<String> names = new ArrayList<>(critic.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        fill(f, CRITIC + "model." + n, criticOpt.master(i), file);
        fill(f, CRITIC + "adam_m." + n, criticOpt.firstMoment(i), file);
        fill(f, CRITIC + "adam_v." + n, criticOpt.secondMoment(i), file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
    criticOpt.syncParametersFromMasters();
    criticOpt.setStepCount(Long.parseLong(meta.get("critic_optimizer_step")));
    return meta;
  }

  private static void fill(SafetensorsFile f, String name, Tensor target, Path file) throws IOException {
    if (!f.contains(name)) {
      throw new IllegalArgumentException("ppo: checkpoint " + file + " has no tensor '" + name + "'");
    }
    if (!java.util.Arrays.equals(f.info(name).shape(), target.shape())) {
      throw new IllegalArgumentException("ppo: checkpoint " + file + ": '" + name + "' has shape "
          + java.util.Arrays.toString(f.info(name).shape()) + ", the critic expects "
          + java.util.Arrays.toString(target.shape()));
    }
    target.write(f.readFloats(name));
  }

  /** A step's figures, its metrics.jsonl line and the tokens its update trained on. */
  private record Stepped(StepMetrics metrics, Map<String, Object> line, long trainTokens) {}

  private static Stepped step(Options o, int step, Random rng, double beta, Gpt policy, Gpt reference,
      RewardModel critic, RewardModel rm, AdamW policyOpt, AdamW criticOpt, ChatTemplate template,
      List<Prompt> trainSet, int maxNew, Metrics metrics) {
    int B = o.batch();
    int[][] prompts = new int[B][];
    for (int b = 0; b < B; b++) {
      // shuffled: drawn by the step's generator; sequential: the prompts in their order, wrapping around
      int i = o.dataOrder().shuffled() ? rng.nextInt(trainSet.size())
          : (int) (((long) (step - 1) * B + b) % trainSet.size());
      prompts[b] = trainSet.get(i).tokens();
    }
    // rollout
    long g0 = System.nanoTime();
    int[][] replies;
    try (Profiler.Phase ph = Profiler.phase("generation")) {
      replies = Generator.generate(policy, prompts, new SamplingConfig(maxNew, 1f, 0, 1f,
          new int[] {template.endToken()}, o.seed() * 7919L + step));
    }
    double genSec = (System.nanoTime() - g0) / 1e9;
    int[][] seqs = new int[B][];
    boolean[][] masks = new boolean[B][];
    long genTokens = 0;
    double respLen = 0;
    for (int b = 0; b < B; b++) {
      boolean stopped = replies[b].length < maxNew;
      int n = replies[b].length + (stopped ? 1 : 0);
      int[] s = java.util.Arrays.copyOf(prompts[b], prompts[b].length + n);
      System.arraycopy(replies[b], 0, s, prompts[b].length, replies[b].length);
      if (stopped) {
        s[s.length - 1] = template.endToken();
      }
      seqs[b] = s;
      masks[b] = new boolean[s.length];
      for (int t = prompts[b].length; t < s.length; t++) {
        masks[b][t] = true;
      }
      genTokens += n;
      respLen += replies[b].length;
    }
    respLen /= B;
    SequenceLogProbs.Padded p = SequenceLogProbs.pad(seqs, masks, 0);
    int T = p.length();
    float[] lpOld, lpRef, vOld;
    try (Profiler.Phase ph = Profiler.phase("forward")) { // the rollout's log-probs and values, no gradient
      lpOld = perToken(policy, p);
      lpRef = perToken(reference, p);
      vOld = values(critic, p);
    }
    double[] scores;
    try (Profiler.Phase ph = Profiler.phase("reward scoring")) {
      scores = GrpoTask.scores(rm, seqs, 0);
    }

    // per-token rewards, GAE, whitening
    float[] mask = new float[B * T];
    double[] adv = new double[B * T];
    double[] ret = new double[B * T];
    List<Double> flatAdv = new ArrayList<>();
    double klSum = 0;
    for (int b = 0; b < B; b++) {
      int start = prompts[b].length - 1; // position predicting the first reply token
      int n = seqs[b].length - prompts[b].length;
      double[] kl = new double[n];
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        int idx = b * T + start + i;
        kl[i] = lpOld[idx] - lpRef[idx];
        v[i] = vOld[idx];
        mask[idx] = 1f;
        klSum += kl[i];
      }
      Gae.Result g = Gae.compute(Gae.rewards(kl, beta, scores[b]), v, o.gamma(), o.lambda());
      for (int i = 0; i < n; i++) {
        adv[b * T + start + i] = g.advantages()[i];
        ret[b * T + start + i] = g.returns()[i];
        flatAdv.add(g.advantages()[i]);
      }
    }
    double[] w = Gae.whiten(flatAdv.stream().mapToDouble(Double::doubleValue).toArray());
    for (int i = 0, k = 0; i < mask.length; i++) {
      if (mask[i] != 0) {
        adv[i] = w[k++];
      }
    }

    // K epochs over minibatches
    long t0 = System.nanoTime();
    double ent = 0, clip = 0, akl = 0, pl = 0, vl = 0;
    int updates = 0;
    long trainTokens = 0;
    for (int epoch = 0; epoch < o.epochs(); epoch++) {
      List<Integer> order = new ArrayList<>();
      for (int b = 0; b < B; b++) {
        order.add(b);
      }
      if (o.dataOrder().shuffled()) {
        Collections.shuffle(order, rng);
      }
      for (int s = 0; s < B; s += o.miniBatch()) {
        List<Integer> rows = order.subList(s, Math.min(B, s + o.miniBatch()));
        int mb = rows.size();
        int[] tok = new int[mb * T], tgt = new int[mb * T];
        float[] mk = new float[mb * T], lo = new float[mb * T], vo = new float[mb * T], ad = new float[mb * T],
            rt = new float[mb * T];
        try (Profiler.Phase ph = Profiler.phase("data")) { // the minibatch's rows of the rollout
          for (int r = 0; r < mb; r++) {
            int src = rows.get(r) * T;
            System.arraycopy(p.tokens(), src, tok, r * T, T);
            System.arraycopy(p.targets(), src, tgt, r * T, T);
            System.arraycopy(mask, src, mk, r * T, T);
            System.arraycopy(lpOld, src, lo, r * T, T);
            System.arraycopy(vOld, src, vo, r * T, T);
            for (int t = 0; t < T; t++) {
              ad[r * T + t] = (float) adv[src + t];
              rt[r * T + t] = (float) ret[src + t];
            }
          }
        }
        try (Scope scope = Scope.open()) {
          Device d = policy.device;
          Tensor tokT, maskT, logits, loss, vLoss, entropy;
          PpoLosses.Policy pol;
          try (Profiler.Phase ph = Profiler.phase("forward")) {
            tokT = Tensor.ofInts(tok, d, mb, T);
            maskT = Tensor.of(mk, d, mb, T);
            logits = policy.logits(tokT);
            Tensor lpNew = policy.tokenLoss(logits, Tensor.ofInts(tgt, d, mb, T), null).logprob;
            pol = PpoLosses.policy(lpNew, Tensor.of(lo, d, mb, T), Tensor.of(ad, d, mb, T), maskT, o.clipEps());
            entropy = PpoLosses.entropy(logits, maskT, policy.config.vocabSize());
            Tensor vNew = critic.values(tokT, null);
            vLoss = PpoLosses.value(vNew, Tensor.of(vo, d, mb, T), Tensor.of(rt, d, mb, T), maskT,
                o.valueClipEps());
            loss = Ops.add(Ops.add(pol.loss(), Ops.mulScalar(vLoss, o.vfCoef())),
                Ops.mulScalar(entropy, -o.entCoef()));
          }
          try (Profiler.Phase ph = Profiler.phase("backward")) {
            loss.backward();
          }
          try (Profiler.Phase ph = Profiler.phase("optimizer")) {
            // clipped on the device, as Trainer does: no read of either norm
            try (Tensor pn = GradClip.squaredNorm(policy.parameters());
                Tensor cn = GradClip.squaredNorm(critic.parameters())) {
              policyOpt.step(pn, o.gradClip());
              criticOpt.step(cn, o.gradClip());
            }
            policyOpt.zeroGrad();
            criticOpt.zeroGrad();
          }
          float[] read = Tensor.items(pol.loss(), vLoss, entropy);  // one read for the three
          pl += read[0];
          vl += read[1];
          ent += read[2];
          clip += pol.clipFraction();
          akl += pol.approxKl();
          updates++;
          trainTokens += (long) mb * T;
        }
      }
    }
    double trainSec = (System.nanoTime() - t0) / 1e9;
    Profiler.stepEnd(); // the log line and its sample below are outside the step's timed part
    double meanReward = 0;
    for (double s : scores) {
      meanReward += s;
    }
    StepMetrics m = new StepMetrics(step, meanReward / B, klSum / B, beta, ent / updates, clip / updates,
        akl / updates, pl / updates, vl / updates, respLen, genTokens / Math.max(1e-9, genSec),
        trainTokens / Math.max(1e-9, trainSec));
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", step);
    line.put("reward", m.reward());
    line.put("kl", m.kl());
    line.put("beta", m.beta());
    line.put("entropy", m.entropy());
    line.put("clip_fraction", m.clipFraction());
    line.put("approx_kl", m.approxKl());
    line.put("policy_loss", m.policyLoss());
    line.put("value_loss", m.valueLoss());
    line.put("response_length", m.responseLength());
    line.put("gen_tokens_per_s", m.genTokensPerSec());
    line.put("train_tokens_per_s", m.trainTokensPerSec());
    // MFU of the update: 6 N per trained token over policy and critic (their forward + backward)
    double peak = dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision());
    if (peak > 0 && trainSec > 0) {
      line.put("mfu", 6.0 * (policy.parameterCount() + critic.parameterCount()) * trainTokens / trainSec / peak);
    }
    String sample = template.decodeText(prompts[0]) + " -> " + template.decodeText(replies[0]);
    line.put("sample", sample);
    metrics.log(line);
    System.out.printf("ppo: step %d/%d reward %.4f kl %.4f beta %.4f entropy %.3f clip %.3f approx-kl %.4f"
            + " value-loss %.4f length %.1f | gen %.0f tok/s, train %.0f tok/s%n", step, o.steps(), m.reward(), m.kl(),
        m.beta(), m.entropy(), m.clipFraction(), m.approxKl(), m.valueLoss(), m.responseLength(),
        m.genTokensPerSec(), m.trainTokensPerSec());
    if (step == 1 || step % 10 == 0 || step == o.steps()) {
      System.out.println("ppo: sample: " + sample);
    }
    return new Stepped(m, line, trainTokens);
  }

  /** Per-token log-probs [B*T] of the padded batch's targets (0 where ignored), no gradient. */
  static float[] perToken(Gpt model, SequenceLogProbs.Padded p) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      Tensor tok = Tensor.ofInts(p.tokens(), model.device, p.batch(), p.length());
      Tensor tgt = Tensor.ofInts(p.targets(), model.device, p.batch(), p.length());
      return model.tokenLoss(model.logits(tok), tgt, null).logprob.toFloatArray();
    }
  }

  private static float[] values(RewardModel critic, SequenceLogProbs.Padded p) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      return critic.values(Tensor.ofInts(p.tokens(), critic.device(), p.batch(), p.length()), null).toFloatArray();
    }
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static void writeReport(Options o, PolicyEval.Result before, PolicyEval.Result after, double klFinal,
      int evalPrompts) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("policy_run", o.policyRun().toString());
    report.put("reward_run", o.rewardRun().toString());
    report.put("steps", o.steps());
    report.put("eval_prompts", evalPrompts);
    report.put("reward_before", before == null ? null : finite(before.reward()));
    report.put("reward_after", finite(after.reward()));
    report.put("kl_final", finite(klFinal));
    report.put("rule_score_before", before == null ? null : finite(before.ruleScore()));
    report.put("rule_score_after", finite(after.ruleScore()));
    report.put("sample_before", before == null ? null : before.sample());
    report.put("sample_after", after.sample());
    report.put("decoding", PolicyEval.SAMPLES + " samples per prompt at temperature " + PolicyEval.TEMPERATURE);
    report.put("before", before == null ? null : before.toMap());
    report.put("after", after.toMap());
    Path file = o.runDir().resolve(REPORT);
    try {
      AtomicFiles.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(report));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
