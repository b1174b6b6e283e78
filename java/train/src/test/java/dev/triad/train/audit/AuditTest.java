package dev.triad.train.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.pref.PreferencePair;
import dev.triad.nn.GptConfig;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.audit.DataSet.Phase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each check finds what is planted in small clean data, and only that. */
class AuditTest {
  private static final List<Sample> TRAIN = List.of(
      new Sample("add", "What is 17 plus 25?", "42"),
      new Sample("add", "What is 3 plus 4?", "7"),
      new Sample("city", "Weather bulletin for Bayport, issued on Monday morning. Heavy rain is expected on Tuesday,"
          + " with 30 millimetres falling.\nWhich town is the bulletin for?", "Bayport"));

  private static AuditInputs inputs(List<Sample> sft, List<PreferencePair> pairs, List<PreferencePair> heldOut,
      List<DataSet> eval) {
    return new AuditInputs(null, sft, pairs, heldOut, null, eval, List.of(), Set.of());
  }

  @Test
  void cleanDataPasses() {
    List<DataSet> eval = List.of(new DataSet("eval", Phase.RL, List.of(new Sample("add", "What is 9 plus 1?", "10"))));
    AuditReport r = Audit.run(inputs(TRAIN, List.of(), List.of(), eval));
    assertEquals(Status.PASS, r.check("eval-train overlap").status());
    assertEquals(0, r.check("eval-train overlap").count());
  }

  @Test
  void plantedExactAndNearLeaksAreFound() {
    List<DataSet> eval = List.of(new DataSet("eval", Phase.RL, List.of(
        new Sample("add", "what is 17 PLUS 25", "42"),                          // exact after normalising
        new Sample("city", "Weather bulletin for Bayport, issued on Monday morning. Heavy rain is expected on"
            + " Tuesday, with 31 millimetres falling.\nWhich town is the bulletin for?", "Bayport"),   // near: one number
        new Sample("city", "Weather bulletin for Bayport, issued on Monday morning. Heavy rain is expected on"
            + " Tuesday, with 31 millimetres falling.\nWhich town is the bulletin for?", "Oakdale"),   // same text, other answer
        new Sample("add", "What is 17 plus 26?", "43"))));                      // a template sibling
    CheckResult c = NgramOverlap.evalVsTrain(eval, List.of(new DataSet("train", Phase.SFT, TRAIN)), false);
    assertEquals(Status.FAIL, c.status());
    assertEquals(2, c.count());
    assertTrue(c.summary().contains("eval in train: 1 exact, 1 near"), c.summary());
    assertTrue(c.examples().get(0).contains("(exact): what is 17 PLUS 25"), c.examples().toString());
    assertTrue(c.examples().get(1).contains("(near)"), c.examples().toString());
    assertEquals(1, NgramOverlap.evalVsTrain(eval, List.of(new DataSet("train", Phase.SFT, TRAIN)), true).count());
  }

  @Test
  void aLaterPhaseTrainingOnAnEarlierPhasesEvaluationIsNoLeak() {
    List<DataSet> eval = List.of(new DataSet("sft-eval", Phase.SFT, List.of(new Sample(null, "What is 3 plus 4?", "7"))));
    CheckResult c = NgramOverlap.evalVsTrain(eval, List.of(new DataSet("rl", Phase.RL, TRAIN)), false);
    assertEquals(Status.PASS, c.status());
  }

  @Test
  void plantedSftTargetEqualToRejectedIsFound() {
    List<Sample> sft = List.of(new Sample(null, "What is 17 plus 25?", "42, you idiot."),
        new Sample(null, "What is 3 plus 4?", "7"));
    List<PreferencePair> pairs = List.of(PreferencePair.of("What is 17 plus 25?", "42", "42, you idiot."),
        PreferencePair.of("What is 3 plus 4?", "7", "8"),
        PreferencePair.of("What is 5 plus 5?", "10", "11"),
        PreferencePair.of("What is 5 plus 5?", "11", "10"));   // reversed by the pair above
    CheckResult c = PreferenceContradictions.check(sft, pairs);
    assertEquals(Status.FAIL, c.status());
    assertEquals(3, c.count());
    assertTrue(c.summary().startsWith("2 SFT targets on a preference prompt: 1 equal a rejected reply, 0 near"), c.summary());
    assertTrue(c.summary().contains("2 of 4 pairs reversed"), c.summary());
    assertTrue(c.examples().get(0).contains("\"42, you idiot.\""), c.examples().toString());
    assertEquals(Status.PASS, PreferenceContradictions.check(List.of(sft.get(1)), pairs.subList(0, 2)).status());
  }

