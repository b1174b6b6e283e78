package dev.triad.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.data.EvenlySpaced;
import dev.triad.data.SyntheticCorpus;
import dev.triad.data.Tokenize;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.pref.PreferenceData;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.profile.Progress;
import dev.triad.train.RunInfo;
import dev.triad.train.TrainConfig;
import dev.triad.train.Trainer;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.rlhf.Dpo;
import dev.triad.train.rlhf.DpoData;
import dev.triad.train.rlhf.DpoOptions;
import dev.triad.train.rlhf.Grpo;
import dev.triad.train.rlhf.GrpoOptions;
import dev.triad.train.rlhf.Ppo;
import dev.triad.train.rlhf.PpoOptions;
import dev.triad.train.rlhf.RewardTraining;
import dev.triad.train.rlhf.RewardTrainingOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import dev.triad.train.sft.TaskEval;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-to-end demo: the three phases of LLM training on the embedded default data, one after the
 * other, into one directory: {@code <out>/pretrain} (self-supervised pretraining), {@code <out>/sft}
 * (instruction tuning), {@code <out>/reward} (a reward model from preference pairs) and
 * {@code <out>/<rl>} (PPO, DPO or GRPO). It writes {@code <out>/summary.json} (flat, dotted keys, see
 * {@link #SUMMARY_KEYS}), {@code <out>/samples.json} (model outputs before and after each phase),
 * {@code <out>/audit.json} (the data audit, {@link DemoAudit}) and, through {@link Report},
 * {@code <out>/report.html} with its plots.
 */
public final class Demo {
  private Demo() {}

  /** The keys every summary.json holds (null where the run has no value). */
  public static final List<String> SUMMARY_KEYS = List.of("pretrain.val_loss_start", "pretrain.val_loss_end",
      "sft.accuracy_seen_before", "sft.accuracy_seen_after", "sft.accuracy_heldout_before",
      "sft.accuracy_heldout_after", "sft.accuracy_heldout_quiz_form_before", "reward.heldout_accuracy",
      "ppo.reward_before", "ppo.reward_after", "ppo.kl_final", "eval.rule_score_before", "eval.rule_score_after");

  /** Extra keys when DPO runs. */
  public static final List<String> DPO_KEYS = List.of("dpo.heldout_accuracy_before", "dpo.heldout_accuracy",
      "dpo.margin_before", "dpo.margin", "dpo.loss_before", "dpo.loss");

  /** Extra keys when GRPO runs. */
  public static final List<String> GRPO_KEYS = List.of("grpo.reward_before", "grpo.reward_after", "grpo.kl_final");

  /**
   * @param rl ppo, dpo or grpo
   * @param quick tiny preset and a handful of steps per phase (tests)
   * @param pretrainSteps ... rlSteps: step counts, or 0 for the mode's default
   */
  public record Options(Path out, String rl, boolean quick, Device device, long seed, int pretrainSteps,
      int sftSteps, int rewardSteps, int rlSteps, Precision precision) {
    /** In the device's default precision. */
    public Options(Path out, String rl, boolean quick, Device device, long seed, int pretrainSteps,
        int sftSteps, int rewardSteps, int rlSteps) {
      this(out, rl, quick, device, seed, pretrainSteps, sftSteps, rewardSteps, rlSteps, Precision.defaultFor(device));
    }

    public Options {
      java.util.Objects.requireNonNull(precision, "precision");
      rl = rl.toLowerCase(Locale.ROOT);
      if (!List.of("ppo", "dpo", "grpo").contains(rl)) {
        throw new IllegalArgumentException("--rl must be ppo, dpo or grpo, got " + rl);
      }
      if (pretrainSteps < 0 || sftSteps < 0 || rewardSteps < 0 || rlSteps < 0) {
        throw new IllegalArgumentException("step counts must be >= 0 (0: the default)");
      }
    }

    public static Options defaults(Path out) {
      return new Options(out, "ppo", false, Device.best(), 1337, 0, 0, 0, 0);
    }

    int pretrain() {
      return pretrainSteps > 0 ? pretrainSteps : quick ? 6 : 800;
    }

    int sft() {
      return sftSteps > 0 ? sftSteps : quick ? 4 : 300;
    }

    int reward() {
      return rewardSteps > 0 ? rewardSteps : quick ? 3 : 200;
    }

    int rlStepCount() {
      return rlSteps > 0 ? rlSteps : quick ? 2 : 40; // PPO, DPO and GRPO alike: docs/DEMO.md
    }
  }

  /** The file that marks a directory as the demo's, so {@link #replacePrevious} deletes only a demo's output. */
  public static final String MARKER = ".triad-demo";

  /**
   * Whether {@code dir} is recognisably a demo's output: it holds {@link #MARKER}, or (demos older than
   * the marker) a summary.json with the demo's {@code steps.pretrain} key.
   */
  public static boolean isDemoDirectory(Path dir) {
    if (Files.isRegularFile(dir.resolve(MARKER))) {
      return true;
    }
    try {
      JsonNode summary = readJson(dir.resolve("summary.json"));
      return summary != null && summary.has("steps.pretrain");
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /**
   * {@code triad demo --force}: deletes {@code out} when it is a previous demo's directory (nothing when
   * it does not exist), so the demo can run there again.
   *
   * @throws IllegalArgumentException when {@code out} exists and is not recognisably a demo's (a
   *     symbolic link, a file, or a directory without the marker), naming it and what is missing
   */
  public static void replacePrevious(Path out) {
    if (!Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isSymbolicLink(out) || !Files.isDirectory(out)) {
      throw new IllegalArgumentException("--force: " + out + " is not a directory the demo wrote (a "
          + (Files.isSymbolicLink(out) ? "symbolic link" : "file") + "); remove it yourself or choose another --out");
    }
    if (!isDemoDirectory(out)) {
      throw new IllegalArgumentException("--force: " + out + " does not look like a demo's directory (no " + MARKER
          + " or demo summary.json in it), so it is left alone; remove it yourself or choose another --out");
    }
    System.out.println("demo: --force: deleting the previous demo in " + out);
    try (java.util.stream.Stream<Path> walk = Files.walk(out)) {
      // deepest first; Files.walk does not follow symbolic links, so only the demo's own files go
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("--force: cannot delete " + out + ": " + e.getMessage(), e);
    }
  }

  /** What the demo wrote. */
  public record Result(Path out, Map<String, Object> summary, Path summaryFile, Path report) {}


  public static Result run(Options o) {
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(o.out());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + o.out(), e);
    }
    for (String phase : List.of("pretrain", "sft", "reward", o.rl())) {
      if (Files.isDirectory(o.out().resolve(phase).resolve("checkpoints"))) {
        throw new IllegalArgumentException(o.out().resolve(phase) + " already holds a run; rerun with --force to"
            + " replace the previous demo in " + o.out() + ", or choose another --out");
      }
    }
    try {
      AtomicFiles.writeString(o.out().resolve(MARKER), "written by triad demo; `triad demo --force` may replace"
          + " this directory\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + o.out().resolve(MARKER), e);
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    SUMMARY_KEYS.forEach(k -> summary.put(k, null));
    Map<String, Object> samples = new LinkedHashMap<>();
    Map<String, Object> timings = new LinkedHashMap<>();
    Path pre = o.out().resolve("pretrain");
    Path sft = o.out().resolve("sft");
    Path reward = o.out().resolve("reward");
    Path rl = o.out().resolve(o.rl());

    // phase one: pretraining
    banner("1/4 pretraining", o.pretrain() + " steps of next-token prediction on the embedded corpus");
    long p0 = System.nanoTime();
    PretrainOptions.Builder pb = PretrainOptions.builder().runDir(pre).tokenizer(CORPUS_TOKENIZER)
        .device(o.device()).precision(o.precision());
    // the small preset at a higher lr than pretrain's default: the recipe measured to store the corpus's facts in
    // the time (docs/DEMO.md); evaluated at four points for the curve
    pb.train(o.quick()
        ? demoTrain(pb.train(), o.pretrain(), o.seed()).lr(3e-3f).warmupSteps(1).evalEvery(0).build()
        : demoTrain(pb.train(), o.pretrain(), o.seed()).lr(2e-3f).warmupSteps(Math.min(50, o.pretrain() / 10))
            .evalEvery(Math.max(1, o.pretrain() / 4)).build());
    if (o.quick()) {
      pb.preset("tiny").batch(4).seqLen(64).totalBatchTokens(4 * 64).evalBatches(1);
    }
    List<String> documents = corpusDocuments(o); // kept for the data audit after the phases
    Path corpus = withProgress("demo: tokenize the corpus", () -> corpus(o.out().resolve("corpus"), documents, o));
    Trainer.Result pr = Pretrain.run(pb.dataDir(corpus).build());
    summary.put("pretrain.val_loss_start", finite(pr.firstValLoss()));
    summary.put("pretrain.val_loss_end", finite(pr.lastValLoss()));
    samples.put("pretrain", withProgress("demo: sample text", () -> pretrainSamples(pre, o)));
    timings.put("pretrain", seconds(p0));
    headline("pretrain", String.format("val loss %.3f -> %.3f (train loss %.3f -> %.3f), %.0f tokens/s",
        pr.firstValLoss(), pr.lastValLoss(), pr.firstLoss(), pr.lastLoss(), pr.tokensPerSecond()));

    // phase two: SFT
    banner("2/4 instruction tuning", o.sft() + " steps on the embedded instruction data");
    long s0 = System.nanoTime();
    SftOptions.Builder sb = SftOptions.builder().runDir(sft).baseRun(pre).device(o.device())
        .evalPerFamily(o.quick() ? 1 : 10).precision(o.precision());
    sb.train(demoTrain(sb.train(), o.sft(), o.seed()).lr(1e-3f)
        .warmupSteps(o.quick() ? 1 : Math.min(sb.train().warmupSteps(), o.sft() / 10))
        .evalEvery(o.quick() ? 0 : o.sft() / 3).build());
    if (o.quick()) {
      sb.batch(4).seqLen(128);
    }
    Sft.Result sr = Sft.run(sb.build());
    summary.put("sft.accuracy_seen_before", mean(sr.before(), false));
    summary.put("sft.accuracy_seen_after", mean(sr.after(), false));
    summary.put("sft.accuracy_heldout_before", mean(sr.before(), true));
    summary.put("sft.accuracy_heldout_after", mean(sr.after(), true));
    summary.put("sft.accuracy_heldout_quiz_form_before", mean(sr.quizFormBefore(), true));
    samples.put("sft", withProgress("demo: sample replies", () -> sftSamples(pre, sft, o)));
    timings.put("sft", seconds(s0));
    headline("sft", String.format("task accuracy: trained families %s -> %s, held-out families %s -> %s"
        + " (the pretrained model asked in its corpus's quiz form: %s)",
        pct(summary.get("sft.accuracy_seen_before")), pct(summary.get("sft.accuracy_seen_after")),
        pct(summary.get("sft.accuracy_heldout_before")), pct(summary.get("sft.accuracy_heldout_after")),
        pct(summary.get("sft.accuracy_heldout_quiz_form_before"))));

    // phase three: reward model, then RL
    banner("3/4 reward model", o.reward() + " steps of Bradley-Terry training on preference pairs");
    long r0 = System.nanoTime();
    RewardTrainingOptions.Builder rb = RewardTrainingOptions.builder().runDir(reward).baseRun(sft)
        .device(o.device()).precision(o.precision());
    // 200 steps at 5e-4: the length-balanced pairs need them to rank correctness above 60% (docs/DEMO.md)
    rb.train(demoTrain(rb.train(), o.reward(), o.seed()).lr(o.quick() ? 1e-3f : 5e-4f)
        .warmupSteps(o.quick() ? 1 : Math.min(rb.train().warmupSteps(), o.reward() / 10))
        .evalEvery(o.quick() ? 0 : Math.max(1, o.reward() / 3)).build()); // held-out accuracy at 3 points: a curve
    if (o.quick()) {
      rb.batch(4).seqLen(128);
    }
    RewardTraining.Result rr = RewardTraining.run(rb.build());
    summary.put("reward.heldout_accuracy_before", rr.before() == null ? null : finite(rr.before().accuracy()));
    summary.put("reward.heldout_accuracy", rr.after() == null ? null : finite(rr.after().accuracy()));
    summary.put("reward.heldout_mean_margin", rr.after() == null ? null : finite(rr.after().meanMargin()));
    timings.put("reward", seconds(r0));
    headline("reward", String.format("held-out pairs ranked right %s -> %s",
        pct(summary.get("reward.heldout_accuracy_before")), pct(summary.get("reward.heldout_accuracy"))));

    banner("4/4 RLHF (" + o.rl() + ")", o.rlStepCount() + " steps");
    long l0 = System.nanoTime();
    switch (o.rl()) {
      case "ppo" -> runPpo(o, sft, reward, rl, summary);
      case "dpo" -> runDpo(o, sft, rl, summary);
      default -> runGrpo(o, sft, reward, rl, summary);
    }
    samples.put("rl", withProgress("demo: sample replies", () -> rlSamples(sft, rl, o)));
    timings.put(o.rl(), seconds(l0));

    // the data audit: after the phases, so the runs' config.json can be compared too (it reads no model)
    banner("data audit", "the phases' data checked against each other (docs/AUDIT.md)");
    DemoAudit.run(o.out(), o.seed(), documents, List.of(pre, sft, reward, rl));
    timings.put("total", seconds(t0));

    Map<String, Object> file = new LinkedHashMap<>(summary);
    file.put("rl", o.rl());
    file.put("quick", o.quick());
    file.put("device", o.device().toString());
    file.put("precision", o.precision().toString());
    file.put("seed", o.seed());
    file.put("steps.pretrain", o.pretrain());
    file.put("steps.sft", o.sft());
    file.put("steps.reward", o.reward());
    file.put("steps." + o.rl(), o.rlStepCount());
    timings.forEach((k, v) -> file.put("seconds." + k, v));
    Path summaryFile = o.out().resolve("summary.json");
    write(summaryFile, file);
    write(o.out().resolve("samples.json"), samples);
    Path report = Report.write(o.out());
    ReportCard.of(o.out(), o.rl()).alarms().forEach(a -> System.out.println("demo: ALARM " + a.phase() + ", "
        + a.title() + ": " + a.detail()));
    System.out.printf("%ndemo: done in %.0f s%n", seconds(t0));
    return new Result(o.out(), file, summaryFile, report);
  }

  private static void runPpo(Options o, Path sft, Path reward, Path out, Map<String, Object> summary) {
    PpoOptions.Builder p = PpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(o.device())
        .steps(o.rlStepCount()).epochs(2).seed(o.seed()).precision(o.precision());
    if (o.quick()) {
      p.batch(4).miniBatch(2).lr(1e-4f).entCoef(0.01f).maxNewTokens(8).evalPrompts(4);
    } else {
      p.batch(8).miniBatch(4).evalPrompts(24);
    }
    Ppo.Result r = Ppo.run(p.build());
    summary.put("ppo.reward_before", finite(r.before().reward()));
    summary.put("ppo.reward_after", finite(r.after().reward()));
    summary.put("ppo.kl_final", finite(r.klFinal()));
    summary.put("eval.rule_score_before", finite(r.before().ruleScore()));
    summary.put("eval.rule_score_after", finite(r.after().ruleScore()));
    headline("ppo", String.format("held-out reward %.3f -> %.3f, rule score %.3f -> %.3f, final KL %.4f",
        r.before().reward(), r.after().reward(), r.before().ruleScore(), r.after().ruleScore(), r.klFinal()));
  }

  private static void runDpo(Options o, Path sft, Path out, Map<String, Object> summary) {
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(RunInfo.read(sft).tokenizer()));
    DpoData.Pairs pairs = DpoData.embedded(template, o.seed(), o.quick() ? 16 : 1000, o.quick() ? 8 : 100);
    DpoOptions.Builder d = DpoOptions.builder().runDir(out).baseRun(sft).device(o.device())
        .trainPairs(pairs.train()).heldOutPairs(pairs.heldOut()).data("embedded preference data")
        .evalPrompts(o.quick() ? 4 : 24).precision(o.precision());
    d.train(demoTrain(d.train(), o.rlStepCount(), o.seed()).lr(o.quick() ? 1e-4f : d.train().lr())
        .warmupSteps(o.quick() ? 0 : Math.min(d.train().warmupSteps(), o.rlStepCount() / 10))
        .evalEvery(o.quick() ? 0 : o.rlStepCount() / 4).build());
    if (o.quick()) {
      d.batch(4);
    }
    Dpo.Result r = Dpo.run(d.build());
    if (r.before() != null) {
      summary.put("dpo.heldout_accuracy_before", finite(r.before().accuracy()));
      summary.put("dpo.margin_before", finite(r.before().margin()));
      summary.put("dpo.loss_before", finite(r.before().loss()));
    }
    if (r.after() != null) {
      summary.put("dpo.heldout_accuracy", finite(r.after().accuracy()));
      summary.put("dpo.margin", finite(r.after().margin()));
      summary.put("dpo.loss", finite(r.after().loss()));
    }
    summary.put("eval.rule_score_before", r.policyBefore() == null ? null : finite(r.policyBefore().ruleScore()));
    summary.put("eval.rule_score_after", r.policyAfter() == null ? null : finite(r.policyAfter().ruleScore()));
    DPO_KEYS.forEach(k -> summary.putIfAbsent(k, null));
    headline("dpo", String.format("held-out pairs ranked right %s -> %s, reward margin %s -> %s",
        pct(summary.get("dpo.heldout_accuracy_before")), pct(summary.get("dpo.heldout_accuracy")),
        num(summary.get("dpo.margin_before")), num(summary.get("dpo.margin"))));
  }

  private static void runGrpo(Options o, Path sft, Path reward, Path out, Map<String, Object> summary) {
    GrpoOptions.Builder g = GrpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(o.device())
        .precision(o.precision());
    g.train(demoTrain(g.train(), o.rlStepCount(), o.seed()).lr(o.quick() ? 1e-4f : g.train().lr())
        .warmupSteps(o.quick() ? 0 : Math.min(g.train().warmupSteps(), o.rlStepCount() / 4)).evalEvery(0).build());
    if (o.quick()) {
      g.prompts(2).group(3).maxNewTokens(12).evalPrompts(6);
    } else {
      g.prompts(4).group(4).evalPrompts(24);
    }
    Grpo.Result r = Grpo.run(g.build());
    summary.put("grpo.reward_before", r.before() == null ? null : finite(r.before().reward()));
    summary.put("grpo.reward_after", finite(r.after().reward()));
    summary.put("grpo.kl_final", finite(r.after().kl()));
    summary.put("eval.rule_score_before", r.before() == null ? null : finite(r.before().ruleScore()));
    summary.put("eval.rule_score_after", finite(r.after().ruleScore()));
    headline("grpo", String.format("held-out reward %s -> %s, rule score %s -> %s, KL %s",
        num(summary.get("grpo.reward_before")), num(summary.get("grpo.reward_after")),
        num(summary.get("eval.rule_score_before")), num(summary.get("eval.rule_score_after")),
        num(summary.get("grpo.kl_final"))));
  }

  /** The demo corpus's tokenizer: each of the corpus's 576 words one token, 3.7x fewer tokens than bytes. */
  static final String CORPUS_TOKENIZER = "words";

  /** The embedded corpus in the {@link SyntheticCorpus.Mix#KNOWLEDGE} mix (200 kB in quick mode). */
  private static List<String> corpusDocuments(Options o) {
    return SyntheticCorpus.documents(SyntheticCorpus.DEFAULT_SEED,
        o.quick() ? 200_000 : SyntheticCorpus.DEFAULT_BYTES, SyntheticCorpus.Mix.KNOWLEDGE);
  }

  /**
   * {@code docs} tokenized with {@link #CORPUS_TOKENIZER} into {@code dir} (5% of the documents for
   * validation).
   */
  private static Path corpus(Path dir, List<String> docs, Options o) {
    try {
      Tokenize.Summary s = Tokenize.run(docs, Tokenizer.byName(CORPUS_TOKENIZER), dir, 0.05, 100_000_000L, o.seed());
      System.out.printf("demo: corpus (%s): %d documents -> %,d train / %,d val tokens (%s) in %s%n",
          SyntheticCorpus.Mix.KNOWLEDGE, docs.size(), s.trainTokens(), s.valTokens(), CORPUS_TOKENIZER, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot tokenize the demo corpus into " + dir + ": " + e.getMessage(), e);
    }
    return dir;
  }

  /**
   * The phase's settings {@code d} with the demo's steps and seed, no text samples, and one checkpoint
   * (after the last step); each phase sets its lr, warmup and eval cadence.
   */
  static TrainConfig.Builder demoTrain(TrainConfig d, int steps, long seed) {
    return d.toBuilder().steps(steps).seed(seed).sampleEvery(0).checkpointEvery(steps).keepCheckpoints(1);
  }

  // ---- samples before and after each phase

  private static Map<String, Object> pretrainSamples(Path pre, Options o) {
    Map<String, Object> m = new LinkedHashMap<>();
    RunInfo info = RunInfo.read(pre);
    Tokenizer tok = Tokenizer.byName(info.tokenizer());
    int budget = Math.min(o.quick() ? 24 : 120, info.blockSize() - 1);
    SamplingConfig cfg = new SamplingConfig(budget, 0.8f, 40, 1f, new int[] {tok.eotToken()}, o.seed());
    int[][] start = {{tok.eotToken()}};
    try (Gpt fresh = new Gpt(info.modelConfig(), o.device(), o.precision(), o.seed())) {
      m.put("before", tok.decode(Generator.generate(fresh, start, cfg)[0]));
    }
    try (Gpt trained = RunInfo.loadModel(pre, null, o.device(), o.precision())) {
      m.put("after", tok.decode(Generator.generate(trained, start, cfg)[0]));
    }
    return m;
  }

  /** Three evaluation prompts (two trained families, one held out) answered by the pretrained and the SFT model. */
  private static List<Map<String, Object>> sftSamples(Path pre, Path sft, Options o) {
    Map<String, List<Example>> eval = InstructionData.defaultSplit(o.seed()).evaluation();
    List<Example> picked = new ArrayList<>();
    for (String family : List.of(InstructionData.ADDITION, InstructionData.UPPERCASE,
        InstructionData.heldOutFamilies().get(0))) {
      List<Example> f = eval.get(family);
      if (f != null && !f.isEmpty()) {
        picked.add(f.get(0));
      }
    }
    List<String> prompts = picked.stream().map(Example::prompt).toList();
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(RunInfo.read(sft).tokenizer()));
    List<String> before = replies(() -> {
      try (Gpt base = RunInfo.loadModel(pre, null, o.device(), o.precision())) {
        return Gpt.withVocabulary(base, template.vocabSize(), template.embeddingSeeds());
      }
    }, template, prompts, o);
    List<String> after = replies(() -> RunInfo.loadModel(sft, null, o.device(), o.precision()), template, prompts, o);
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < picked.size(); i++) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("family", picked.get(i).family());
      s.put("held_out", InstructionData.heldOutFamilies().contains(picked.get(i).family()));
      s.put("prompt", picked.get(i).prompt());
      s.put("expected", picked.get(i).answer());
      s.put("before", before.get(i));
      s.put("after", after.get(i));
      out.add(s);
    }
    return out;
  }

  /** Three held-out RL prompts answered by the SFT model and the RL policy. */
  private static List<Map<String, Object>> rlSamples(Path sft, Path rl, Options o) {
    List<Example> all = PreferenceData.defaultSplit(o.seed()).rlPrompts();
    List<Example> picked = EvenlySpaced.pick(all, 3);
    List<String> prompts = picked.stream().map(Example::prompt).toList();
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(RunInfo.read(sft).tokenizer()));
    List<String> before = replies(() -> RunInfo.loadModel(sft, null, o.device(), o.precision()), template, prompts, o);
    List<String> after = replies(() -> RunInfo.loadModel(rl, null, o.device(), o.precision()), template, prompts, o);
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < picked.size(); i++) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("prompt", picked.get(i).prompt());
      s.put("before", before.get(i));
      s.put("after", after.get(i));
      out.add(s);
    }
    return out;
  }

  private static List<String> replies(java.util.function.Supplier<Gpt> model, ChatTemplate template,
      List<String> prompts, Options o) {
    List<String> out = new ArrayList<>();
    try (Gpt m = model.get()) {
      for (String p : prompts) {
        String r;
        try {
          r = TaskEval.reply(m, template, List.of(p), o.quick() ? 16 : 48).get(0);
        } catch (IllegalArgumentException e) {
          r = "(" + e.getMessage() + ")";
        }
        out.add(r);
      }
    }
    return out;
  }

  // ---- small helpers

  /** {@code work} under a progress line (generation polls it), so slow sampling still shows signs of life. */
  private static <T> T withProgress(String what, java.util.function.Supplier<T> work) {
    try (Progress p = Progress.start(what, 0, null)) {
      return work.get();
    }
  }

  private static Double mean(Map<String, TaskEval.Score> scores, boolean heldOut) {
    return scores == null || scores.isEmpty() ? null : finite(TaskEval.mean(scores, heldOut));
  }

  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double seconds(long since) {
    return Math.round((System.nanoTime() - since) / 1e8) / 10.0;
  }

  private static String pct(Object v) {
    return v == null ? "-" : String.format("%.1f%%", 100 * ((Number) v).doubleValue());
  }

  private static String num(Object v) {
    return v == null ? "-" : String.format("%.4f", ((Number) v).doubleValue());
  }

  private static void banner(String phase, String what) {
    System.out.printf("%n=== demo %s: %s ===%n", phase, what);
  }

  private static void headline(String phase, String text) {
    System.out.println(">>> " + phase + ": " + text);
  }

  private static void write(Path file, Object value) {
    try {
      AtomicFiles.writeString(file, Json.PRETTY.writeValueAsString(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Reads a JSON file, or null when it is missing. */
  static JsonNode readJson(Path file) {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return Json.MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
