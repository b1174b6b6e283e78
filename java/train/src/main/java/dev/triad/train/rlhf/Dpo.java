package dev.triad.train.rlhf;

import dev.triad.data.EvenlySpaced;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.Example;
import dev.triad.data.pref.PreferenceData;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RLHF phase by direct preference optimisation: an SFT run's model learns to prefer the chosen
 * reply of each pair over the rejected one, relative to a frozen reference (the same SFT weights).
 * The reference's log-probs of every training and held-out pair are computed once, before
 * training, and cached; so the reference never needs to stay in memory next to the policy.
 */
public final class Dpo {
  private static final Logger LOG = LoggerFactory.getLogger(Dpo.class);

  private Dpo() {}

  /** What a run measured: training figures and held-out DPO statistics before (null on resume) and after. */
  public record Result(Trainer.Result training, DpoLoss.Stats before, DpoLoss.Stats after,
      PolicyEval.Result policyBefore, PolicyEval.Result policyAfter) {}

  /** Reply budget of the before/after evaluation of sampled replies: room for a wordy reply to finish. */
  static final int EVAL_MAX_NEW_TOKENS = 64;

  /**
   * Every fifth RL prompt of the embedded preference data (the ones GRPO holds out too), evenly
   * thinned to {@code n}, that fits {@code context} with the evaluation's reply budget.
   */
  static List<Example> evalPrompts(ChatTemplate template, long seed, int n, int context) {
    List<Example> fit = new ArrayList<>();
    List<Example> rl = PreferenceData.defaultSplit(seed).rlPrompts();
    for (int i = 4; i < rl.size(); i += 5) {
      if (PolicyEval.render(template, rl.get(i)).length + EVAL_MAX_NEW_TOKENS + 1 <= context) {
        fit.add(rl.get(i));
      }
    }
    return EvenlySpaced.pick(fit, n);
  }

  /** Triples as {prompt, chosen, rejected} for the audit's start checks. */
  private static List<int[][]> asArrays(List<Triple> triples) {
    List<int[][]> out = new ArrayList<>(triples.size());
    triples.forEach(t -> out.add(new int[][] {t.prompt(), t.chosen(), t.rejected()}));
    return out;
  }

