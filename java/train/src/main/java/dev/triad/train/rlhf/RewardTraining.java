package dev.triad.train.rlhf;

import dev.triad.data.EveryNth;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.data.pref.PreferencePair;
import dev.triad.io.Json;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.nn.RewardModel;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.tensor.Device;
import dev.triad.train.ChatRuns;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.Trainer;
import dev.triad.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phase three, part one: a reward model trained on preference pairs. It starts from an SFT run (its
 * backbone with the chat template's vocabulary; a pretrained run is grown to it), adds a scalar head
 * read at the last token of prompt + reply + {@code <|end|>}, and learns with the Bradley–Terry loss
 * {@code -log sigmoid(r_chosen - r_rejected - margin)} to score the chosen reply above the rejected
 * one. Without {@code --data} it uses {@link PreferenceData}. Reports held-out accuracy (share of
 * pairs ranked right), mean margin and reward statistics before and after, in
 * {@code <run>/reward_eval.json}.
 */
public final class RewardTraining {
  private static final Logger LOG = LoggerFactory.getLogger(RewardTraining.class);

  private RewardTraining() {}

  public static final String PHASE = "reward";
  public static final String REPORT = "reward_eval.json";

  /** What a run measured: held-out results before (null when resumed) and after training. */
  public record Result(Trainer.Result training, Report before, Report after) {}

  /** Held-out results: pairs, loss, accuracy, mean margin, reward mean/std, and accuracy per rule (embedded data). */
  public record Report(int pairs, double loss, double accuracy, double meanMargin, double rewardMean, double rewardStd,
      Map<String, Double> accuracyByRule) {}

  private record Data(List<PreferencePair> train, List<PreferencePair> heldOut, String source) {}

  public static Result run(RewardTrainingOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /** As {@link #run(RewardTrainingOptions)}, reporting each step, evaluation and checkpoint to {@code listener}. */
  public static Result run(RewardTrainingOptions o, TrainingListener listener) {
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Result runLocked(RewardTrainingOptions o, TrainingListener listener) {
    RunDirectory run = RunDirectory.open(o.runDir(), o.resume(), o.train().steps());
    RunInfo base = RunInfo.read(o.baseRun());
    ChatRuns.requireCurrentTemplate("reward", o.baseRun(), base);   // a pretrained base or one tuned in this template
    Tokenizer tokenizer = Tokenizer.byName(base.tokenizer());
    ChatTemplate template = new ChatTemplate(tokenizer);
    int seq = base.requireContext(o.seqLen(), o.baseRun());
    PlanCheck.require(new MemoryPlan.Spec(base.modelConfig().withVocabSize(template.vocabSize()),
        o.device() == Device.CUDA, o.batch(), seq, o.precision(), MemoryPlan.Phase.REWARD, o.device(),
        o.train().gradAccum(), 0));
    Data data = load(o);
    dev.triad.train.audit.StartChecks.preference(data.train(), data.heldOut()).forEach(LOG::warn);
    int[] dropped = new int[1];
    List<RewardTask.Encoded> train = encode(template, data.train(), seq, dropped);
    List<PreferencePair> heldOutKept = new ArrayList<>();
    List<RewardTask.Encoded> heldOut = new ArrayList<>();
    for (PreferencePair p : data.heldOut()) {
      RewardTask.Encoded e = encode(template, p, seq);
      if (e != null) {
        heldOut.add(e);
        heldOutKept.add(p);
      } else {
        dropped[0]++;
      }
    }
    if (train.isEmpty()) {
      throw new IllegalArgumentException("reward: no training pair fits in " + seq + " tokens (" + data.train().size()
          + " pairs, all too long); use a model with a longer context or shorter data");
    }
    LOG.info(String.format("reward: %d training and %d held-out pairs from %s%s", train.size(), heldOut.size(),
        data.source(), dropped[0] > 0 ? "; " + dropped[0] + " pairs longer than " + seq + " tokens dropped" : ""));

    Map<String, Object> settings = RunDirectory.chatSettings(o.baseRun());
    settings.put("base_phase", base.phase());
    settings.put("data", data.source());
    settings.put("batch_pairs", o.batch());
    settings.put("seq_len", seq);
    settings.put("margin", o.margin());
    settings.put("head", "score: linear C->1 at the last token (<|end|>)");
    settings.put("loss", "bradley-terry: -log sigmoid(r_chosen - r_rejected - margin)");
    settings.put("train", o.train());

    RewardModel model = new RewardModel(backbone(o.baseRun(), template, o.device(), o.precision()), o.train().seed(),
        RewardModel.HEAD_STD);
    try (model) {
      run.writeInfo(PHASE, model.backbone.config, tokenizer.name(), o.precision(), settings);
      LOG.info(String.format("reward: %s backbone from %s, %,d parameters, on %s; run directory %s",
          model.backbone.config.name(), o.baseRun(), model.parameterCount(), o.device(), o.runDir().toAbsolutePath()));
      RewardTask task = new RewardTask(model, train, heldOut, o.batch(), o.margin(), o.train().seed(),
          template.bosToken()).withDataOrder(o.train().dataOrder());
      Trainer.Result r;
      try (Trainer trainer = new Trainer(model, task, o.train(), o.runDir(), 6.0 * model.parameterCount(),
          dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision()))) {
        trainer.addListener(listener);
        r = trainer.run(o.resume());
      }
      boolean embedded = o.dataFile() == null;
      Report before = o.resume() || task.firstEval() == null ? null : report(task.firstEval(), heldOutKept, embedded);
      Report after = task.lastEval() == null ? null : report(task.lastEval(), heldOutKept, embedded);
      if (after != null) {
        print(before, after);
      }
      run.writeReport(REPORT, report(before, after, o.margin()));
      LOG.info(String.format("reward: done. loss %.4f -> %.4f, held-out loss %.4f -> %.4f; checkpoints in %s",
          r.firstLoss(), r.lastLoss(), r.firstValLoss(), r.lastValLoss(),
          o.runDir().resolve("checkpoints").toAbsolutePath()));
      return new Result(r, before, after);
    }
  }

  /**
   * The backbone of an SFT run (vocabulary = the chat template's); a pretrained run (base
   * vocabulary) is grown by the template's special tokens, as SFT does.
   */
  static Gpt backbone(Path baseRun, ChatTemplate template, Device device, Precision precision) {
    Gpt loaded = RunInfo.loadModel(baseRun, null, device, precision);
    int v = loaded.config.vocabSize();
    if (v == template.vocabSize()) {
      return loaded;
    }
    try {
      if (v == template.base().vocabSize()) {
        LOG.info("reward: note: " + baseRun + " has no chat tokens (not an SFT run); growing its vocabulary"
            + " by the chat template's " + ChatTemplate.SPECIAL_TOKENS + " special tokens");
        return Gpt.withVocabulary(loaded, template.vocabSize(), template.embeddingSeeds());
      }
      throw new IllegalArgumentException(baseRun + ": vocabulary of " + v + " tokens fits neither the chat template ("
          + template.vocabSize() + ") nor its base tokenizer (" + template.base().vocabSize() + ")");
    } finally {
      loaded.close();
    }
  }

  /**
   * The reward model of a reward run, with its latest checkpoint (or {@code checkpoint} when given),
   * in the device's default precision.
   */
  public static RewardModel loadModel(Path runDir, Path checkpoint, Device device) {
    return loadModel(runDir, checkpoint, device, Precision.defaultFor(device));
  }

  /** The same in {@code precision} (the checkpoint's f32 values rounded into a bf16 model). */
  public static RewardModel loadModel(Path runDir, Path checkpoint, Device device, Precision precision) {
    RunInfo info = RunInfo.read(runDir);
    if (!PHASE.equals(info.phase())) {
      throw new IllegalArgumentException(runDir + " is a '" + info.phase() + "' run, not a reward model run");
    }
    return Checkpoints.loadWeights(Checkpoints.givenOrLatest(runDir, checkpoint),
        new RewardModel(new Gpt(info.modelConfig(), device, precision, 0), 0, 0f));
  }

  /**
   * The tokens the reward model scores: the prompt as generation renders it
   * ({@link ChatTemplate#renderPrompt}: ... {@code <|assistant|>}), the reply, and {@code <|end|>}.
   * For a valid conversation this equals {@code template.render(prompt + reply).tokens()}.
   */
  public static int[] render(ChatTemplate template, List<Message> prompt, String reply) {
    int[] p = template.renderPrompt(prompt);
    int[] r = template.encodeReply(reply);
    int[] out = Arrays.copyOf(p, p.length + r.length + 1);
    System.arraycopy(r, 0, out, p.length, r.length);
    out[out.length - 1] = template.endToken();
    return out;
  }

  /** The pair's two sequences, or null when either is longer than {@code seq}. */
  static RewardTask.Encoded encode(ChatTemplate template, PreferencePair p, int seq) {
    int[] c = render(template, p.prompt(), p.chosen());
    int[] r = render(template, p.prompt(), p.rejected());
    return c.length > seq || r.length > seq ? null : new RewardTask.Encoded(c, r);
  }

  private static List<RewardTask.Encoded> encode(ChatTemplate template, List<PreferencePair> pairs, int seq,
      int[] dropped) {
    List<RewardTask.Encoded> out = new ArrayList<>(pairs.size());
    for (PreferencePair p : pairs) {
      RewardTask.Encoded e = encode(template, p, seq);
      if (e == null) {
        dropped[0]++;
      } else {
        out.add(e);
      }
    }
    return out;
  }

  private static Data load(RewardTrainingOptions o) {
    if (o.dataFile() == null) {
      PreferenceData.Split s = PreferenceData.defaultSplit(o.train().seed());
      return new Data(s.train(), s.heldOut(), "embedded preference data (seed " + o.train().seed() + ")");
    }
    List<PreferencePair> all;
    try {
      all = PreferenceDataset.readJsonl(o.dataFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + o.dataFile() + ": " + e.getMessage(), e);
    }
    EveryNth<PreferencePair> split = EveryNth.split(all, 10); // held out for accuracy
    return new Data(split.kept(), split.heldOut(), o.dataFile().toString());
  }

  private static Report report(RewardTask.Eval e, List<PreferencePair> pairs, boolean embedded) {
    Map<String, Double> byRule = new LinkedHashMap<>();
    if (embedded) {
      Map<PreferenceData.Rule, int[]> counts = new LinkedHashMap<>();
      for (PreferenceData.Rule rule : PreferenceData.Rule.values()) {
        counts.put(rule, new int[2]);
      }
      for (int i = 0; i < pairs.size(); i++) {
        int[] c = counts.get(PreferenceData.ruleOf(pairs.get(i)));
        c[0] += e.chosen()[i] > e.rejected()[i] ? 1 : 0;
        c[1]++;
      }
      counts.forEach((rule, c) -> byRule.put(rule.name().toLowerCase(java.util.Locale.ROOT),
          c[1] == 0 ? null : (double) c[0] / c[1]));
    }
    BradleyTerry.Stats s = e.stats();
    return new Report(s.pairs(), e.loss(), s.accuracy(), s.meanMargin(), s.rewardMean(), s.rewardStd(), byRule);
  }

  private static void print(Report before, Report after) {
    LOG.info(String.format("reward: held-out pairs %d: accuracy %s -> %.1f%%, mean margin %s -> %.3f, rewards %.3f +- %.3f",
        after.pairs(), before == null ? "-" : String.format("%.1f%%", 100 * before.accuracy()), 100 * after.accuracy(),
        before == null ? "-" : String.format("%.3f", before.meanMargin()), after.meanMargin(), after.rewardMean(),
        after.rewardStd()));
    after.accuracyByRule().forEach((rule, acc) -> LOG.info(String.format("  rule %-8s accuracy %s -> %s", rule,
        before == null ? "-" : percent(before.accuracyByRule().get(rule)), percent(acc))));
  }

  private static String percent(Double v) {
    return v == null ? "-" : String.format("%.1f%%", 100 * v);
  }

  /** {@code <run>/reward_eval.json}: held-out accuracy, margin and reward statistics after (and before) training. */
  private static Map<String, Object> report(Report before, Report after, float margin) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("heldout_pairs", after == null ? 0 : after.pairs());
    out.put("margin", margin);
    out.put("heldout_accuracy", after == null ? null : Json.finite(after.accuracy()));
    out.put("heldout_mean_margin", after == null ? null : Json.finite(after.meanMargin()));
    out.put("heldout_loss", after == null ? null : Json.finite(after.loss()));
    out.put("reward_mean", after == null ? null : Json.finite(after.rewardMean()));
    out.put("reward_std", after == null ? null : Json.finite(after.rewardStd()));
    out.put("heldout_accuracy_by_rule", after == null ? Map.of() : after.accuracyByRule());
    if (before != null) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("heldout_accuracy", Json.finite(before.accuracy()));
      b.put("heldout_mean_margin", Json.finite(before.meanMargin()));
      b.put("heldout_loss", Json.finite(before.loss()));
      b.put("reward_mean", Json.finite(before.rewardMean()));
      b.put("reward_std", Json.finite(before.rewardStd()));
      b.put("heldout_accuracy_by_rule", before.accuracyByRule());
      out.put("before", b);
    }
    return out;
  }
}
