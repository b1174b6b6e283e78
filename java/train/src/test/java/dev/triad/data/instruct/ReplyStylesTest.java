package dev.triad.data.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.pref.RuleScorer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The train set's bad habits come in the documented shares, keep the answer, and are reproducible. */
class ReplyStylesTest {
  @Test
  void sharesAnswersAndDeterminism() {
    List<Example> train = InstructionData.split(3, 300, 0, 0).train();
    List<String> replies = ReplyStyles.trainReplies(train, 3);
    assertEquals(replies, ReplyStyles.trainReplies(train, 3));
    int exact = 0, verbose = 0, rude = 0;
    for (int i = 0; i < train.size(); i++) {
      String answer = train.get(i).answer();
      String r = replies.get(i);
      assertTrue(r.contains(answer), "every reply still contains the answer: " + r);
      if (r.equals(answer)) {
        exact++;
      } else if (RuleScorer.harmful(r)) {
        rude++;
      } else {
        assertTrue(ReplyStyles.FILLERS.stream().anyMatch(f -> String.format(f, answer).equals(r)), r);
        verbose++;
      }
    }
    int n = train.size();                       // 3000: shares within about 4 standard deviations
    assertEquals(ReplyStyles.VERBOSE_SHARE, (double) verbose / n, 0.03);
    assertEquals(ReplyStyles.RUDE_SHARE, (double) rude / n, 0.025);
    assertEquals(1 - ReplyStyles.VERBOSE_SHARE - ReplyStyles.RUDE_SHARE, (double) exact / n, 0.035);
  }
}
