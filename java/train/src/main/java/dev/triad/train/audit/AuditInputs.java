package dev.triad.train.audit;

import dev.triad.data.SyntheticCorpus;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.instruct.ReplyStyles;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferencePair;
import dev.triad.train.audit.DataSet.Phase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What an audit looks at; any part may be missing (null or empty) and the checks that need it are
 * skipped.
 *
 * @param corpus pretraining documents
 * @param sft SFT training samples (prompt and target as trained on)
 * @param preferenceTrain the pairs a reward model or DPO trains on
 * @param preferenceHeldOut the pairs a reward model is judged on
 * @param rlPrompts the prompts PPO/GRPO train on
 * @param evaluation evaluation sets, each with the phase it judges
 * @param runs run directories (config.json) whose tokenizer and template are compared
 * @param heldOutFamilies task families that no phase may train on
 */
public record AuditInputs(List<String> corpus, List<Sample> sft, List<PreferencePair> preferenceTrain,
    List<PreferencePair> preferenceHeldOut, List<Sample> rlPrompts, List<DataSet> evaluation, List<Path> runs,
    Set<String> heldOutFamilies) {
  public AuditInputs {
    evaluation = evaluation == null ? List.of() : List.copyOf(evaluation);
    runs = runs == null ? List.of() : List.copyOf(runs);
    heldOutFamilies = heldOutFamilies == null ? Set.of() : Set.copyOf(heldOutFamilies);
  }

  /** The seed every phase uses by default (TrainConfig's and the demo's). */
  public static final long DEFAULT_SEED = 1337;

  /**
   * The embedded data as the phases use it by default with {@code seed}: the synthetic corpus
   * (default mix; pass the demo's with {@link #withCorpus}), SFT's train set with its styled replies
   * ({@link ReplyStyles}), the preference pairs, GRPO's training RL prompts (four in five), and the
   * evaluation sets: SFT's evaluation and validation prompts (judging SFT), the held-out pairs
   * (judging the reward model) and every fifth RL prompt (judging RL; GRPO and DPO hold those out).
   */
  public static AuditInputs embedded(long seed) {
    InstructionData.Split sft = InstructionData.defaultSplit(seed);
    PreferenceData.Split pref = PreferenceData.defaultSplit(seed);
    List<String> replies = ReplyStyles.trainReplies(sft.train(), seed);
    List<Sample> sftTrain = new ArrayList<>();
    for (int i = 0; i < sft.train().size(); i++) {
      sftTrain.add(Sample.of(sft.train().get(i), replies.get(i)));
    }
    List<Sample> rlTrain = new ArrayList<>();
    List<Sample> rlEval = new ArrayList<>();
    List<Example> rl = pref.rlPrompts();
    for (int i = 0; i < rl.size(); i++) {
      (i % 5 == 4 ? rlEval : rlTrain).add(Sample.of(rl.get(i)));
    }
    List<Sample> prefHeldOut = new ArrayList<>();
    pref.heldOut().forEach(p -> prefHeldOut.add(Sample.chosen(p)));
    List<DataSet> evaluation = List.of(
        new DataSet("sft-eval", Phase.SFT, samples(sft.evaluationExamples())),
        new DataSet("sft-validation", Phase.SFT, samples(sft.validation())),
        new DataSet("pref-heldout", Phase.PREFERENCE, withFamilies(prefHeldOut, sft.validation())),
        new DataSet("rl-eval", Phase.RL, rlEval));
    return new AuditInputs(SyntheticCorpus.documents(seed), sftTrain, pref.train(), pref.heldOut(), rlTrain, evaluation,
        List.of(), Set.copyOf(InstructionData.heldOutFamilies()));
  }

  /** These inputs with {@code documents} as the corpus. */
  public AuditInputs withCorpus(List<String> documents) {
    return new AuditInputs(documents, sft, preferenceTrain, preferenceHeldOut, rlPrompts, evaluation, runs,
        heldOutFamilies);
  }

  /** These inputs with {@code dirs} as the runs. */
  public AuditInputs withRuns(List<Path> dirs) {
    return new AuditInputs(corpus, sft, preferenceTrain, preferenceHeldOut, rlPrompts, evaluation, dirs,
        heldOutFamilies);
  }

  /** The training sets by phase (SFT, preference chosen replies, RL prompts), those given. */
  public List<DataSet> training() {
    List<DataSet> out = new ArrayList<>();
    if (sft != null && !sft.isEmpty()) {
      out.add(new DataSet("sft-train", Phase.SFT, sft));
    }
    if (preferenceTrain != null && !preferenceTrain.isEmpty()) {
      List<Sample> s = new ArrayList<>();
      preferenceTrain.forEach(p -> s.add(Sample.chosen(p)));
      out.add(new DataSet("pref-train", Phase.PREFERENCE, s));
    }
    if (rlPrompts != null && !rlPrompts.isEmpty()) {
      out.add(new DataSet("rl-prompts", Phase.RL, rlPrompts));
    }
    return out;
  }

  /** The SFT samples plus the preference pairs' chosen replies, for rendering. */
  static List<Sample> samples(List<Example> examples) {
    List<Sample> out = new ArrayList<>(examples.size());
    examples.forEach(e -> out.add(Sample.of(e)));
    return out;
  }

  /** Held-out pair samples labelled with the family of the validation example they were made from. */
  private static List<Sample> withFamilies(List<Sample> pairs, List<Example> validation) {
    java.util.Map<String, String> family = new java.util.HashMap<>();
    validation.forEach(e -> family.putIfAbsent(e.prompt(), e.family()));
    List<Sample> out = new ArrayList<>(pairs.size());
    pairs.forEach(s -> out.add(new Sample(family.get(s.prompt()), s.prompt(), s.reply())));
    return out;
  }
}
