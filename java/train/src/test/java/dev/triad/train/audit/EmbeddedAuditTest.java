package dev.triad.train.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The embedded data (seed 1337) audits clean: no check fails (issue #19; docs/AUDIT.md "The embedded
 * data"). Each figure is the real one, so a change to the data that reopens an issue, or one that
 * merely shifts a count, shows here:
 *
 * <ul>
 *   <li>no evaluation prompt is in a training set, exactly or nearly: InstructionData's train set
 *       refuses the near duplicates, with the same answer, of its evaluation and validation prompts;</li>
 *   <li>no SFT target is a rejected reply: the pairs sit on the 4904 SFT train rows whose prompt SFT
 *       always demonstrates with the exact answer (its padded and rude replies are on other prompts);</li>
 *   <li>no trivial feature ranks the held-out pairs: the shorter reply wins in about half of them.</li>
 * </ul>
 *
 * The one warning is by design: the corpus states and quizzes facts, so 152 evaluation prompts occur
 * in it word for word (the held-out families' questions among them; NgramOverlap.evalVsCorpus).
 */
class EmbeddedAuditTest {
  @Test
  void embeddedDataAuditsClean() {
    AuditReport r = Audit.run(AuditInputs.embedded(AuditInputs.DEFAULT_SEED));
    System.out.println(r.table());
    assertFalse(r.failed(), r.table());
    assertEquals(Status.WARN, r.status(), "the corpus warning is the worst finding");

    CheckResult overlap = r.check("eval-train overlap");
    assertEquals(Status.PASS, overlap.status(), overlap.summary());
    assertEquals(0, overlap.count());
    assertTrue(overlap.summary().startsWith("7 evaluation/training pairs: no evaluation prompt in a training set"
        + " (exact or near"), overlap.summary());

    CheckResult corpus = r.check("eval-corpus overlap");
    assertEquals(Status.WARN, corpus.status());
    assertEquals(152, corpus.count());
    assertTrue(corpus.summary().contains("sft-eval 102/560, sft-validation 23/600, pref-heldout 23/600, rl-eval 4/96"),
        corpus.summary());

    CheckResult contradictions = r.check("sft-preference contradictions");
    assertEquals(Status.PASS, contradictions.status(), contradictions.summary());
    assertEquals(0, contradictions.count());
    assertTrue(contradictions.summary().startsWith("4904 SFT targets on a preference prompt: 0 equal a rejected"
        + " reply, 0 near"), contradictions.summary());
    assertTrue(contradictions.summary().endsWith("0 of 4800 pairs reversed by another"), contradictions.summary());

    CheckResult length = r.check("length/style bias");
    assertEquals(Status.PASS, length.status(), length.summary());
    assertTrue(length.summary().startsWith("chosen 20.2 vs rejected 34.0 characters on average; a length-only ranker"
        + " (shorter wins) ranks 50.8% of 600 pairs on the held-out pairs; best trivial feature: words (fewer wins)"
        + " 53.8%"), length.summary());

    assertEquals(Status.PASS, r.check("template consistency").status());
    assertEquals(Status.SKIPPED, r.check("tokenizer identity").status());
    assertEquals(Status.PASS, r.check("family mix").status());
    // sorted, so the line is the same on every JVM (Set.copyOf's order is not)
    assertTrue(r.check("family mix").summary().endsWith("held-out families [capital_city, next_in_order] trained by no"
        + " phase"), r.check("family mix").summary());
  }

  @Test
  void everyTrivialRankerIsNearChance() {
    AuditInputs in = AuditInputs.embedded(AuditInputs.DEFAULT_SEED);
    for (LengthBias.Feature f : LengthBias.FEATURES) {
      LengthBias.Ranker rk = LengthBias.ranker(f, in.preferenceTrain(), in.preferenceHeldOut());
      assertTrue(rk.accuracy() < 0.56, f.name() + " ranks " + rk.accuracy() + " of the held-out pairs");
      assertTrue(rk.accuracy() > 0.44, f.name() + " ranks " + rk.accuracy() + ": a reversed shortcut is one too");
    }
  }
}
