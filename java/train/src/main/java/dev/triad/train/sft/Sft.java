package dev.triad.train.sft;

import dev.triad.InvalidOptionException;
import dev.triad.data.EveryNth;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import dev.triad.data.chat.Packing;
import dev.triad.data.chat.SftDataset;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.instruct.ReplyStyles;
import dev.triad.nn.Gpt;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.tensor.Device;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.Trainer;
import dev.triad.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phase two, supervised instruction tuning: a pretrained run's model learns to answer in the chat
 * template, with the loss on assistant tokens only, on packed rows. On the embedded default data
 * it reports task accuracy per family before and after, for trained and held-out families.
 */
public final class Sft {
  private static final Logger LOG = LoggerFactory.getLogger(Sft.class);

  private Sft() {}

  /**
   * A finished run: training figures and task accuracy per family before and after tuning (chat
   * template), and {@code quizFormBefore}, the pretrained model asked in the corpus's quiz form
   * (empty when there is no evaluation set or the run resumed).
   */
  public record Result(Trainer.Result training, Map<String, TaskEval.Score> before, Map<String, TaskEval.Score> after,
      Map<String, TaskEval.Score> quizFormBefore) {}

  /** The data of one SFT run: conversations to train on and to validate with, and evaluation tasks. */
  private record Data(List<Conversation> train, List<Conversation> val, List<Example> eval, List<String> heldOut) {}

