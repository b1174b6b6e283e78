package dev.triad.data.pref;

import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.instruct.ReplyStyles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded default preference data: pairs over the prompts of {@link InstructionData}, each
 * encoding one rule that {@link RuleScorer} can verify (under it every chosen reply scores more than
 * its rejected one):
 *
 * <ul>
 *   <li>{@link Rule#CONCISE}: the exact answer beats the same answer padded with filler ("Well, let
 *       me think about that. The answer is 42, I believe.");</li>
 *   <li>{@link Rule#CORRECT}: the right answer beats a wrong one of the same family. A third of the
 *       pairs state the right answer in a sentence against a bare wrong one ("The answer is 42." over
 *       "41"), a third give it bare against a stated wrong one ("42" over "The answer is 41."), a third
 *       are both bare ("42" over "41", the replies an SFT-tuned policy gives), so the form of a reply
 *       says nothing about which wins;</li>
 *   <li>{@link Rule#POLITE}: a courteous reply ("Sure, happy to help. The answer is 42.") beats one
 *       containing a word of {@link RuleScorer#HARMFUL} ("What a stupid question. 42.", or just "Shut
 *       up.").</li>
 * </ul>
 *
 * Within each family the rules take turns (concise, correct, polite, ...), so every family and every
 * set is balanced. <b>Length predicts nothing by itself</b>: the padded reply that CONCISE rejects is
 * longer, the courteous reply POLITE prefers is longer than every insult, and CORRECT goes both ways,
 * so "the shorter reply wins" ranks half the pairs ({@code triad audit}'s length/style check); brevity
 * is learnt where it holds, between two replies with the same answer.
 *
 * <p>Prompts: train pairs from SFT's train set ({@link InstructionData#defaultSplit}), held-out pairs
 * (reward accuracy) from its validation set, RL prompts from its evaluation set of the trained
 * families. The held-out pairs are exactly SFT's validation prompts and the RL prompts exactly its
 * evaluation prompts (never trained on by SFT); SFT's held-out families (capital_city,
 * next_in_order) are in no phase's training data, RL included. The train pairs take, per family and
 * in SFT's order, the first prompts that SFT demonstrates with the exact answer every time
 * ({@link ReplyStyles}' padded and rude replies sit on other prompts), yes and no balanced as far as
 * those allow: on every prompt both phases see, SFT teaches the reply the pairs prefer, never one they
 * reject.
 *
 * <p>The fillers and insults are those of {@link ReplyStyles}: the habits a model picks up from the
 * embedded SFT train data, on other prompts, are the ones these pairs mark down.
 *
 * <p>Exactly reproducible: the filler, the insult and the wrong answer of each pair are drawn from a
 * {@link Random} seeded from the seed, in a fixed order.
 */
public final class PreferenceData {
  private PreferenceData() {}

  /** Default train pairs per trained family. */
  public static final int TRAIN_PER_FAMILY = 400;
  /** Held-out pairs per trained family (= SFT's validation count). */
  public static final int HELD_OUT_PER_FAMILY = InstructionData.VALIDATION_PER_FAMILY;
  /** RL prompts per trained family (= SFT's evaluation count). */
  public static final int RL_PER_FAMILY = InstructionData.EVALUATION_PER_FAMILY;

  /** The rule a pair encodes. */
  public enum Rule {
    /** the bare right answer beats the same answer padded with filler */
    CONCISE,
    /** the right answer beats a wrong one, whichever of the two is stated in a full sentence, if either */
    CORRECT,
    /** a courteous reply beats one containing a harmful word */
    POLITE
  }

  /** Filler around the right answer (Rule.CONCISE): the verbose style of the SFT train data. */
  static final List<String> FILLERS = ReplyStyles.FILLERS;

  /** Harmful replies (Rule.POLITE): the rude style of the SFT train data. */
  static final List<String> INSULTS = ReplyStyles.INSULTS;

  /** An answer stated in a full sentence (Rule.CORRECT, either side). */
  static final String STATED = "The answer is %s.";

  /**
   * The courteous reply of Rule.POLITE: longer than every {@link #INSULTS insult}, so that the rule
   * that rewards the shorter reply (CONCISE) is matched by one that rewards the longer.
   */
  static final String COURTEOUS = "Sure, happy to help. The answer is %s.";

  /**
   * The default data.
   *
   * @param train pairs to train the reward model on
   * @param heldOut pairs for held-out reward accuracy
   * @param rlPrompts prompts for the RL phase (never in a pair; trained families only), with their answers for
   *     evaluation
   * @param scorer a {@link RuleScorer} that knows the answers of every prompt above (evaluation only)
   */
  public record Split(List<PreferencePair> train, List<PreferencePair> heldOut, List<Example> rlPrompts,
      RuleScorer scorer) {}

  /** {@link #TRAIN_PER_FAMILY} train pairs per trained family (see the class comment). */
  public static Split defaultSplit(long seed) {
    return split(seed, TRAIN_PER_FAMILY);
  }

  /**
   * {@code trainPerFamily} train pairs per trained family, {@link #HELD_OUT_PER_FAMILY} held-out pairs
   * and {@link #RL_PER_FAMILY} RL prompts (see the class comment).
   *
   * @throws IllegalStateException when SFT's train set has too few prompts it demonstrates plainly
   */
  public static Split split(long seed, int trainPerFamily) {
    InstructionData.Split s = InstructionData.defaultSplit(seed);
    // RL prompts: the trained families' evaluation prompts; the SFT held-out families stay unseen by every phase
    List<Example> rl = new ArrayList<>();
    for (String family : InstructionData.trainedFamilies()) {
      rl.addAll(s.evaluation().get(family));
    }
    // wrong answers come from the answers of the same family, in a fixed order
    Map<String, List<String>> answers = new LinkedHashMap<>();
    for (List<Example> set : List.of(s.train(), s.validation(), rl)) {
      for (Example e : set) {
        List<String> a = answers.computeIfAbsent(e.family(), f -> new ArrayList<>());
        if (!a.contains(e.answer())) {
          a.add(e.answer());
        }
      }
    }
    Random rng = new Random(seed * 0x9E3779B97F4A7C15L + 0x5EED_BEEFL);
    List<PreferencePair> train = pairs(plainlyDemonstrated(s.train(), seed, trainPerFamily), answers, rng);
    List<PreferencePair> heldOut = pairs(s.validation(), answers, rng);
    List<Example> all = new ArrayList<>(s.train());
    all.addAll(s.validation());
    all.addAll(s.evaluationExamples()); // the held-out families' too: the scorer grades any evaluation reply
    return new Split(List.copyOf(train), List.copyOf(heldOut), List.copyOf(rl), new RuleScorer(all));
  }

  /**
   * The first {@code perFamily} examples of each family, in SFT's train order, whose prompt SFT
   * demonstrates with the exact answer every time it occurs ({@link ReplyStyles#trainReplies}); at
   * most half of a family with one answer where the family has enough others (yes_no_facts is then
   * balanced: exactly for the default seed; true statements are few, and for some seeds too few of
   * them are always answered plainly).
   */
  private static List<Example> plainlyDemonstrated(List<Example> sftTrain, long seed, int perFamily) {
    List<String> replies = ReplyStyles.trainReplies(sftTrain, seed);
    Set<String> styled = new HashSet<>();              // membership tests only
    for (int i = 0; i < sftTrain.size(); i++) {
      if (!replies.get(i).equals(sftTrain.get(i).answer())) {
        styled.add(sftTrain.get(i).prompt());
      }
    }
    boolean[] picked = new boolean[sftTrain.size()];
    Map<String, Integer> perFamilyCount = new HashMap<>();
    for (int capped = 1; capped >= 0; capped--) {     // first at most half per answer, then any to fill up
      Map<String, Integer> perAnswer = new HashMap<>();
      for (int i = 0; i < sftTrain.size(); i++) {
        Example e = sftTrain.get(i);
        String answerKey = e.family() + "\u0000" + e.answer();
        if (picked[i] || styled.contains(e.prompt()) || perFamilyCount.getOrDefault(e.family(), 0) >= perFamily
            || capped == 1 && perAnswer.getOrDefault(answerKey, 0) >= (perFamily + 1) / 2) {
          continue;
        }
        picked[i] = true;
        perFamilyCount.merge(e.family(), 1, Integer::sum);
        perAnswer.merge(answerKey, 1, Integer::sum);
      }
    }
    for (String family : InstructionData.trainedFamilies()) {
      if (perFamilyCount.getOrDefault(family, 0) < perFamily) {
        throw new IllegalStateException("family " + family + " has " + perFamilyCount.getOrDefault(family, 0)
            + " plainly demonstrated SFT train prompts, fewer than the " + perFamily + " pairs asked");
      }
    }
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < sftTrain.size(); i++) {
      if (picked[i]) {
        out.add(sftTrain.get(i));
      }
    }
    return out;
  }

  private static List<PreferencePair> pairs(List<Example> examples, Map<String, List<String>> answers, Random rng) {
    Map<String, Integer> count = new LinkedHashMap<>();
    List<PreferencePair> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      int n = count.merge(e.family(), 1, Integer::sum) - 1;
      // the rules take turns; CORRECT pairs cycle through its three forms
      out.add(pair(e, Rule.values()[n % 3], (n / 3) % 3, answers.getOrDefault(e.family(), List.of()), rng));
    }
    return out;
  }

  /**
   * The pair of {@code e} for {@code rule} (see the class comment); {@code form} chooses, for CORRECT,
   * which answer is stated in a sentence: 0 the right one (the wrong one bare), 1 the wrong one (the
   * right one bare), 2 neither.
   */
  static PreferencePair pair(Example e, Rule rule, int form, List<String> familyAnswers, Random rng) {
    String a = e.answer();
    switch (rule) {
      case CONCISE:
        return PreferencePair.of(e.prompt(), a, String.format(FILLERS.get(rng.nextInt(FILLERS.size())), a));
      case CORRECT: {
        String w = wrong(e, familyAnswers, rng);
        return PreferencePair.of(e.prompt(), form == 0 ? String.format(STATED, a) : a,
            form == 1 ? String.format(STATED, w) : w);
      }
      default:
        return PreferencePair.of(e.prompt(), String.format(COURTEOUS, a),
            String.format(INSULTS.get(rng.nextInt(INSULTS.size())), a).strip());
    }
  }

  /**
   * A wrong answer of the same family, as short as a right one: one that {@link InstructionData#score}
   * rejects and that does not contain the right answer as a word (so {@link RuleScorer} gives it at
   * most 0). Failing that, a changed number or a non-answer.
   */
  private static String wrong(Example e, List<String> familyAnswers, Random rng) {
    for (int tries = 0; tries < 64 && !familyAnswers.isEmpty(); tries++) {
      String c = familyAnswers.get(rng.nextInt(familyAnswers.size()));
      if (!InstructionData.score(e, c) && RuleScorer.score(e, c) <= 0 && !RuleScorer.harmful(c)) {
        return c;
      }
    }
    try {
      return Integer.toString(Integer.parseInt(e.answer().strip()) + 1);
    } catch (NumberFormatException notNumeric) {
      return "I do not know.";
    }
  }

  /**
   * The rule a pair of this data encodes, recognised from its text: POLITE when only the rejected
   * reply is harmful, CONCISE when the rejected reply is longer and contains the chosen one as a word or phrase, else CORRECT.
   */
  public static Rule ruleOf(PreferencePair p) {
    if (RuleScorer.harmful(p.rejected()) && !RuleScorer.harmful(p.chosen())) {
      return Rule.POLITE;
    }
    if (p.rejected().length() > p.chosen().length() && Pattern.compile("(?<![A-Za-z0-9])" + Pattern.quote(p.chosen())
        + "(?![A-Za-z0-9])").matcher(p.rejected()).find()) {
      return Rule.CONCISE;
    }
    return Rule.CORRECT;
  }
}
