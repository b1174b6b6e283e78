package dev.triad.train.rlhf;

import dev.triad.data.EvenlySpaced;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.Example;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.RuleScorer;
import dev.triad.io.Json;
import dev.triad.nn.Gpt;
import dev.triad.nn.RewardModel;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.tensor.Device;
import dev.triad.train.ChatRuns;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.Trainer;
import dev.triad.train.TrainingListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RLHF phase by GRPO (group relative policy optimisation, Shao et al., 2024): the policy (an SFT
 * run's model) samples G replies to each of P prompts per step, a frozen reward model (a
 * {@code triad reward} run) scores them, each reply's advantage is its reward normalised within its
 * prompt's group ({@link GrpoAdvantages}; no critic), and the clipped surrogate plus an optional k3
 * KL penalty to a frozen copy of the SFT weights ({@link GrpoLoss}) is minimised. Prompts are the RL
 * prompts of {@link PreferenceData#defaultSplit} (never in a preference pair): every fifth is held
 * out for evaluation. Before (fresh runs) and after training, greedy replies to the held-out prompts
 * are scored by the reward model and by the evaluation-only {@link RuleScorer}; {@code
 * <run>/grpo_eval.json} records both and the final KL to the reference.
 */
public final class Grpo {
  private static final Logger LOG = LoggerFactory.getLogger(Grpo.class);

  private Grpo() {}

  public static final String PHASE = "grpo";
  public static final String REPORT = "grpo_eval.json";

  /** The training figures and the {@link PolicyEval} before (null on resume) and after. */
  public record Result(Trainer.Result training, PolicyEval.Result before, PolicyEval.Result after) {}

  public static Result run(GrpoOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /** As {@link #run(GrpoOptions)}, reporting each step, evaluation and checkpoint to {@code listener}. */
  public static Result run(GrpoOptions o, TrainingListener listener) {
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Result runLocked(GrpoOptions o, TrainingListener listener) {
    RunDirectory run = RunDirectory.open(o.runDir(), o.resume(), o.train().steps());
    RunInfo base = RunInfo.read(o.policyRun());
    Tokenizer tokenizer = Tokenizer.byName(base.tokenizer());
    ChatTemplate template = new ChatTemplate(tokenizer);
    ChatRuns.requireChatRun("grpo", o.policyRun(), base);
    RunInfo rmInfo = RunInfo.read(o.rewardRun());
    if (!RewardTraining.PHASE.equals(rmInfo.phase())) {
      throw new IllegalArgumentException("grpo: " + o.rewardRun() + " is a '" + rmInfo.phase()
          + "' run, not a `triad reward` run");
    }
    if (!base.tokenizer().equals(rmInfo.tokenizer()) || rmInfo.vocabSize() != base.vocabSize()) {
      throw new IllegalArgumentException("grpo: the reward model (" + rmInfo.tokenizer() + ", vocabulary "
          + rmInfo.vocabSize() + ") and the policy (" + base.tokenizer() + ", " + base.vocabSize()
          + ") do not share a vocabulary");
    }
    int context = Math.min(base.blockSize(), rmInfo.blockSize());
    PreferenceData.Split split = PreferenceData.defaultSplit(o.train().seed());
    List<int[]> trainPrompts = new ArrayList<>();
    List<Example> evalAll = new ArrayList<>();
    List<Example> rl = split.rlPrompts();
    int tooLong = 0;
    for (int i = 0; i < rl.size(); i++) {
      Example e = rl.get(i);
      int[] tokens = PolicyEval.render(template, e);
      if (tokens.length + 2 > context) {
        tooLong++;
        continue;
      }
      if (i % 5 == 4) {
        evalAll.add(e);
      } else {
        trainPrompts.add(tokens);
      }
    }
    List<Example> evalSet = EvenlySpaced.pick(evalAll, o.evalPrompts());
    if (trainPrompts.isEmpty() || evalSet.isEmpty()) {
      throw new IllegalArgumentException("grpo: no RL prompt fits the model's context of " + context + " tokens");
    }

    int longest = 0;
    for (int[] p : trainPrompts) {
      longest = Math.max(longest, p.length);
    }
    PlanCheck.require(new MemoryPlan.Spec(base.modelConfig(), o.device() == Device.CUDA, o.prompts(),
        Math.min(context, longest + o.maxNewTokens() + 1), o.precision(), MemoryPlan.Phase.GRPO, o.device(),
        o.train().gradAccum(), o.group()));

    Map<String, Object> settings = RunDirectory.chatSettings(o.policyRun());
    settings.put("reward_run", o.rewardRun().toString());
    settings.put("data", "RL prompts of the embedded preference data (seed " + o.train().seed() + ")");
    settings.put("train_prompts", trainPrompts.size());
    settings.put("eval_prompts", evalSet.size());
    settings.put("prompts_per_step", o.prompts());
    settings.put("group", o.group());
    settings.put("max_new_tokens", o.maxNewTokens());
    settings.put("temperature", 1.0);
    settings.put("beta", o.beta());
    settings.put("clip_eps", o.clipEps());
    settings.put("loss", "clipped surrogate with group-normalised advantages + beta * k3 KL to the SFT reference");
    settings.put("train", o.train());

    Gpt policy = RunInfo.loadModel(o.policyRun(), null, o.device(), o.precision());
    Gpt reference = null;
    RewardModel rm = null;
    try {
      reference = o.beta() > 0 ? RunInfo.loadModel(o.policyRun(), null, o.device(), o.precision()) : null;
      rm = RewardTraining.loadModel(o.rewardRun(), null, o.device(), o.precision());
      LOG.info(String.format("grpo: %s from %s, %,d parameters, reward model %s, on %s; %d training and %d held-out"
              + " prompts%s; run directory %s", policy.config.name(), o.policyRun(), policy.parameterCount(),
          o.rewardRun(), o.device(), trainPrompts.size(), evalSet.size(),
          tooLong > 0 ? " (" + tooLong + " too long for the context left out)" : "", o.runDir().toAbsolutePath()));
      run.writeInfo(PHASE, policy.config, tokenizer.name(), o.precision(), settings);

      int pad = template.bosToken();
      PolicyEval.Result before = null;
      long evalSeed = o.train().seed() + 1;
      if (!o.resume()) {
        // the policy still equals the reference: its KL is 0 by definition
        before = PolicyEval.evaluate(policy, null, rm, template, evalSet, o.maxNewTokens(), evalSeed).withKl(0.0);
        LOG.info(String.format("grpo: before: held-out reward %.4f, rule score %.4f", before.reward(), before.ruleScore()));
      }
      GrpoTask task = new GrpoTask(policy, reference, rm, trainPrompts, o.prompts(), o.group(), o.maxNewTokens(),
          template.endToken(), pad, o.clipEps(), o.beta(), o.train().seed()).withDataOrder(o.train().dataOrder());
      Trainer.Result r;
      try (Trainer trainer = new Trainer(policy, task, o.train(), o.runDir(), 6.0 * policy.parameterCount(),
          dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision()))) {
        trainer.addListener(listener);
        r = trainer.run(o.resume());
      }
      Gpt klRef = reference != null ? reference : RunInfo.loadModel(o.policyRun(), null, o.device(), o.precision());
      PolicyEval.Result after;
      try {
        after = PolicyEval.evaluate(policy, klRef, rm, template, evalSet, o.maxNewTokens(), evalSeed);
      } finally {
        if (klRef != reference) {
          klRef.close();
        }
      }
      LOG.info(String.format("grpo: held-out reward %s -> %.4f, rule score %s -> %.4f, KL to the reference %.4f",
          before == null ? "-" : String.format("%.4f", before.reward()), after.reward(),
          before == null ? "-" : String.format("%.4f", before.ruleScore()), after.ruleScore(), after.kl()));
      run.writeReport(REPORT, report(o, before, after));
      LOG.info(String.format("grpo: done; checkpoints in %s", o.runDir().resolve("checkpoints").toAbsolutePath()));
      return new Result(r, before, after);
    } finally {
      if (rm != null) {
        rm.close();
      }
      if (reference != null) {
        reference.close();
      }
      policy.close();
    }
  }

  /** {@code <run>/grpo_eval.json}. */
  private static Map<String, Object> report(GrpoOptions o, PolicyEval.Result before, PolicyEval.Result after) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("policy_run", o.policyRun().toString());
    out.put("reward_run", o.rewardRun().toString());
    out.put("steps", o.train().steps());
    out.put("eval_prompts", after.prompts());
    out.put("decoding", PolicyEval.SAMPLES + " samples per prompt at temperature " + PolicyEval.TEMPERATURE);
    out.put("reward_before", before == null ? null : Json.finite(before.reward()));
    out.put("reward_after", Json.finite(after.reward()));
    out.put("kl_final", Json.finite(after.kl()));
    out.put("rule_score_before", before == null ? null : Json.finite(before.ruleScore()));
    out.put("rule_score_after", Json.finite(after.ruleScore()));
    out.put("before", before == null ? null : before.toMap());
    out.put("after", after.toMap());
    return out;
  }
}