  public static Result run(SftOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /** As {@link #run(SftOptions)}, reporting each step, evaluation and checkpoint to {@code listener}. */
  public static Result run(SftOptions o, TrainingListener listener) {
    if (o.checkOnly()) {
      return runLocked(o, listener); // --check writes nothing
    }
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Result runLocked(SftOptions o, TrainingListener listener) {
    RunDirectory run = o.checkOnly() ? RunDirectory.inspect(o.runDir(), o.resume())
        : RunDirectory.open(o.runDir(), o.resume(), o.train().steps());
    // the data first: a malformed --data line is reported whether or not the base run exists
    Data data = load(o);
    startChecks(data);
    if (o.checkOnly() && !Files.exists(o.baseRun().resolve("config.json"))) {
      // --check needs only the tokenizer and the template, not weights: a fresh checkout has no base yet
      LOG.info("sft check: no run in " + o.baseRun() + "; rendering with the " + CHECK_TOKENIZER
          + " tokenizer (what `triad pretrain` uses on the embedded corpus) and rows of " + o.seqLen() + " tokens");
      check(o, data, new ChatTemplate(Tokenizer.byName(CHECK_TOKENIZER)), o.seqLen());
      return null;
    }
    RunInfo base = RunInfo.read(o.baseRun());
    Tokenizer tokenizer = Tokenizer.byName(base.tokenizer());
    ChatTemplate template = new ChatTemplate(tokenizer);
    int seq = base.requireContext(o.seqLen(), o.baseRun());
    if (o.checkOnly()) {
      check(o, data, template, seq);
      return null;
    }
    data = fitting(data, template, seq);

    List<ChatTemplate.Rendered> trainRendered = render(template, data.train(), "training");
    List<ChatTemplate.Rendered> valRendered = render(template, data.val(), "validation");
    PlanCheck.require(new MemoryPlan.Spec(base.modelConfig().withVocabSize(template.vocabSize()), o.device() == Device.CUDA,
        o.batch(), seq, o.precision(), MemoryPlan.Phase.SFT, o.device(), o.train().gradAccum(), 0));
    Packing.Packed trainRows = o.pack() ? Packing.bestFit(trainRendered, seq, tokenizer.eotToken())
        : Packing.padded(trainRendered, seq, tokenizer.eotToken());
    Packing.Packed valRows = o.pack() ? Packing.bestFit(valRendered, seq, tokenizer.eotToken())
        : Packing.padded(valRendered, seq, tokenizer.eotToken());
    if (trainRows.rows().isEmpty()) {
      int shortest = trainRendered.stream().mapToInt(ChatTemplate.Rendered::length).min().orElse(0);
      throw new InvalidOptionException("seqLen", " " + seq + ": none of the " + trainRendered.size() + " training"
          + " examples fits in a row of that many tokens (the shortest has " + shortest + " tokens; the base run's"
          + " context is " + base.blockSize() + "): use shorter examples or a larger {seqLen}");
    }
    LOG.info(String.format("sft: %d examples %s into %d rows of %d tokens: %.1f%% of tokens are real, %.1f%% carry loss%s",
        trainRendered.size(), o.pack() ? "packed (best fit)" : "padded", trainRows.rows().size(), seq,
        100 * trainRows.usefulShare(), 100 * trainRows.lossShare(),
        trainRows.dropped() > 0 ? "; " + trainRows.dropped() + " examples longer than " + seq + " dropped" : ""));

    Map<String, Object> settings = RunDirectory.chatSettings(o.baseRun());
    settings.put("data", o.dataFile() == null ? "embedded instruction data" : o.dataFile().toString());
    settings.put("batch", o.batch());
    settings.put("seq_len", seq);
    settings.put("packing", o.pack() ? "best-fit" : "padded");
    settings.put("train", o.train());

    HashSet<String> heldOut = new HashSet<>(data.heldOut());
    Gpt pretrained = RunInfo.loadModel(o.baseRun(), null, o.device(), o.precision());
    Gpt model;
    Map<String, TaskEval.Score> quizForm = Map.of();
    try {
      if (!data.eval().isEmpty() && !o.resume()) {
        // the skills as the pretraining corpus asks for them, before the chat format exists
        quizForm = TaskEval.evaluateQuizForm(pretrained, tokenizer, data.eval(), heldOut, 64, 48);
        LOG.info(String.format("sft: the pretrained model asked in the corpus's quiz form: trained families %.1f%%, "
            + "held-out families %.1f%%", 100 * TaskEval.mean(quizForm, false), 100 * TaskEval.mean(quizForm, true)));
      }
      model = Gpt.withVocabulary(pretrained, template.vocabSize(), template.embeddingSeeds());
    } finally {
      pretrained.close();
    }
    run.writeInfo("sft", model.config, tokenizer.name(), o.precision(), settings);
    try (model) {
      LOG.info(String.format("sft: %s from %s, %,d parameters, on %s; run directory %s", model.config.name(),
          o.baseRun(), model.parameterCount(), o.device(), o.runDir().toAbsolutePath()));
      Map<String, TaskEval.Score> before = Map.of();
      if (!data.eval().isEmpty() && !o.resume()) {
        before = TaskEval.evaluate(model, template, data.eval(), heldOut, 64, 48);
        LOG.info(String.format("sft: task accuracy before: trained families %.1f%%, held-out families %.1f%%",
            100 * TaskEval.mean(before, false), 100 * TaskEval.mean(before, true)));
      }
      String samplePrompt = data.eval().isEmpty() ? null : data.eval().get(0).prompt();
      SftTask task = new SftTask(model, trainRows.rows(), valRows.rows(), o.batch(), o.train().seed(),
          samplePrompt == null ? null : () -> samplePrompt + " -> " + TaskEval.reply(model, template, List.of(samplePrompt), 48).get(0))
          .withDataOrder(o.train().dataOrder());
      Trainer.Result r;
      try (Trainer trainer = new Trainer(model, task, o.train(), o.runDir(), 6.0 * model.parameterCount(),
          dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision()))) {
        trainer.addListener(listener);
        r = trainer.run(o.resume());
      }
      Map<String, TaskEval.Score> after = Map.of();
      if (!data.eval().isEmpty()) {
        after = TaskEval.evaluate(model, template, data.eval(), heldOut, 64, 48);
        printTable(quizForm, before, after);
        run.writeReport("eval.json", report(quizForm, before, after));
      }
      LOG.info(String.format("sft: done. loss %.4f -> %.4f, held-out loss %.4f -> %.4f; checkpoints in %s", r.firstLoss(),
          r.lastLoss(), r.firstValLoss(), r.lastValLoss(), o.runDir().resolve("checkpoints").toAbsolutePath()));
      return new Result(r, before, after, quizForm);
    }
  }

  /** The audit's cheap checks on the data (issue #19): warnings only, nothing the run trains on changes. */
  private static void startChecks(Data data) {
    List<dev.triad.train.audit.Sample> train = new ArrayList<>();
    data.train().forEach(c -> train.addAll(dev.triad.train.audit.Sample.of(c)));
    List<dev.triad.train.audit.Sample> val = new ArrayList<>();
    data.val().forEach(c -> val.addAll(dev.triad.train.audit.Sample.of(c)));
    List<dev.triad.train.audit.Sample> eval = new ArrayList<>();
    data.eval().forEach(e -> eval.add(dev.triad.train.audit.Sample.of(e)));
    dev.triad.train.audit.StartChecks.sft(train, val, eval).forEach(LOG::warn);
  }

  /** The tokenizer {@code --check} renders with when there is no base run: pretraining's default on the embedded corpus. */
  public static final String CHECK_TOKENIZER = "byte";

  /** {@code --check}: shows the first training example with its loss tokens marked and checks every mask. */
  private static void check(SftOptions o, Data data, ChatTemplate template, int seq) {
    data = fitting(data, template, seq);
    List<ChatTemplate.Rendered> trainRendered = render(template, data.train(), "training");
    List<ChatTemplate.Rendered> valRendered = render(template, data.val(), "validation");
    LOG.info("sft check: first training example, loss tokens marked:");
    LOG.info(template.show(trainRendered.get(0)));
    LOG.info(String.format("sft check: all %d training and %d validation examples have valid loss masks",
        trainRendered.size(), valRendered.size()));
  }

  private static Data load(SftOptions o) {
    if (o.dataFile() == null) {
      InstructionData.Split split = InstructionData.defaultSplit(o.train().seed());
      List<Example> eval = new ArrayList<>();
      split.evaluation().values().forEach(f -> eval.addAll(f.subList(0, Math.min(f.size(), o.evalPerFamily()))));
      // the train replies carry the data's bad habits (ReplyStyles); validation and evaluation are exact
      return new Data(conversations(split.train(), ReplyStyles.trainReplies(split.train(), o.train().seed())),
          conversations(split.validation()), eval,
          InstructionData.heldOutFamilies());
    }
    List<Conversation> all;
    try {
      all = SftDataset.readJsonl(o.dataFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + o.dataFile() + ": " + e.getMessage(), e);
    }
    EveryNth<Conversation> split = EveryNth.split(all, 20); // held out for the validation loss
    return new Data(split.kept(), split.heldOut(), List.of(), List.of());
  }

  /**
   * The data with only the evaluation examples that fit in {@code seq} tokens, prompt and answer, as
   * training keeps only the examples that fit (a small model's context, e.g. the tiny preset's 128,
   * cannot hold the weather bulletins; their prompts would fail generation).
   */
  private static Data fitting(Data data, ChatTemplate template, int seq) {
    List<Example> eval = new ArrayList<>();
    List<Conversation> rendered = conversations(data.eval());
    for (int i = 0; i < rendered.size(); i++) {
      if (template.render(rendered.get(i)).length() <= seq) {
        eval.add(data.eval().get(i));
      }
    }
    if (eval.size() < data.eval().size()) {
      LOG.info(String.format("sft: %d of %d evaluation examples are longer than %d tokens and are not evaluated",
          data.eval().size() - eval.size(), data.eval().size(), seq));
    }
    return new Data(data.train(), data.val(), eval, data.heldOut());
  }

  private static List<Conversation> conversations(List<Example> examples) {
    return conversations(examples, examples.stream().map(Example::answer).toList());
  }

  /** One user-assistant conversation per example, the assistant saying {@code replies.get(i)}. */
  private static List<Conversation> conversations(List<Example> examples, List<String> replies) {
    List<Conversation> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      out.add(new Conversation(List.of(new Message("user", examples.get(i).prompt()),
          new Message("assistant", replies.get(i)))));
    }
    return out;
  }

