package dev.triad.train.rlhf;

import dev.triad.data.EvenlySpaced;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.data.pref.PreferencePair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference pairs for {@link Dpo}, as token {@link Triple}s: the embedded preference data (the
 * pairs the reward model learns from) or a JSONL file in {@link PreferenceDataset}'s formats.
 */
public final class DpoData {
  private DpoData() {}

  /** Training and held-out pairs. */
  public record Pairs(List<Triple> train, List<Triple> heldOut) {}

  /**
   * The embedded preference data of {@link PreferenceData#defaultSplit}: its first
   * {@code trainPairs} training pairs (shuffled across families, the rules taking turns) and
   * {@code heldOutPairs} of its held-out pairs, evenly spaced (they are grouped by family).
   *
   * @throws IllegalArgumentException when asked for more pairs than the data has
   */
  public static Pairs embedded(ChatTemplate template, long seed, int trainPairs, int heldOutPairs) {
    PreferenceData.Split split = PreferenceData.defaultSplit(seed);
    if (trainPairs < 1 || trainPairs > split.train().size() || heldOutPairs < 0
        || heldOutPairs > split.heldOut().size()) {
      throw new IllegalArgumentException("embedded preference pairs: asked for " + trainPairs + " training and "
          + heldOutPairs + " held-out pairs; there are 1 to " + split.train().size() + " and 0 to "
          + split.heldOut().size());
    }
    return new Pairs(triples(template, split.train().subList(0, trainPairs)),
        triples(template, EvenlySpaced.pick(split.heldOut(), heldOutPairs)));
  }

  /**
   * Pairs from a JSONL file ({@link PreferenceDataset#readJsonl}: plain-text or chat prompts). Every
   * 20th pair is held out when there are at least 20.
   *
   * @throws IllegalArgumentException naming {@code file:line} and the field of a malformed line
   */
  public static Pairs readJsonl(Path file, ChatTemplate template) throws IOException {
    List<PreferencePair> all = PreferenceDataset.readJsonl(file);
    List<PreferencePair> train = new ArrayList<>(), heldOut = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      (all.size() >= 20 && i % 20 == 19 ? heldOut : train).add(all.get(i));
    }
    return new Pairs(triples(template, train), triples(template, heldOut));
  }

  /** Each pair rendered in the chat template. */
  public static List<Triple> triples(ChatTemplate template, List<PreferencePair> pairs) {
    List<Triple> out = new ArrayList<>(pairs.size());
    for (PreferencePair p : pairs) {
      out.add(Triple.of(template, p.prompt(), p.chosen(), p.rejected()));
    }
    return List.copyOf(out);
  }
}