  public static Result run(DpoOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /** As {@link #run(DpoOptions)}, reporting each step, evaluation and checkpoint to {@code listener}. */
  public static Result run(DpoOptions o, TrainingListener listener) {
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Result runLocked(DpoOptions o, TrainingListener listener) {
    RunDirectory run = RunDirectory.open(o.runDir(), o.resume(), o.train().steps());
    RunInfo base = RunInfo.read(o.baseRun());
    Tokenizer tokenizer = Tokenizer.byName(base.tokenizer());
    ChatTemplate template = new ChatTemplate(tokenizer);
    ChatRuns.requireChatRun("dpo", o.baseRun(), base);
    int context = base.blockSize();
    PlanCheck.require(new MemoryPlan.Spec(base.modelConfig(), o.device() == Device.CUDA, o.batch(), context, o.precision(),
        MemoryPlan.Phase.DPO, o.device(), o.train().gradAccum(), 0));
    List<Triple> train = fitting(o.trainPairs(), context, "training");
    List<Triple> heldOut = fitting(o.heldOutPairs(), context, "held-out");
    if (train.isEmpty()) {
      throw new IllegalArgumentException("dpo: no training pairs" + (o.trainPairs().isEmpty() ? ""
          : " fit the model's context of " + context + " tokens"));
    }
    dev.triad.train.audit.StartChecks.tokenPairs(asArrays(train), asArrays(heldOut)).forEach(LOG::warn);
    checkIds(train, template.vocabSize(), "training");
    checkIds(heldOut, template.vocabSize(), "held-out");

    Map<String, Object> settings = RunDirectory.chatSettings(o.baseRun());
    settings.put("data", o.data());
    settings.put("train_pairs", train.size());
    settings.put("held_out_pairs", heldOut.size());
    settings.put("beta", o.beta());
    settings.put("batch", o.batch());
    settings.put("train", o.train());

    // The policy starts as the SFT weights. Before any step (and before a resume restores the DPO
    // checkpoint into it) those weights are the frozen reference: the cache is computed from them.
    Gpt model = RunInfo.loadModel(o.baseRun(), null, o.device(), o.precision());
    try (model) {
      long t0 = System.nanoTime();
      ReferenceLogProbs trainRef = ReferenceLogProbs.compute(model, train, o.batch());
      ReferenceLogProbs heldOutRef = ReferenceLogProbs.compute(model, heldOut, o.batch());
      LOG.info(String.format("dpo: %s from %s, %,d parameters, on %s; %d training and %d held-out pairs,"
              + " reference log-probs cached in %.1f s; run directory %s", model.config.name(), o.baseRun(),
          model.parameterCount(), o.device(), train.size(), heldOut.size(), (System.nanoTime() - t0) / 1e9,
          o.runDir().toAbsolutePath()));
      run.writeInfo("dpo", model.config, tokenizer.name(), o.precision(), settings);
      List<Example> evalSet = evalPrompts(template, o.train().seed(), o.evalPrompts(), context);
      PolicyEval.Result policyBefore = o.resume() || evalSet.isEmpty() ? null
          : PolicyEval.evaluate(model, null, null, template, evalSet, EVAL_MAX_NEW_TOKENS, o.train().seed() + 1)
              .withKl(0.0);

      Supplier<String> sampler = heldOut.isEmpty() ? null : () -> {
        int[] prompt = heldOut.get(0).prompt();
        int budget = Math.min(48, model.config.blockSize() - prompt.length);
        if (budget < 1) {
          return null;
        }
        int[][] out = Generator.generate(model, new int[][] {prompt},
            new SamplingConfig(budget, 0f, 0, 1f, new int[] {template.endToken()}, 0));
        return template.decodeText(prompt) + " -> " + template.decodeText(out[0]);
      };
      DpoTask task = new DpoTask(model, train, trainRef, heldOut, heldOutRef, o.batch(), o.beta(), o.train().seed(),
          sampler).withDataOrder(o.train().dataOrder());
      Trainer.Result r;
      try (Trainer trainer = new Trainer(model, task, o.train(), o.runDir(),
          6.0 * model.parameterCount(), dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision()))) {
        trainer.addListener(listener);
        r = trainer.run(o.resume());
      }
      DpoLoss.Stats before = task.firstEvaluation();
      DpoLoss.Stats after = task.lastEvaluation();
      if (after == null && !heldOut.isEmpty()) {
        try (var ng = dev.triad.autograd.Autograd.noGrad()) {
          after = task.evaluateStats();
        }
      }
      if (after != null) {
        LOG.info(String.format("dpo: held-out pairs ranked right %s -> %.1f%%, reward margin %s -> %.4f, DPO loss %s -> %.4f",
            before == null ? "-" : String.format("%.1f%%", 100 * before.accuracy()), 100 * after.accuracy(),
            before == null ? "-" : String.format("%.4f", before.margin()), after.margin(),
            before == null ? "-" : String.format("%.4f", before.loss()), after.loss()));
      }
      LOG.info(String.format("dpo: done. loss %.4f -> %.4f; checkpoints in %s", r.firstLoss(), r.lastLoss(),
          o.runDir().resolve("checkpoints").toAbsolutePath()));
      // the policy's own replies to held-out prompts, scored by the evaluation-only rule scorer
      PolicyEval.Result policyAfter = null;
      if (!evalSet.isEmpty()) {
        try (Gpt reference = RunInfo.loadModel(o.baseRun(), null, o.device(), o.precision())) {
          policyAfter = PolicyEval.evaluate(model, reference, null, template, evalSet, EVAL_MAX_NEW_TOKENS,
              o.train().seed() + 1);
        }
        LOG.info(String.format("dpo: rule score of sampled replies %s -> %.4f, exact answers %s -> %.1f%%, harmful %s -> %.1f%%,"
                + " KL to the reference %.4f",
            policyBefore == null ? "-" : String.format("%.4f", policyBefore.ruleScore()), policyAfter.ruleScore(),
            policyBefore == null ? "-" : String.format("%.1f%%", 100 * policyBefore.exactShare()),
            100 * policyAfter.exactShare(),
            policyBefore == null ? "-" : String.format("%.1f%%", 100 * policyBefore.harmfulShare()),
            100 * policyAfter.harmfulShare(), policyAfter.kl()));
      }
      run.writeReport("dpo_eval.json", report(o, heldOut.size(), before, after, policyBefore, policyAfter));
      return new Result(r, before, after, policyBefore, policyAfter);
    }
  }

  private static List<Triple> fitting(List<Triple> pairs, int context, String what) {
    List<Triple> out = new ArrayList<>(pairs.size());
    for (Triple t : pairs) {
      if (t.maxLength() <= context) {
        out.add(t);
      }
    }
    if (out.size() < pairs.size()) {
      LOG.info(String.format("dpo: %d of %d %s pairs are longer than the model's context of %d tokens and are left out",
          pairs.size() - out.size(), pairs.size(), what, context));
    }
    return out;
  }

  private static void checkIds(List<Triple> pairs, int vocab, String what) {
    for (int i = 0; i < pairs.size(); i++) {
      Triple t = pairs.get(i);
      for (int[] part : new int[][] {t.prompt(), t.chosen(), t.rejected()}) {
        for (int id : part) {
          if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException("dpo: " + what + " pair " + (i + 1) + " holds token id " + id
                + ", outside the model's vocabulary [0, " + vocab + ")");
          }
        }
      }
    }
  }

  private static Map<String, Object> statsMap(DpoLoss.Stats s) {
    if (s == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("loss", s.loss());
    m.put("accuracy", s.accuracy());
    m.put("margin", s.margin());
    m.put("rewards_chosen", s.rewardChosen());
    m.put("rewards_rejected", s.rewardRejected());
    return m;
  }

  /** {@code <run>/dpo_eval.json}: held-out DPO statistics before (fresh runs) and after training. */
  private static Map<String, Object> report(DpoOptions o, int heldOutPairs, DpoLoss.Stats before, DpoLoss.Stats after,
      PolicyEval.Result policyBefore, PolicyEval.Result policyAfter) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("base_run", o.baseRun().toString());
    report.put("beta", o.beta());
    report.put("steps", o.train().steps());
    report.put("held_out_pairs", heldOutPairs);
    report.put("before", statsMap(before));
    report.put("after", statsMap(after));
    report.put("decoding", PolicyEval.SAMPLES + " samples per prompt at temperature " + PolicyEval.TEMPERATURE);
    report.put("rule_score_before", policyBefore == null ? null : policyBefore.ruleScore());
    report.put("rule_score_after", policyAfter == null ? null : policyAfter.ruleScore());
    report.put("policy_before", policyBefore == null ? null : policyBefore.toMap());
    report.put("policy_after", policyAfter == null ? null : policyAfter.toMap());
    return report;
  }
}
