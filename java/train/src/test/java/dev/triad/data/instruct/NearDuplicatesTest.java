package dev.triad.data.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which train candidates the decontamination refuses: same answer and nearly the same prompt, nothing else. */
class NearDuplicatesTest {
  private static final String STORM = "Weather bulletin for Fairview, issued on Saturday evening. Storms with hail are"
      + " expected on Sunday, with gusts up to %d miles per hour.\n%s";

  private static NearDuplicates holding(Example... held) {
    NearDuplicates n = new NearDuplicates();
    for (Example e : held) {
      n.add(e);
    }
    return n;
  }

  @Test
  void aBulletinThatDiffersOnlyInADetailNotAskedAboutIsRefused() {
    // the pair the audit found in the embedded data before decontamination: only the gust speed differs
    NearDuplicates n = holding(new Example("weather_city", String.format(STORM, 55, "Which town is the bulletin for?"),
        "Fairview"));
    assertTrue(n.nearHeldBack(new Example("weather_city", String.format(STORM, 61, "Which town is the bulletin for?"),
        "Fairview")));
    // the same bulletin asked for another detail has another answer: another question, kept
    assertFalse(n.nearHeldBack(new Example("weather_day", String.format(STORM, 61, "On which day is the hazard expected?"),
        "Sunday")));
  }

  @Test
  void sameAnswerAloneOrSimilarPromptAloneIsNotEnough() {
    NearDuplicates n = holding(new Example("last_word", "What is the last word of noon snow?", "snow"));
    assertTrue(n.nearHeldBack(new Example("last_word", "What is the last word of fog noon snow?", "snow")),
        "ends like the held-back list, same answer");
    assertFalse(n.nearHeldBack(new Example("last_word", "What is the last word of fog red snow?", "snow")),
        "same answer, but only the question's frame and the last word shared (7 of 10 grams)");
    assertFalse(n.nearHeldBack(new Example("last_word", "What is the last word of noon snow sun?", "sun")),
        "contains the held-back prompt's words, another answer");
    // the held-back answer as whole words of the candidate's: a reversed list that extends it
    NearDuplicates r = holding(new Example("reverse_words", "Reverse the words: red dog sun", "sun dog red"));
    assertTrue(r.nearHeldBack(new Example("reverse_words", "Reverse the words: red dog sun cat", "cat sun dog red")));
  }

  @Test
  void gramsArePaddedWordTrigramsOfNormalisedText() {
    assertEquals("what is 17 plus 25", NearDuplicates.normal("What is 17 plus 25?"));
    // 4 words, two edge markers each side: 6 grams, every word in three of them
    assertEquals(6, NearDuplicates.grams("does a dog bark").size());
    assertTrue(NearDuplicates.grams("").isEmpty());
  }
}
