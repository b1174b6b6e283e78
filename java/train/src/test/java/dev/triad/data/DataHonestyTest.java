package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferencePair;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The embedded data of the three phases, checked together for leaks: no prompt any phase is evaluated
 * on is in any phase's training data, and the SFT held-out families are trained on nowhere (RL
 * included). The pretraining corpus is not in this check on purpose: it states the facts the held-out
 * families ask about and quizzes them ("Q: What is the capital of Kenya?" / "A: Nairobi"), which is what
 * the held-out families measure the transfer of (InstructionData's class comment).
 */
class DataHonestyTest {
  private static final long SEED = 1337;

  @Test
  void noEvaluationPromptIsInAnyTrainingSet() {
    InstructionData.Split sft = InstructionData.defaultSplit(SEED);
    PreferenceData.Split pref = PreferenceData.defaultSplit(SEED);

    // what phases train on: SFT train rows, reward/DPO train pairs, RL rollout prompts
    Set<String> sftTrain = prompts(sft.train());
    Set<String> prefTrain = new HashSet<>();
    pref.train().forEach(p -> prefTrain.add(p.lastUserMessage()));
    Set<String> rl = prompts(pref.rlPrompts());

    // what phases are judged on: SFT task accuracy (evaluation), SFT validation loss, reward/DPO held-out pairs
    Set<String> sftEval = prompts(sft.evaluationExamples());
    Set<String> sftVal = prompts(sft.validation());
    Set<String> prefHeldOut = new HashSet<>();
    for (PreferencePair p : pref.heldOut()) {
      prefHeldOut.add(p.lastUserMessage());
    }

    assertTrue(sftEval.size() > 500 && sftTrain.size() > 5000 && prefTrain.size() > 3000 && rl.size() > 400,
        "the sets are the default ones: " + sftEval.size() + " " + sftTrain.size() + " " + prefTrain.size() + " " + rl.size());
    for (Set<String> judged : List.of(sftEval, sftVal, prefHeldOut)) {
      for (String p : judged) {
        assertFalse(sftTrain.contains(p), "an evaluation prompt in SFT's training set: " + p);
        assertFalse(prefTrain.contains(p), "an evaluation prompt in the reward/DPO training pairs: " + p);
      }
    }
    // RL trains on SFT's evaluation prompts of the trained families (never on pairs' or SFT's training prompts);
    // its own evaluation prompts are a disjoint part of them (Ppo, Grpo)
    for (String p : rl) {
      assertFalse(sftTrain.contains(p) || prefTrain.contains(p) || prefHeldOut.contains(p), "RL prompt reused: " + p);
    }
  }

  @Test
  void heldOutFamiliesAreTrainedOnByNoPhase() {
    InstructionData.Split sft = InstructionData.defaultSplit(SEED);
    PreferenceData.Split pref = PreferenceData.defaultSplit(SEED);
    List<String> heldOut = InstructionData.heldOutFamilies();
    Set<String> heldOutPrompts = new HashSet<>();
    for (String family : heldOut) {
      assertFalse(sft.evaluation().get(family).isEmpty(), family + " is evaluated");
      heldOutPrompts.addAll(prompts(sft.evaluation().get(family)));
    }
    for (Example e : sft.train()) {
      assertFalse(heldOut.contains(e.family()), "SFT trains on a held-out family: " + e);
    }
    for (Example e : pref.rlPrompts()) {
      assertFalse(heldOut.contains(e.family()), "RL trains on a held-out family: " + e);
    }
    for (PreferencePair p : pref.train()) {
      assertFalse(heldOutPrompts.contains(p.lastUserMessage()), "a reward/DPO pair on a held-out prompt: " + p);
      assertFalse(p.lastUserMessage().contains("capital"), "a reward/DPO pair asks about capitals: " + p);
    }
  }

  private static Set<String> prompts(List<Example> examples) {
    Set<String> out = new HashSet<>();
    examples.forEach(e -> out.add(e.prompt()));
    return out;
  }
}