  private static List<ChatTemplate.Rendered> render(ChatTemplate template, List<Conversation> conversations, String what) {
    List<ChatTemplate.Rendered> out = new ArrayList<>(conversations.size());
    for (int i = 0; i < conversations.size(); i++) {
      ChatTemplate.Rendered r = template.render(conversations.get(i));
      try {
        ChatTemplate.checkMask(r, template);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(what + " example " + (i + 1) + ": " + e.getMessage(), e);
      }
      out.add(r);
    }
    return out;
  }

  private static void printTable(Map<String, TaskEval.Score> quizForm, Map<String, TaskEval.Score> before,
      Map<String, TaskEval.Score> after) {
    LOG.info("sft: task accuracy by family (greedy replies, exact answers; \"quiz form\": the pretrained"
        + " model asked \"Q: ...\\nA:\" as its corpus asks)");
    LOG.info(String.format("  %-24s %-9s %9s %8s %8s", "family", "kind", "quiz form", "before", "after"));
    for (TaskEval.Score a : after.values()) {
      LOG.info(String.format("  %-24s %-9s %9s %8s %7.1f%%", a.family(), a.heldOut() ? "held-out" : "trained",
          percent(quizForm.get(a.family())), percent(before.get(a.family())), 100 * a.accuracy()));
    }
    for (boolean held : new boolean[] {false, true}) {
      LOG.info(String.format("  %-24s %-9s %9s %8s %7.1f%%", "mean", held ? "held-out" : "trained", meanPercent(quizForm, held),
          meanPercent(before, held), 100 * TaskEval.mean(after, held)));
    }
  }

