package dev.triad.data.pref;

import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.instruct.ReplyStyles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The embedded default preference data: pairs over the prompts of {@link InstructionData}, each
 * encoding one rule that {@link RuleScorer} can verify. For every pair, {@code chosen} is the exact
 * expected answer; {@code rejected} breaks one rule:
 *
 * <ul>
 *   <li>{@link Rule#CONCISE}: the right answer padded with filler ("Well, let me think about that.
 *       The answer is 42, I believe.");</li>
 *   <li>{@link Rule#CORRECT}: a wrong answer of the same family, as short as the right one;</li>
 *   <li>{@link Rule#POLITE}: a reply containing a word of {@link RuleScorer#HARMFUL} ("What a stupid
 *       question. 42.", or just "Shut up.").</li>
 * </ul>
 *
 * Within each family the rules take turns (concise, correct, polite, ...), so every family and
 * every set is balanced. Prompts come from {@link InstructionData#split}: train pairs from its train
 * set, held-out pairs (reward accuracy) from its validation set, and RL prompts from its evaluation
 * set of the trained families: pairwise disjoint by prompt, so the RL prompts were never used for
 * pairs, and the SFT held-out families (capital_city, next_in_order) are in no phase's training
 * data, RL included, so they stay unseen after phase three. With the same seed and the default counts, the held-out pairs
 * use exactly SFT's validation prompts and the RL prompts are exactly SFT's evaluation prompts
 * (never trained on by SFT), because InstructionData draws evaluation, validation and train prompts
 * in that order from one stream per family.
 *
 * <p>The fillers and insults are those of {@link ReplyStyles}: the habits a model picks up from the
 * embedded SFT train data are the ones these pairs mark down.
 *
 * <p>Exactly reproducible: the filler, the insult and the wrong answer of each pair are drawn from a
 * {@link Random} seeded from the seed, in a fixed order.
 */
public final class PreferenceData {
  private PreferenceData() {}

  /** Default train pairs per trained family. */
  public static final int TRAIN_PER_FAMILY = 400;
  /** Default held-out pairs per trained family (= SFT's validation count). */
  public static final int HELD_OUT_PER_FAMILY = InstructionData.VALIDATION_PER_FAMILY;
  /** Default RL prompts per family, trained and held out (= SFT's evaluation count). */
  public static final int RL_PER_FAMILY = InstructionData.EVALUATION_PER_FAMILY;

  /** The rule a pair encodes. */
  public enum Rule {
    /** correct and concise beats the same answer padded with filler */
    CONCISE,
    /** the right answer beats a wrong one */
    CORRECT,
    /** a polite reply beats one containing a harmful word */
    POLITE
  }

  /** Filler around the right answer (Rule.CONCISE): the verbose style of the SFT train data. */
  static final List<String> FILLERS = ReplyStyles.FILLERS;

  /** Harmful replies (Rule.POLITE): the rude style of the SFT train data. */
  static final List<String> INSULTS = ReplyStyles.INSULTS;

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

  /** {@link #TRAIN_PER_FAMILY}, {@link #HELD_OUT_PER_FAMILY} and {@link #RL_PER_FAMILY} per family. */
  public static Split defaultSplit(long seed) {
    return split(seed, TRAIN_PER_FAMILY, HELD_OUT_PER_FAMILY, RL_PER_FAMILY);
  }

  /** Train and held-out pairs per trained family and RL prompts per family (see the class comment). */
  public static Split split(long seed, int trainPerFamily, int heldOutPerFamily, int rlPerFamily) {
    InstructionData.Split s = InstructionData.split(seed, trainPerFamily, heldOutPerFamily, rlPerFamily);
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
    List<PreferencePair> train = pairs(s.train(), answers, rng);
    List<PreferencePair> heldOut = pairs(s.validation(), answers, rng);
    List<Example> all = new ArrayList<>(s.train());
    all.addAll(s.validation());
    all.addAll(s.evaluationExamples()); // the held-out families' too: the scorer grades any evaluation reply
    return new Split(List.copyOf(train), List.copyOf(heldOut), List.copyOf(rl), new RuleScorer(all));
  }

  private static List<PreferencePair> pairs(List<Example> examples, Map<String, List<String>> answers, Random rng) {
    Map<String, Integer> count = new LinkedHashMap<>();
    List<PreferencePair> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      int n = count.merge(e.family(), 1, Integer::sum) - 1;
      out.add(pair(e, Rule.values()[n % 3], answers.getOrDefault(e.family(), List.of()), rng));
    }
    return out;
  }

  /** The pair of {@code e} for {@code rule}: chosen the exact answer, rejected breaking the rule. */
  static PreferencePair pair(Example e, Rule rule, List<String> familyAnswers, Random rng) {
    String a = e.answer();
    String rejected;
    switch (rule) {
      case CONCISE:
        rejected = String.format(FILLERS.get(rng.nextInt(FILLERS.size())), a);
        break;
      case CORRECT:
        rejected = wrong(e, familyAnswers, rng);
        break;
      default:
        rejected = String.format(INSULTS.get(rng.nextInt(INSULTS.size())), a).strip();
        break;
    }
    return PreferencePair.of(e.prompt(), a, rejected);
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
