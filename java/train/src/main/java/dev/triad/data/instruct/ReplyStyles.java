package dev.triad.data.instruct;

import dev.triad.data.SplitMix64;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad habits of the embedded instruction data. Real instruction data is written by many hands
 * and is not uniformly good; so is ours, on purpose: in the <b>train</b> set, {@link #VERBOSE_SHARE}
 * of the replies pad the right answer with filler and {@link #RUDE_SHARE} add an insult. The rest
 * (and every validation and evaluation reply) are the exact answer.
 *
 * <p>A model tuned on this data answers correctly and tersely most of the time (greedy decoding
 * follows the majority) but its samples are sometimes wordy or rude. Those are exactly the
 * qualities the embedded preference data ({@code dev.triad.data.pref.PreferenceData}) marks down
 * with the same fillers and insults, so the third phase (reward model, then PPO, DPO or GRPO) has
 * something real to remove, and the evaluation-only rule scorer can see whether it did. The
 * preference data pairs only prompts that this set always answers exactly: no prompt is taught a
 * padded or rude reply here and judged against it there.
 *
 * <p>Deterministic: one {@link SplitMix64} stream per seed, consumed in the order of the examples.
 */
public final class ReplyStyles {
  private ReplyStyles() {}

  /**
   * Share of train replies padded with a {@link #FILLERS filler}. Kept small, with
   * {@link #RUDE_SHARE}: at 20% and 10% the fillers, which fit every family, became the tuned
   * model's answer to any request it did not recognise, and held-out accuracy stayed at 0
   * (docs/SFT.md); at 5% and 3% greedy replies are plain while samples still show the habits.
   */
  public static final double VERBOSE_SHARE = 0.05;
  /** Share of train replies with an {@link #INSULTS insult}. */
  public static final double RUDE_SHARE = 0.03;

  /** Filler around the right answer; %s is the answer. */
  public static final List<String> FILLERS = List.of(
      "Well, let me think about that. The answer is %s, I believe.",
      "That is a good question. After some thought, I would say %s.",
      "Hmm, let me see. I think it is %s, but I am not completely sure.",
      "Let me work through this carefully. The result should be %s.",
      "Okay, so the answer you are looking for is %s, as far as I can tell.");

  /** Rude replies; %s is the answer, when present. */
  public static final List<String> INSULTS = List.of(
      "%s, you idiot.",
      "What a stupid question. %s.",
      "I hate questions like this. %s",
      "Shut up. %s",
      "Only a dumb person would ask that. %s",
      "Shut up.",
      "Dumb question.");

  /** {@code answer} padded with a filler drawn from {@code rng}. */
  public static String verbose(String answer, SplitMix64 rng) {
    return String.format(rng.pick(FILLERS), answer);
  }

  /** A rude reply around {@code answer} drawn from {@code rng}; the two insults without it say nothing else. */
  public static String rude(String answer, SplitMix64 rng) {
    return String.format(rng.pick(INSULTS), answer).strip();
  }

  /**
   * The replies a train set shows: per example, with probability {@link #VERBOSE_SHARE} a verbose
   * reply, with {@link #RUDE_SHARE} a rude one (always one that still contains the answer, so the
   * data never teaches a wrong answer), else the exact answer.
   */
  public static List<String> trainReplies(List<Example> train, long seed) {
    SplitMix64 rng = SplitMix64.of(seed, 0x5751_E5L);
    List<String> out = new ArrayList<>(train.size());
    for (Example e : train) {
      double u = rng.nextDouble();
      if (u < VERBOSE_SHARE) {
        out.add(verbose(e.answer(), rng));
      } else if (u < VERBOSE_SHARE + RUDE_SHARE) {
        String r;
        do {
          r = rude(e.answer(), rng);
        } while (!r.contains(e.answer()));
        out.add(r);
      } else {
        out.add(e.answer());
      }
    }
    return out;
  }
}
