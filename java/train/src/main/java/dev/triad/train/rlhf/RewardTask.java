package dev.triad.train.rlhf;

import dev.triad.autograd.Autograd;
import dev.triad.nn.RewardModel;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.EpochTask;
import dev.triad.profile.Progress;
import dev.triad.train.Trainer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reward modelling's part of the training loop. Each micro-batch takes {@code batch} pairs (shuffled
 * per epoch), lays them out as 2B right-padded rows (chosen and rejected of pair i in rows 2i and
 * 2i+1), reads each row's reward at its last real token, and returns the Bradley–Terry loss.
 * Per-step metrics: accuracy (share of pairs with r_chosen > r_rejected), mean margin
 * (r_chosen - r_rejected), and the mean and standard deviation of the rewards. {@link #evaluate}
 * returns the held-out Bradley–Terry loss and keeps the held-out statistics of its first and last
 * call.
 */
public final class RewardTask extends EpochTask<RewardTask.Encoded, RewardTask> {
  /** One pair as token ids: both sequences end with the reply's {@code <|end|>}. */
  public record Encoded(int[] chosen, int[] rejected) {
    public Encoded {
      if (chosen.length == 0 || rejected.length == 0) {
        throw new IllegalArgumentException("encoded pair: empty sequence");
      }
    }
  }

  /** Held-out results: the mean loss, the statistics, and every pair's rewards (in held-out order). */
  public record Eval(double loss, BradleyTerry.Stats stats, float[] chosen, float[] rejected) {}

  private final RewardModel model;
  private final List<Encoded> heldOut;
  private final float margin;
  private final int padToken;
  // statistics of the micro-batches since the last stepMetrics()
  private float[] stepChosen = new float[0];
  private float[] stepRejected = new float[0];
  private Eval firstEval;
  private Eval lastEval;

  public RewardTask(RewardModel model, List<Encoded> train, List<Encoded> heldOut, int batch, float margin, long seed,
      int padToken) {
    super(train, batch, seed, "reward: no training pairs");
    if (batch < 1) {
      throw new IllegalArgumentException("reward: batch must be >= 1 pair, got " + batch);
    }
    this.model = model;
    this.heldOut = heldOut == null ? List.of() : heldOut;
    this.margin = margin;
    this.padToken = padToken;
  }

  /** Rewards of a batch of pairs: chosen [N] and rejected [N] (differentiable when recording). */
  public record Rewards(Tensor chosen, Tensor rejected, long positions) {}

  /** Reads the rewards of {@code pairs} in one forward pass over 2N right-padded rows. */
  public static Rewards rewards(RewardModel model, List<Encoded> pairs, int padToken) {
    int n = pairs.size();
    int[][] seqs = new int[2 * n][]; // chosen and rejected of each pair side by side
    for (int i = 0; i < n; i++) {
      seqs[2 * i] = pairs.get(i).chosen();
      seqs[2 * i + 1] = pairs.get(i).rejected();
    }
    int t = RewardScores.paddedLength(seqs);
    Tensor pairsView = RewardScores.of(model, seqs, padToken).reshape(n, 2); // [2N] -> [N, 2]: (chosen, rejected)
    Tensor zero = Tensor.ofInts(new int[n], model.device(), n);
    int[] ones = new int[n];
    Arrays.fill(ones, 1);
    Tensor one = Tensor.ofInts(ones, model.device(), n);
    return new Rewards(Ops.gather(pairsView, zero), Ops.gather(pairsView, one), 2L * n * t);
  }

  @Override
  public Trainer.MicroBatch next() {
    int[] indices = nextBatch(); // this rank's pairs of the batch (all of them in one process)
    Encoded[] pairs = new Encoded[indices.length];
    try (Profiler.Phase ph = Profiler.phase("data")) {
      for (int b = 0; b < pairs.length; b++) {
        pairs[b] = train.get(indices[b]);
      }
    }
    Rewards r = rewards(model, List.of(pairs), padToken);
    Tensor loss = BradleyTerry.loss(r.chosen(), r.rejected(), margin);
    stepChosen = concat(stepChosen, r.chosen().toFloatArray());
    stepRejected = concat(stepRejected, r.rejected().toFloatArray());
    return new Trainer.MicroBatch(loss, r.positions(), pairs.length);
  }

  @Override
  protected String itemName() {
    return "pairs";
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public Map<String, Object> stepMetrics() {
    BradleyTerry.Stats s = BradleyTerry.stats(stepChosen, stepRejected);
    stepChosen = new float[0];
    stepRejected = new float[0];
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("accuracy", s.accuracy());
    m.put("margin", s.meanMargin());
    m.put("reward_mean", s.rewardMean());
    m.put("reward_std", s.rewardStd());
    return m;
  }

  @Override
  public double evaluate() {
    if (heldOut.isEmpty()) {
      return Double.NaN;
    }
    Eval e = evaluate(heldOut);
    if (firstEval == null) {
      firstEval = e;
    }
    lastEval = e;
    return e.loss();
  }

  /** Loss and statistics of {@code pairs} under no-grad, {@code batch} pairs per forward pass. */
  public Eval evaluate(List<Encoded> pairs) {
    float[] chosen = new float[pairs.size()], rejected = new float[pairs.size()];
    double lossSum = 0;
    try (Autograd.NoGrad ng = Autograd.noGrad();
         Progress progress = Progress.start("reward-model evaluation", pairs.size(), "pairs")) {
      for (int i = 0; i < pairs.size(); i += batch) {
        try (Scope s = Scope.open()) {
          List<Encoded> part = pairs.subList(i, Math.min(pairs.size(), i + batch));
          Rewards r = rewards(model, part, padToken);
          System.arraycopy(r.chosen().toFloatArray(), 0, chosen, i, part.size());
          System.arraycopy(r.rejected().toFloatArray(), 0, rejected, i, part.size());
        }
        progress.advance(Math.min(batch, pairs.size() - i));
      }
    }
    for (int i = 0; i < pairs.size(); i++) {
      lossSum += BradleyTerry.pairLoss(chosen[i], rejected[i], margin);
    }
    return new Eval(pairs.isEmpty() ? Double.NaN : lossSum / pairs.size(), BradleyTerry.stats(chosen, rejected), chosen,
        rejected);
  }

  /** Held-out results of the first {@link #evaluate()} call (before training when not resumed), or null. */
  public Eval firstEval() {
    return firstEval;
  }

  /** Held-out results of the latest {@link #evaluate()} call, or null. */
  public Eval lastEval() {
    return lastEval;
  }

  @Override
  public String sample() {
    return null;
  }
}
