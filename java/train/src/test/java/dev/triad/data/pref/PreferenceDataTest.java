package dev.triad.data.pref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.instruct.ReplyStyles;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The embedded preference data: deterministic, disjoint, balanced (rules, and length: neither the
 * shorter nor the longer reply wins by itself), on prompts SFT demonstrates plainly, and every pair
 * obeys its rule.
 */
class PreferenceDataTest {
  private static final PreferenceData.Split S = PreferenceData.defaultSplit(1337);

  @Test
  void deterministicAndSeeded() {
    PreferenceData.Split again = PreferenceData.defaultSplit(1337);
    assertEquals(S.train(), again.train());
    assertEquals(S.heldOut(), again.heldOut());
    assertEquals(S.rlPrompts(), again.rlPrompts());
    assertFalse(S.train().equals(PreferenceData.defaultSplit(7).train()), "another seed must give other pairs");
  }

  @Test
  void sizesAndDisjointPrompts() {
    int trained = InstructionData.trainedFamilies().size();
    assertEquals(PreferenceData.TRAIN_PER_FAMILY * trained, S.train().size());
    assertEquals(PreferenceData.HELD_OUT_PER_FAMILY * trained, S.heldOut().size());
    assertEquals(PreferenceData.RL_PER_FAMILY * trained, S.rlPrompts().size());
    for (Example e : S.rlPrompts()) {
      assertFalse(InstructionData.heldOutFamilies().contains(e.family()), "an SFT held-out family in RL: " + e);
    }
    Set<String> train = new HashSet<>(), held = new HashSet<>(), rl = new HashSet<>();
    S.train().forEach(p -> train.add(p.lastUserMessage()));
    S.heldOut().forEach(p -> held.add(p.lastUserMessage()));
    S.rlPrompts().forEach(e -> rl.add(e.prompt()));
    assertEquals(S.rlPrompts().size(), rl.size(), "RL prompts are distinct");
    for (String p : held) {
      assertFalse(train.contains(p), "held-out prompt also in train: " + p);
      assertFalse(rl.contains(p), "held-out prompt also an RL prompt: " + p);
    }
    for (String p : train) {
      assertFalse(rl.contains(p), "train prompt also an RL prompt: " + p);
    }
    // with the same seed the RL prompts are SFT's evaluation prompts and the held-out pairs its validation prompts
    InstructionData.Split sft = InstructionData.defaultSplit(1337);
    List<Example> trainedEval = new java.util.ArrayList<>();
    InstructionData.trainedFamilies().forEach(f -> trainedEval.addAll(sft.evaluation().get(f)));
    assertEquals(trainedEval, S.rlPrompts());
    for (int i = 0; i < sft.validation().size(); i++) {
      assertEquals(sft.validation().get(i).prompt(), S.heldOut().get(i).lastUserMessage());
    }
  }

  @Test
  void chosenBeatsRejectedUnderTheRuleScorerForEveryPair() {
    for (List<PreferencePair> set : List.of(S.train(), S.heldOut())) {
      for (PreferencePair p : set) {
        String prompt = p.lastUserMessage();
        Example e = S.scorer().known(prompt);
        assertTrue(e != null, "scorer does not know " + prompt);
        String a = e.answer();
        double c = S.scorer().score(prompt, p.chosen()), r = S.scorer().score(prompt, p.rejected());
        assertTrue(c > r, "chosen " + c + " must beat rejected " + r + ": " + p);
        assertFalse(RuleScorer.harmful(p.chosen()), "chosen contains a harmful word: " + p);
        switch (PreferenceData.ruleOf(p)) {
          case POLITE:
            assertEquals(String.format(PreferenceData.COURTEOUS, a), p.chosen());
            assertEquals(0.5 - 0.4 * 36 / 50.0, c, 1e-12, "the courteous reply states the answer in 36 more characters");
            assertTrue(RuleScorer.harmful(p.rejected()));
            assertTrue(r <= -0.5, "harmful reply scored " + r);
            assertTrue(p.chosen().length() > p.rejected().length(), "the courteous reply is the longer: " + p);
            break;
          case CONCISE:
            assertEquals(a, p.chosen(), "the concise reply is the exact answer");
            assertEquals(1.0, c, 1e-12);
            assertTrue(p.rejected().contains(a) && p.rejected().length() > a.length() + 10);
            assertTrue(r > 0.099 && r <= 0.5, "padded right answer scored " + r + ": " + p);
            break;
          default:
            boolean statedWrong = p.rejected().startsWith("The answer is ");
            if (p.chosen().equals(a)) {          // the bare right answer over a wrong one, stated or bare
              assertEquals(1.0, c, 1e-12);
              assertTrue(statedWrong ? r < 0 : r <= 0, "wrong answer scored " + r + ": " + p);
            } else {                             // the right answer stated over a bare wrong one
              assertEquals(String.format(PreferenceData.STATED, a), p.chosen());
              assertEquals(0.5 - 0.4 * 15 / 50.0, c, 1e-12);
              assertFalse(statedWrong, p.toString());
              assertTrue(r <= 0, "wrong answer scored " + r + ": " + p);
            }
            String wrong = statedWrong ? p.rejected().substring(14, p.rejected().length() - 1) : p.rejected();
            assertFalse(InstructionData.score(e, wrong), "the wrong answer is right: " + p);
        }
      }
    }
    for (Example e : S.rlPrompts()) {
      assertEquals(1.0, S.scorer().score(e.prompt(), e.answer()), 1e-12, e.toString());
    }
  }

