package dev.triad.train.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The audit of the embedded data (seed 1337), asserting what it truly finds. The embedded data does
 * NOT audit clean, and this test records that rather than hiding it (issue #19; the data and the
 * demo recipe were left unchanged, see docs/AUDIT.md "The embedded data"):
 *
 * <ul>
 *   <li>no evaluation prompt is in a training set exactly (DataHonestyTest's property), but 128
 *       are near duplicates with the same answer (weather bulletins that differ in one detail the
 *       question does not ask about): InstructionData keeps its splits disjoint by exact prompt only;</li>
 *   <li>29 SFT targets are word for word the rejected reply of a preference pair on the same prompt:
 *       ReplyStyles' wordy and rude train replies and PreferenceData's rejected replies draw from the
 *       same fillers and insults, and the pairs' prompts are SFT's first 400 train prompts per family;</li>
 *   <li>"fewer sentences wins" ranks 83% of the held-out pairs, "shorter wins" 81%: two of the three
 *       rules (concise, polite) make the rejected reply longer.</li>
 * </ul>
 *
 * Evaluation prompts stated in the pretraining corpus are a warning by design (the corpus quizzes
 * the facts the held-out families ask for).
 */
class EmbeddedAuditTest {
  @Test
  void embeddedDataAuditFindsTheKnownIssues() {
    AuditReport r = Audit.run(AuditInputs.embedded(AuditInputs.DEFAULT_SEED));
    System.out.println(r.table());
    CheckResult overlap = r.check("eval-train overlap");
    assertEquals(Status.FAIL, overlap.status());
    assertEquals(128, overlap.count());
    assertTrue(overlap.summary().contains("sft-eval in sft-train: 0 exact, 13 near"), overlap.summary());
    assertTrue(!overlap.summary().matches(".*: [1-9][0-9]* exact.*"), "no exact leak: " + overlap.summary());
    assertEquals(Status.WARN, r.check("eval-corpus overlap").status());
    CheckResult contradictions = r.check("sft-preference contradictions");
    assertEquals(Status.FAIL, contradictions.status());
    assertEquals(29, contradictions.count());
    CheckResult length = r.check("length/style bias");
    assertEquals(Status.FAIL, length.status());
    assertTrue(length.summary().contains("ranks 81.1% of 600 pairs"), length.summary());
    assertEquals(Status.PASS, r.check("template consistency").status());
    assertEquals(Status.SKIPPED, r.check("tokenizer identity").status());
    assertEquals(Status.PASS, r.check("family mix").status());
    assertTrue(r.failed());
  }
}
