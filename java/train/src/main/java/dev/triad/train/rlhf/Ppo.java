package dev.triad.train.rlhf;

import dev.triad.InvalidOptionException;
import dev.triad.autograd.Autograd;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.Example;
import dev.triad.data.pref.PreferenceData;
import dev.triad.io.Json;
import dev.triad.nn.Gpt;
import dev.triad.nn.RewardModel;
import dev.triad.optim.AdamW;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.ChatRuns;
import dev.triad.train.Checkpoints;
import dev.triad.train.Metrics;
import dev.triad.dist.Communicator;
import dev.triad.train.DataShard;
import dev.triad.train.Ranks;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.StepProfile;
import dev.triad.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger LOG = LoggerFactory.getLogger(Ppo.class);

  private Ppo() {}

  public static final String PHASE = "ppo";
  public static final String REPORT = "ppo_eval.json";

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

  public static Result run(PpoOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /**
   * As {@link #run(PpoOptions)}, reporting each step and checkpoint to {@code listener} (PPO has no
   * held-out loss: no {@code onEval}). Its {@link dev.triad.train.StepMetrics} has no single loss or
   * gradient norm (NaN); the step's metrics.jsonl figures are in {@code phase}.
   */
  public static Result run(PpoOptions o, TrainingListener listener) {
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Result runLocked(PpoOptions o, TrainingListener listener) {
    Communicator job = Ranks.job();
    if (job != null && (o.batch() % job.size() != 0 || o.miniBatch() % job.size() != 0)) {
      // every rank must take the same number of minibatch steps
      throw new InvalidOptionException(o.batch() % job.size() != 0 ? "batch" : "miniBatch", " " + (o.batch()
          % job.size() != 0 ? o.batch() : o.miniBatch()) + " is not a multiple of the " + job.size()
          + " ranks; with {distributed} PPO splits {batch} and {miniBatch} evenly");
    }
    RunDirectory run;
    try {
      run = RunDirectory.open(o.runDir(), o.resume(), o.steps());
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
      int[] p = PolicyEval.render(template, e);
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
    settings.put("options", o.recorded());
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
      run.writeInfo(PHASE, policy.config, tokenizer.name(), o.precision(), settings);
      LOG.info(String.format("ppo: policy %s from %s (%,d parameters), critic and reward model from %s, on %s; %d RL"
              + " prompts, %d held out; run directory %s", policy.config.name(), o.policyRun(),
          policy.parameterCount(), o.rewardRun(), o.device(), trainSet.size(), evalSet.size(),
          o.runDir().toAbsolutePath()));

      PolicyEval.Result before = null;
      List<Example> evalExamples = evalSet.stream().map(Prompt::example).toList();
      if (resumeFrom.isEmpty()) {
        before = PolicyEval.evaluate(policy, null, rm, template, evalExamples, maxNew, o.seed() + 1).withKl(0.0);
        LOG.info(String.format("ppo: before: held-out reward %.4f, rule score %.4f; sample: %s", before.reward(),
            before.ruleScore(), before.sample()));
      }

      List<StepMetrics> history = new ArrayList<>();
      double beta = o.beta();
      int tooFar = 0;
      double klLast = Double.NaN;
      int start = resumeFrom.map(f -> (int) Checkpoints.stepOf(f)).orElse(0);
      if (start > o.steps()) {
        throw new InvalidOptionException("steps", " " + o.steps() + ": the latest checkpoint to {resume} from, "
            + resumeFrom.get().getFileName() + ", is at step " + start + ", past it");
      }
      try (AdamW policyOpt = new AdamW(policy.parameters(), o.lr(), o.beta1(), o.beta2(), o.eps(), 0f);
           AdamW criticOpt = new AdamW(critic.parameters(), o.lr(), o.beta1(), o.beta2(), o.eps(), 0f)) {
        if (resumeFrom.isPresent()) {
          if (Ranks.writes()) {
            Checkpoints.removeStaleTemporaries(o.runDir());
          }
          Map<String, String> meta = loadCheckpoint(resumeFrom.get(), checkpointGroups(policy, policyOpt, critic, criticOpt));
          beta = Double.parseDouble(meta.get("beta"));
          tooFar = Integer.parseInt(meta.getOrDefault("too_far", "0"));
          klLast = Double.parseDouble(meta.getOrDefault("kl_last", "NaN"));
          LOG.info(String.format("ppo: resuming from %s (step %d, beta %.6f)", resumeFrom.get(), start, beta));
        }
        try (Metrics metrics = Ranks.writes() ? new Metrics(o.runDir(), o.steps(), start)
            : Metrics.silent(o.steps(), start);
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
              LOG.warn(String.format("ppo: step %d: KL %.3f is over 3x the target %.3f", step, m.kl(),
                  o.targetKl()));
            }
            if (m.responseLength() < 2) {
              LOG.warn(String.format("ppo: step %d: mean response length %.2f tokens (collapse?)", step,
                  m.responseLength()));
            }
            tooFar = m.kl() > 10 * o.targetKl() ? tooFar + 1 : 0;
            if (tooFar >= 3) {
              throw new IllegalStateException(String.format("ppo: stopped at step %d: KL to the reference %.3f"
                  + " has been over 10x the target %.3f for 3 consecutive steps; lower the learning rate or raise beta", step,
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
                if (Ranks.writes()) { // data-parallel: every rank holds the same models and optimizers
                  saved = saveCheckpoint(o, step, checkpointGroups(policy, policyOpt, critic, criticOpt), beta, tooFar,
                      klLast);
                }
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
      LOG.info(String.format("ppo: held-out reward %s -> %.4f, rule score %s -> %.4f, final KL %.4f; sample: %s",
          before == null ? "-" : String.format("%.4f", before.reward()), after.reward(),
          before == null ? "-" : String.format("%.4f", before.ruleScore()), after.ruleScore(), klFinal,
          after.sample()));
      run.writeReport(REPORT, report(o, before, after, klFinal, evalSet.size()));
      return new Result(before, after, klFinal, history);
    }
  }

  /** Whitening over every rank's advantages: the mean and variance of all of them (one all-reduce). */
  private static double[] whitenOverRanks(Communicator comm, double[] x) {
    double sum = 0, sumSq = 0;
    for (double v : x) {
      sum += v;
      sumSq += v * v;
    }
    double[] total = comm.allReduceSum(new double[] {sum, sumSq, x.length});
    double mean = total[0] / total[2];
    return Gae.whiten(x, mean, Math.max(0, total[1] / total[2] - mean * mean), Gae.EPS);
  }

  /** What a PPO checkpoint holds: the policy as the run's model (so it loads as one), the critic under {@link #CRITIC}. */
  private static List<Checkpoints.Group> checkpointGroups(Gpt policy, AdamW policyOpt, RewardModel critic,
      AdamW criticOpt) {
    return List.of(Checkpoints.Group.main(policy, policyOpt), new Checkpoints.Group(CRITIC, critic, criticOpt));
  }

  /**
   * Writes {@code checkpoints/step_N.safetensors} with both models, their optimizers and the loop's
   * state (KL controller, guardrail, seed); prunes to the newest {@code keepCheckpoints}.
   */
  private static Path saveCheckpoint(PpoOptions o, int step, List<Checkpoints.Group> groups, double beta, int tooFar,
      double klLast) {
    Map<String, String> state = new LinkedHashMap<>();
    state.put("phase", PHASE);
    state.put("beta", Double.toString(beta));
    state.put("too_far", Integer.toString(tooFar));
    state.put("kl_last", Double.toString(klLast));
    state.put("seed", Long.toString(o.seed()));
    return new Checkpoints(o.runDir(), o.keepCheckpoints()).save(step, groups, state);
  }

  /** Restores policy, critic and both optimizers from a PPO checkpoint; returns its metadata. */
  private static Map<String, String> loadCheckpoint(Path file, List<Checkpoints.Group> groups) {
    Map<String, String> meta = Checkpoints.metadata(file);
    if (!PHASE.equals(meta.get("phase")) || !meta.containsKey("beta") || !meta.containsKey("critic_optimizer_step")) {
      throw new InvalidOptionException("resume", ": " + file + " is not a PPO checkpoint (phase '"
          + meta.get("phase") + "', no critic or KL controller state)");
    }
    return Checkpoints.load(file, groups);
  }

  /** A step's figures, its metrics.jsonl line and the tokens its update trained on. */
  private record Stepped(StepMetrics metrics, Map<String, Object> line, long trainTokens) {}

  private static Stepped step(PpoOptions o, int step, Random rng, double beta, Gpt policy, Gpt reference,
      RewardModel critic, RewardModel rm, AdamW policyOpt, AdamW criticOpt, ChatTemplate template,
      List<Prompt> trainSet, int maxNew, Metrics metrics) {
    int B = o.batch();
    // data-parallel: every rank draws the step's B prompts alike and rolls out its share of them
    Communicator comm = Ranks.job();
    DataShard shard = comm == null ? DataShard.WHOLE : new DataShard(comm.rank(), comm.size());
    int from = shard.from(B), to = shard.to(B);
    int[][] prompts = new int[to - from][];
    for (int b = 0; b < B; b++) {
      // shuffled: drawn by the step's generator; sequential: the prompts in their order, wrapping around
      int i = o.dataOrder().shuffled() ? rng.nextInt(trainSet.size())
          : (int) (((long) (step - 1) * B + b) % trainSet.size());
      if (b >= from && b < to) {
        prompts[b - from] = trainSet.get(i).tokens();
      }
    }
    long g0 = System.nanoTime();
    Rollout ro;
    try (Profiler.Phase ph = Profiler.phase("generation")) {
      long seed = o.seed() * 7919L + step;  // a rank's own sampling stream; one process's as it always was
      ro = Rollout.sample(policy, prompts, maxNew, 1f, template.endToken(),
          shard.ranks() == 1 ? seed : seed + shard.rank() * 0x9E3779B97F4A7C15L);
    }
    double genSec = (System.nanoTime() - g0) / 1e9;
    int[][] replies = ro.replies();
    int[][] seqs = ro.sequences();
    long genTokens = ro.trainedReplyTokens();
    double respLen = 0;
    for (int[] reply : replies) {
      respLen += reply.length;
    }
    SequenceLogProbs.Padded p = ro.padded(0);
    int T = p.length();
    float[] lpOld, lpRef, vOld;
    try (Profiler.Phase ph = Profiler.phase("forward")) { // the rollout's log-probs and values, no gradient
      lpOld = TokenLogProbs.noGrad(policy, p);
      lpRef = TokenLogProbs.noGrad(reference, p);
      vOld = values(critic, p);
    }
    double[] scores;
    try (Profiler.Phase ph = Profiler.phase("reward scoring")) {
      // the sequences trained on: <|end|> is read only where the reply stopped by itself
      scores = RewardScores.noGrad(rm, seqs, 0);
    }

    PpoAdvantages.Result a = PpoAdvantages.compute(ro, T, lpOld, lpRef, vOld, scores, beta, o.gamma(), o.lambda(),
        comm == null ? Gae::whiten : x -> whitenOverRanks(comm, x));
    double klSum = a.klSum();

    long t0 = System.nanoTime();
    PpoUpdate.Figures u = PpoUpdate.run(o, rng, comm, policy, critic, policyOpt, criticOpt,
        new PpoUpdate.Rollout(p, a.mask(), lpOld, vOld, a.advantages(), a.returns()));
    long trainTokens = u.trainTokens();
    double trainSec = (System.nanoTime() - t0) / 1e9;
    Profiler.stepEnd(); // the log line and its sample below are outside the step's timed part
    double meanReward = 0;
    for (double s : scores) {
      meanReward += s;
    }
    if (comm != null) { // the step's figures are the whole batch's: every rank steers beta alike
      double[] sums = comm.allReduceSum(new double[] {meanReward, klSum, respLen});
      meanReward = sums[0];
      klSum = sums[1];
      respLen = sums[2];
    }
    respLen /= B;
    StepMetrics m = new StepMetrics(step, meanReward / B, klSum / B, beta, u.entropy(), u.clipFraction(),
        u.approxKl(), u.policyLoss(), u.valueLoss(), respLen, genTokens / Math.max(1e-9, genSec),
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
    LOG.info(String.format("ppo: step %d/%d reward %.4f kl %.4f beta %.4f entropy %.3f clip %.3f approx-kl %.4f"
            + " value-loss %.4f length %.1f | gen %.0f tok/s, train %.0f tok/s", step, o.steps(), m.reward(), m.kl(),
        m.beta(), m.entropy(), m.clipFraction(), m.approxKl(), m.valueLoss(), m.responseLength(),
        m.genTokensPerSec(), m.trainTokensPerSec()));
    if (step == 1 || step % 10 == 0 || step == o.steps()) {
      LOG.info("ppo: sample: " + sample);
    }
    return new Stepped(m, line, trainTokens);
  }

  private static float[] values(RewardModel critic, SequenceLogProbs.Padded p) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      return critic.values(Tensor.ofInts(p.tokens(), critic.device(), p.batch(), p.length()), null).toFloatArray();
    }
  }

  private static Map<String, Object> report(PpoOptions o, PolicyEval.Result before, PolicyEval.Result after, double klFinal,
      int evalPrompts) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("policy_run", o.policyRun().toString());
    report.put("reward_run", o.rewardRun().toString());
    report.put("steps", o.steps());
    report.put("eval_prompts", evalPrompts);
    report.put("reward_before", before == null ? null : Json.finite(before.reward()));
    report.put("reward_after", Json.finite(after.reward()));
    report.put("kl_final", Json.finite(klFinal));
    report.put("rule_score_before", before == null ? null : Json.finite(before.ruleScore()));
    report.put("rule_score_after", Json.finite(after.ruleScore()));
    report.put("sample_before", before == null ? null : before.sample());
    report.put("sample_after", after.sample());
    report.put("decoding", PolicyEval.SAMPLES + " samples per prompt at temperature " + PolicyEval.TEMPERATURE);
    report.put("before", before == null ? null : before.toMap());
    report.put("after", after.toMap());
    return report;
  }
}
