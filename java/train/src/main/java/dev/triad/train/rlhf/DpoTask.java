package dev.triad.train.rlhf;

import dev.triad.nn.Gpt;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.EpochTask;
import dev.triad.profile.Progress;
import dev.triad.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * DPO's part of the training loop: micro-batches of B preference pairs (2B sequences in one
 * forward pass), the DPO loss against the cached reference log-probs, the held-out DPO loss, and
 * the implicit-reward metrics. Pairs are visited in a seeded shuffle per epoch, resumable from
 * (epoch, index) like SFT.
 */
public final class DpoTask extends EpochTask<Triple, DpoTask> {
  private final Gpt model;
  private final ReferenceLogProbs trainRef;
  private final List<Triple> heldOut;
  private final ReferenceLogProbs heldOutRef;
  private final float beta;
  private final Supplier<String> sampler;
  private final List<DpoLoss.Stats> sinceLastStep = new ArrayList<>();
  private DpoLoss.Stats firstEval;
  private DpoLoss.Stats lastEval;
  private boolean resumed;

  public DpoTask(Gpt model, List<Triple> train, ReferenceLogProbs trainRef, List<Triple> heldOut,
      ReferenceLogProbs heldOutRef, int batch, float beta, long seed, Supplier<String> sampler) {
    super(train, batch, seed, "dpo: no training pairs");
    if (trainRef.size() != train.size() || (heldOut != null && heldOutRef.size() != heldOut.size())) {
      throw new IllegalArgumentException("dpo: the reference cache does not match the pairs");
    }
    if (batch < 1) {
      throw new IllegalArgumentException("dpo: batch must be >= 1, got " + batch);
    }
    this.model = model;
    this.trainRef = trainRef;
    this.heldOut = heldOut == null ? List.of() : heldOut;
    this.heldOutRef = heldOutRef;
    this.beta = beta;
    this.sampler = sampler;
  }

  @Override
  public Trainer.MicroBatch next() {
    int[] indices = nextBatch(); // this rank's pairs of the batch (all of them in one process)
    List<Triple> pairs = new ArrayList<>(indices.length);
    double[] rc = new double[indices.length];
    double[] rr = new double[indices.length];
    SequenceLogProbs.Padded p;
    try (Profiler.Phase ph = Profiler.phase("data")) {
      for (int b = 0; b < indices.length; b++) {
        int i = indices[b];
        pairs.add(train.get(i));
        rc[b] = trainRef.chosen()[i];
        rr[b] = trainRef.rejected()[i];
      }
      p = SequenceLogProbs.pad(ReferenceLogProbs.pairSequences(pairs), ReferenceLogProbs.pairMasks(pairs), 0);
    }
    DpoLoss.Result r = DpoLoss.computePaired(SequenceLogProbs.of(model, p), rc, rr, beta);
    sinceLastStep.add(r.stats());
    // throughput counts every position processed (both replies of every pair, padding included)
    return new Trainer.MicroBatch(r.loss(), (long) p.batch() * p.length(), pairs.size());
  }

  @Override
  protected String itemName() {
    return "pairs";
  }

  /** Held-out DPO statistics over every held-out pair; null when there are none. */
  public DpoLoss.Stats evaluateStats() {
    if (heldOut.isEmpty()) {
      return null;
    }
    List<DpoLoss.Stats> parts = new ArrayList<>();
    try (Progress progress = Progress.start("DPO evaluation", heldOut.size(), "pairs")) {
      for (int i = 0; i < heldOut.size(); i += batch) {
        int end = Math.min(heldOut.size(), i + batch);
        try (Scope s = Scope.open()) {
          Tensor lp = SequenceLogProbs.of(model, SequenceLogProbs.pad(
              ReferenceLogProbs.pairSequences(heldOut.subList(i, end)), ReferenceLogProbs.pairMasks(heldOut.subList(i, end)), 0));
          double[] rc = java.util.Arrays.copyOfRange(heldOutRef.chosen(), i, end);
          double[] rr = java.util.Arrays.copyOfRange(heldOutRef.rejected(), i, end);
          parts.add(DpoLoss.computePaired(lp, rc, rr, beta).stats());
        }
        progress.advance(end - i);
      }
    }
    return DpoLoss.Stats.combine(parts);
  }

  @Override
  public double evaluate() {
    lastEval = evaluateStats();
    if (!resumed && firstEval == null) {
      firstEval = lastEval;
    }
    return lastEval == null ? Double.NaN : lastEval.loss();
  }

  /** The statistics of the first {@link #evaluate} (step 0), or null after a {@link #restore}. */
  public DpoLoss.Stats firstEvaluation() {
    return firstEval;
  }

  /** The statistics of the latest {@link #evaluate}, or null. */
  public DpoLoss.Stats lastEvaluation() {
    return lastEval;
  }

  @Override
  public String sample() {
    return sampler == null ? null : sampler.get();
  }

  /** Rewards, margin and accuracy averaged over the micro-batches since the previous step's metrics. */
  @Override
  public Map<String, Object> stepMetrics() {
    DpoLoss.Stats s = DpoLoss.Stats.combine(sinceLastStep);
    sinceLastStep.clear();
    Map<String, Object> m = new LinkedHashMap<>();
    if (s.pairs() > 0) {
      m.put("rewards/chosen", s.rewardChosen());
      m.put("rewards/rejected", s.rewardRejected());
      m.put("margin", s.margin());
      m.put("accuracy", s.accuracy());
    }
    return m;
  }

  @Override
  public void restore(Map<String, String> state) {
    super.restore(state);
    resumed = true;
    firstEval = null;
  }
}