  private static String percent(TaskEval.Score s) {
    return s == null ? "-" : String.format("%.1f%%", 100 * s.accuracy());
  }

  private static String meanPercent(Map<String, TaskEval.Score> scores, boolean heldOut) {
    return scores.isEmpty() ? "-" : String.format("%.1f%%", 100 * TaskEval.mean(scores, heldOut));
  }

  /**
   * {@code <run>/eval.json}: accuracy per family before and after (and in quiz form before, where
   * measured), and which families were held out.
   */
  private static Map<String, Object> report(Map<String, TaskEval.Score> quizForm, Map<String, TaskEval.Score> before,
      Map<String, TaskEval.Score> after) {
    Map<String, Object> report = new LinkedHashMap<>();
    Map<String, Object> families = new LinkedHashMap<>();
    for (TaskEval.Score a : after.values()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("held_out", a.heldOut());
      f.put("accuracy_quiz_form_before", accuracy(quizForm.get(a.family())));
      f.put("accuracy_before", accuracy(before.get(a.family())));
      f.put("accuracy_after", a.accuracy());
      f.put("examples", a.total());
      families.put(a.family(), f);
    }
    report.put("families", families);
    report.put("accuracy_seen_quiz_form_before", quizForm.isEmpty() ? null : TaskEval.mean(quizForm, false));
    report.put("accuracy_heldout_quiz_form_before", quizForm.isEmpty() ? null : TaskEval.mean(quizForm, true));
    report.put("accuracy_seen_before", before.isEmpty() ? null : TaskEval.mean(before, false));
    report.put("accuracy_seen_after", TaskEval.mean(after, false));
    report.put("accuracy_heldout_before", before.isEmpty() ? null : TaskEval.mean(before, true));
    report.put("accuracy_heldout_after", TaskEval.mean(after, true));
    return report;
  }

  private static Double accuracy(TaskEval.Score s) {
    return s == null ? null : s.accuracy();
  }
}