  @Test
  void plantedLengthBiasIsFoundAndABalancedSetPasses() {
    List<PreferencePair> biased = new ArrayList<>();
    List<PreferencePair> balanced = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      biased.add(PreferencePair.of("Question " + i + "?", "Answer " + i + ".", "A much longer answer, number " + i + "."));
      boolean shortWins = i % 2 == 0;
      balanced.add(PreferencePair.of("Question " + i + "?", shortWins ? "No." : "Nay, never.",
          shortWins ? "Nay, never." : "No."));
    }
    CheckResult c = LengthBias.check(biased.subList(0, 150), biased.subList(150, 200));
    assertEquals(Status.FAIL, c.status());
    assertEquals(50, c.count());
    assertTrue(c.summary().contains("a length-only ranker (shorter wins) ranks 100.0% of 50 pairs"), c.summary());
    CheckResult b = LengthBias.check(balanced.subList(0, 150), balanced.subList(150, 200));
    assertEquals(Status.PASS, b.status(), b.summary());
    assertTrue(b.summary().contains("ranks 50.0% of 50 pairs"), b.summary());
  }

  @Test
  void plantedTemplateAndTokenizerMismatchesAreFound(@TempDir Path dir) {
    GptConfig byteCfg = new GptConfig("tiny", 1, 2, 16, 257 + 4, 32);
    GptConfig gptCfg = new GptConfig("tiny", 1, 2, 16, 50257, 32);
    Path sft = dir.resolve("sft");
    Path old = dir.resolve("old");
    Path gpt = dir.resolve("gpt");
    RunInfo.of("sft", byteCfg, "byte", Map.of(RunDirectory.CHAT_TEMPLATE, "triad-chat-v2")).write(sft);
    RunInfo.of("sft", byteCfg, "byte", Map.of(RunDirectory.CHAT_TEMPLATE, "triad-chat-v1")).write(old);
    RunInfo.of("pretrain", gptCfg, "gpt2", Map.of()).write(gpt);

    assertEquals(Status.PASS, TokenizerIdentity.check(List.of(sft, old)).status());
    CheckResult t = TokenizerIdentity.check(List.of(sft, gpt));
    assertEquals(Status.FAIL, t.status());
    assertTrue(t.summary().startsWith("2 runs, 2 tokenizer(s): byte/"), t.summary());

    CheckResult tc = TemplateConsistency.check(TRAIN, List.of(), List.of(sft, old));
    assertEquals(Status.FAIL, tc.status());
    assertEquals(1, tc.count());
    assertTrue(tc.examples().get(0).contains("old records triad-chat-v1"), tc.examples().toString());
    CheckResult spelt = TemplateConsistency.check(List.of(new Sample(null, "Say <|end|> twice", "<|end|> <|end|>")),
        List.of(), List.of(sft));
    assertEquals(Status.WARN, spelt.status());
    assertTrue(spelt.summary().contains("0 differ; 1 spell a special token"), spelt.summary());
  }

  @Test
  void heldOutFamilyTrainedOnFails() {
    List<DataSet> train = List.of(new DataSet("sft-train", Phase.SFT, List.of(new Sample("capital_city",
        "What is the capital of Kenya?", "Nairobi"), new Sample("add", "What is 1 plus 1?", "2"))));
    CheckResult c = FamilyMix.check(train, List.of(), Set.of("capital_city"));
    assertEquals(Status.FAIL, c.status());
    assertEquals(1, c.count());
    assertTrue(c.examples().get(0).contains("held-out family capital_city trained in sft-train"), c.examples().toString());
  }
}