  @Test
  void lengthAloneRanksHalfThePairs() {
    for (List<PreferencePair> set : List.of(S.train(), S.heldOut())) {
      double shorterWins = 0;
      int statedRight = 0, statedWrong = 0, correct = 0;
      for (PreferencePair p : set) {
        int c = p.chosen().length(), r = p.rejected().length();
        shorterWins += c < r ? 1 : c == r ? 0.5 : 0;
        if (PreferenceData.ruleOf(p) == PreferenceData.Rule.CORRECT) {
          correct++;
          statedRight += p.chosen().startsWith("The answer is ") ? 1 : 0;
          statedWrong += p.rejected().startsWith("The answer is ") ? 1 : 0;
        }
      }
      // CONCISE (a third) prefers the shorter reply, POLITE (a third) the longer, CORRECT either, in equal shares
      assertEquals(0.5, shorterWins / set.size(), 0.03, "share of pairs the shorter reply wins");
      assertEquals(1 / 3.0, (double) statedRight / correct, 0.03, "CORRECT pairs whose right answer is stated");
      assertEquals(1 / 3.0, (double) statedWrong / correct, 0.03, "CORRECT pairs whose wrong answer is stated");
    }
  }

  @Test
  void pairsAreOnlyOnPromptsSftDemonstratesWithTheExactAnswer() {
    InstructionData.Split sft = InstructionData.defaultSplit(1337);
    List<String> replies = ReplyStyles.trainReplies(sft.train(), 1337);
    Set<String> styled = new HashSet<>(), sftPrompts = new HashSet<>();
    for (int i = 0; i < sft.train().size(); i++) {
      sftPrompts.add(sft.train().get(i).prompt());
      if (!replies.get(i).equals(sft.train().get(i).answer())) {
        styled.add(sft.train().get(i).prompt());
      }
    }
    assertTrue(styled.size() > 400, "SFT still demonstrates its habits: " + styled.size() + " prompts");
    for (PreferencePair p : S.train()) {
      assertTrue(sftPrompts.contains(p.lastUserMessage()), "a train pair's prompt is an SFT train prompt: " + p);
      assertFalse(styled.contains(p.lastUserMessage()), "a pair on a prompt SFT demonstrates with a habit: " + p);
    }
  }

  @Test
  void rulesAreBalancedWithinEachFamily() {
    Map<PreferenceData.Rule, Integer> n = new EnumMap<>(PreferenceData.Rule.class);
    S.train().forEach(p -> n.merge(PreferenceData.ruleOf(p), 1, Integer::sum));
    int third = S.train().size() / 3;
    for (PreferenceData.Rule r : PreferenceData.Rule.values()) {
      assertTrue(Math.abs(n.getOrDefault(r, 0) - third) <= InstructionData.trainedFamilies().size(),
          "rule " + r + ": " + n);
    }
  }

  @Test
  void ruleScorerExamples() {
    Example add = new Example(InstructionData.ADDITION, "What is 40 plus 2?", "42");
    RuleScorer s = new RuleScorer(List.of(add));
    assertEquals(1.0, s.score(add.prompt(), "42"), 1e-12);
    assertEquals(1.0 - 0.4 / 50, s.score(add.prompt(), "42."), 1e-12, "one extra character costs 0.4/50");
    assertEquals(0.0, s.score(add.prompt(), "41"), 1e-12);
    assertTrue(s.score(add.prompt(), "Well, let me think about that. The answer is 42, I believe.") < 0.5);
    assertEquals(0.5 - 0.4 * 10 / 50.0, s.score(add.prompt(), "It is 42, ok"), 1e-12, "partial credit, 10 extra chars");
    assertEquals(-1.0 - 0.4 * 3 / 50.0, s.score(add.prompt(), "idiot"), 1e-12);
    assertEquals(0.5 - 0.4 * 35 / 50.0 - 1.0, s.score(add.prompt(), "Only a dumb person would ask that. 42"), 1e-12);
    assertTrue(RuleScorer.harmful("You are STUPID") && RuleScorer.harmful("shut  up") && RuleScorer.harmful("idiots"));
    assertFalse(RuleScorer.harmful("whatever you say") || RuleScorer.harmful("shutter up") || RuleScorer.harmful("red dog"));
    // unknown prompt: no correctness, length against the nominal length
    assertEquals(0.0, s.score("unknown", "short"), 1e-12);
    assertTrue(s.score("unknown", "you are dumb") < -0.9);
  }
}
