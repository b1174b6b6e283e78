package dev.triad.train.audit;

import java.util.List;

/**
 * Checks that the labels of the three phases agree (docs/AUDIT.md): evaluation items in training
 * sets, SFT targets the preference data rejects, a length or style shortcut in the preference
 * pairs, the phases' renderings of the chat template, the runs' tokenizers, and the task families
 * each phase sees. Reads nothing itself: {@link AuditInputs} holds the data.
 */
public final class Audit {
  private Audit() {}

  /** Every check over {@code in}; checks whose inputs are missing are reported as skipped. */
  public static AuditReport run(AuditInputs in) {
    List<DataSet> training = in.training();
    List<Sample> sft = in.sft();
    return new AuditReport(List.of(
        NgramOverlap.evalVsTrain(in.evaluation(), training, false),
        NgramOverlap.evalVsCorpus(in.evaluation(), in.corpus()),
        PreferenceContradictions.check(sft, in.preferenceTrain()),
        LengthBias.check(in.preferenceTrain(), in.preferenceHeldOut()),
        TemplateConsistency.check(sft, in.preferenceTrain(), in.runs()),
        TokenizerIdentity.check(in.runs()),
        FamilyMix.check(training, in.evaluation(), in.heldOutFamilies())));
  }
}
