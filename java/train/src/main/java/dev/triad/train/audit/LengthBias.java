package dev.triad.train.audit;

import dev.triad.data.pref.PreferencePair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Whether a trivial feature of the replies ranks the preference pairs: if "the shorter reply wins"
 * already ranks most held-out pairs, a reward model's held-out accuracy does not show that it learnt
 * anything but length, and a policy optimised against it learns to be short (or long).
 *
 * <p>Each feature (characters, words, sentences, commas) becomes a one-parameter ranker: its
 * direction (fewer or more wins) is read off the training pairs, and it is scored on the held-out
 * pairs (a tie counts half, as a coin would). The pairs are what a reward model is judged on; with
 * no held-out pairs, the training pairs are scored (said so).
 *
 * <p>Thresholds, on the best feature's accuracy a: a = 0.5 + k/2 when the feature decides a share k
 * of the pairs beyond chance. <b>Fail</b> at a &gt;= {@link #FAIL_ACCURACY} (k &gt;= 1/2: the feature
 * alone decides at least half of the pairs), <b>warn</b> at a &gt;= {@link #WARN_ACCURACY} (k &gt;=
 * 1/5); both only when a is at least {@link #MIN_Z} standard errors above chance, so a handful of
 * pairs is not judged on noise.
 */
public final class LengthBias {
  private LengthBias() {}

  public static final double FAIL_ACCURACY = 0.75;
  public static final double WARN_ACCURACY = 0.60;
  public static final double MIN_Z = 3.0;

  /** A reply feature a trivial reward model could rank by. */
  record Feature(String name, ToDoubleFunction<String> value) {}

  static final List<Feature> FEATURES = List.of(
      new Feature("characters", s -> s.strip().length()),
      new Feature("words", s -> NormalText.words(NormalText.of(s)).length),
      new Feature("sentences", s -> s.chars().filter(c -> c == '.' || c == '!' || c == '?').count()),
      new Feature("commas", s -> s.chars().filter(c -> c == ',').count()));

  /** A feature's ranker: its direction on the training pairs and its accuracy on the scored pairs. */
  public record Ranker(String feature, boolean fewerWins, double accuracy, int pairs) {}

  public static CheckResult check(List<PreferencePair> train, List<PreferencePair> heldOut) {
    String name = "length/style bias";
    if (train == null || train.isEmpty()) {
      return CheckResult.skipped(name, "needs preference data");
    }
    boolean scoredOnTrain = heldOut == null || heldOut.isEmpty();
    List<PreferencePair> scored = scoredOnTrain ? train : heldOut;
    List<Ranker> rankers = new ArrayList<>();
    for (Feature f : FEATURES) {
      rankers.add(ranker(f, train, scored));
    }
    Ranker length = rankers.get(0);
    Ranker best = length;
    for (Ranker r : rankers) {
      if (r.accuracy() > best.accuracy()) {
        best = r;
      }
    }
    double chosenChars = mean(train, true);
    double rejectedChars = mean(train, false);
    double z = (best.accuracy() - 0.5) / (0.5 / Math.sqrt(scored.size()));
    Status status = z < MIN_Z ? Status.PASS
        : best.accuracy() >= FAIL_ACCURACY ? Status.FAIL
        : best.accuracy() >= WARN_ACCURACY ? Status.WARN : Status.PASS;
    String on = scoredOnTrain ? "the training pairs (no held-out pairs)" : "the held-out pairs";
    String summary = String.format(Locale.ROOT, "chosen %.1f vs rejected %.1f characters on average; a length-only"
            + " ranker (%s wins) ranks %.1f%% of %d pairs on %s%s (fail >= %.0f%%, warn >= %.0f%%)", chosenChars,
        rejectedChars, length.fewerWins() ? "shorter" : "longer", 100 * length.accuracy(), length.pairs(), on,
        best == length ? "" : String.format(Locale.ROOT, "; best trivial feature: %s (%s wins) %.1f%%", best.feature(),
            best.fewerWins() ? "fewer" : "more", 100 * best.accuracy()),
        100 * FAIL_ACCURACY, 100 * WARN_ACCURACY);
    List<String> examples = new ArrayList<>();
    if (status != Status.PASS) {
      examples.add(String.format(Locale.ROOT, "a reward model that counts %s scores %.1f%% held-out accuracy", best.feature(),
          100 * best.accuracy()));
      for (PreferencePair p : scored) {
        if (examples.size() >= CheckResult.MAX_EXAMPLES) {
          break;
        }
        if (p.chosen().strip().length() < p.rejected().strip().length() == length.fewerWins()) {
          examples.add("\"" + NormalText.clip(p.chosen(), 25) + "\" > \"" + NormalText.clip(p.rejected(), 45) + "\"");
        }
      }
    }
    return new CheckResult(name, status, scored.size(), summary, examples);
  }

  /** The ranker of {@code f}: direction from {@code train}, accuracy on {@code scored}. */
  static Ranker ranker(Feature f, List<PreferencePair> train, List<PreferencePair> scored) {
    double fewer = 0;
    for (PreferencePair p : train) {
      fewer += score(f, p, true);
    }
    boolean fewerWins = fewer >= train.size() / 2.0;
    double right = 0;
    for (PreferencePair p : scored) {
      right += score(f, p, fewerWins);
    }
    return new Ranker(f.name(), fewerWins, right / scored.size(), scored.size());
  }

  /** 1 when the ranker prefers the chosen reply, 1/2 on a tie, else 0. */
  private static double score(Feature f, PreferencePair p, boolean fewerWins) {
    double c = f.value().applyAsDouble(p.chosen());
    double r = f.value().applyAsDouble(p.rejected());
    if (c == r) {
      return 0.5;
    }
    return (c < r) == fewerWins ? 1 : 0;
  }

  private static double mean(List<PreferencePair> pairs, boolean chosen) {
    double sum = 0;
    for (PreferencePair p : pairs) {
      sum += (chosen ? p.chosen() : p.rejected()).strip().length();
    }
    return sum / pairs.size();
  }
}
