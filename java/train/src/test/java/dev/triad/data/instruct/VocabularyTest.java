package dev.triad.data.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.SyntheticCorpus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vocabulary copied from {@link SyntheticCorpus} still matches the corpus text: every bulletin
 * sentence an instruction prompt contains is one the corpus writes for that town (up to the day
 * and the number), with a number in the corpus's range, and every word-task word occurs in it.
 */
class VocabularyTest {
  private static final Pattern DAY = Pattern.compile("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday");
  private static final Pattern NUMBER = Pattern.compile("[0-9]+");
  private static String corpus;
  /** "town|sentence with DAY and # placeholders" for every bulletin sentence of the corpus. */
  private static Set<String> townSentences;
  /** For each normalized sentence (skies pooled), the smallest and largest number the corpus puts in it. */
  private static Map<String, int[]> ranges;

  @BeforeAll
  static void setUp() {
    List<String> docs = SyntheticCorpus.documents(SyntheticCorpus.DEFAULT_SEED);
    corpus = String.join("\n", docs);
    townSentences = new HashSet<>();
    ranges = new HashMap<>();
    Pattern header = Pattern.compile("Weather bulletin for ([A-Za-z ]+), issued on ");
    for (String doc : docs) {
      Matcher h = header.matcher(doc);
      if (!h.lookingAt()) {
        continue;
      }
      for (String sentence : doc.split("(?<=\\.) ")) {
        String norm = normalize(sentence);
        townSentences.add(h.group(1) + "|" + norm);
        Matcher n = NUMBER.matcher(sentence);
        if (n.find()) {
          int v = Integer.parseInt(n.group());
          int[] r = ranges.computeIfAbsent(rangeKey(norm), k -> new int[] {v, v});
          r[0] = Math.min(r[0], v);
          r[1] = Math.max(r[1], v);
        }
      }
    }
  }

  private static String normalize(String sentence) {
    return NUMBER.matcher(DAY.matcher(sentence).replaceAll("DAY")).replaceAll("#")
        .replaceAll("# (inch|degree|mile|foot)\\b", "# UNIT").replaceAll("# (inches|degrees|miles|feet)\\b", "# UNIT");
  }

  /** The sky does not bound the high, and pooling skies keeps the observed ranges from being sparse. */
  private static String rangeKey(String norm) {
    return norm.replaceAll(" is (sunny|partly cloudy|cloudy|clear) with", " is SKY with");
  }

  @Test
  void everyBulletinSentenceIsOneTheCorpusWritesForThatTown() {
    int sentences = 0;
    for (String family : List.of("weather_city", "weather_day", "weather_high")) {
      for (Example e : InstructionData.generate(family, 2_000, 5)) {
        String bulletin = e.prompt().substring(0, e.prompt().indexOf('\n'));
        String town = bulletin.substring("Weather bulletin for ".length(), bulletin.indexOf(','));
        for (String sentence : bulletin.split("(?<=\\.) ")) {
          String norm = normalize(sentence);
          assertTrue(townSentences.contains(town + "|" + norm), "not in the corpus for " + town + ": " + sentence);
          Matcher n = NUMBER.matcher(sentence);
          if (n.find()) {
            int v = Integer.parseInt(n.group());
            int[] r = ranges.get(rangeKey(norm));
            assertTrue(v >= r[0] && v <= r[1], v + " outside the corpus range " + r[0] + "-" + r[1] + ": " + sentence);
          }
          sentences++;
        }
      }
    }
    assertTrue(sentences > 10_000);
  }

  @Test
  void theCheckCanFail() {
    assertEquals(false, townSentences.contains("Dry Creek|" + normalize("Heavy snow is expected on Monday with 9 inches of snow.")));
    assertTrue(townSentences.contains("Snowmass|" + normalize("Heavy snow is expected on Monday with 9 inches of snow.")));
  }

  @Test
  void wordTaskWordsOccurInTheCorpus() {
    assertEquals(Vocabulary.WORDS.size(), new HashSet<>(Vocabulary.WORDS).size(), "duplicate words");
    for (String w : Vocabulary.WORDS) {
      assertTrue(Pattern.compile("\\b" + w + "\\b").matcher(corpus).find(), w);
      assertTrue(w.matches("[a-z]{2,6}"), w);
    }
  }
}
