package dev.triad.train.sft;

import dev.triad.data.chat.Packing;
import dev.triad.nn.Gpt;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.EpochTask;
import dev.triad.profile.Progress;
import dev.triad.train.Trainer;
import java.util.List;
import java.util.function.Supplier;

/**
 * Instruction tuning's part of the training loop: packed rows of chat examples, the loss on
 * assistant tokens only (targets are -1 elsewhere), document ids so packed examples never attend
 * to each other, and positions restarting at 0 for every example.
 */
public final class SftTask extends EpochTask<Packing.Row, SftTask> {
  private final Gpt model;
  private final List<Packing.Row> val;
  private final Supplier<String> sampler;

  public SftTask(Gpt model, List<Packing.Row> train, List<Packing.Row> val, int batch, long seed,
      Supplier<String> sampler) {
    super(train, batch, seed, "sft: no training rows");
    this.model = model;
    this.val = val;
    this.sampler = sampler;
  }

  @Override
  public Trainer.MicroBatch next() {
    int[] indices = nextBatch(); // this rank's rows of the batch (all of them in one process)
    Packing.Row[] rows = new Packing.Row[indices.length];
    Batch t;
    try (Profiler.Phase ph = Profiler.phase("data")) {
      for (int b = 0; b < rows.length; b++) {
        rows[b] = train.get(indices[b]);
      }
      t = Batch.of(rows, model);
    }
    // throughput counts every position the model processed, not only the loss-bearing ones
    return new Trainer.MicroBatch(model.loss(t.tokens, t.positions, t.docIds, t.targets, t.lossTokens),
        (long) rows.length * rows[0].tokens().length, t.lossTokens);
  }

  @Override
  protected String itemName() {
    return "rows";
  }

  @Override
  public double evaluate() {
    if (val == null || val.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    long count = 0;
    for (int i = 0; i < val.size(); i += batch) {
      Progress.poll();
      try (Scope s = Scope.open()) {
        Packing.Row[] rows = val.subList(i, Math.min(val.size(), i + batch)).toArray(new Packing.Row[0]);
        Batch t = Batch.of(rows, model);
        if (t.lossTokens > 0) {
          sum += model.loss(t.tokens, t.positions, t.docIds, t.targets, t.lossTokens).item() * t.lossTokens;
          count += t.lossTokens;
        }
      }
    }
    return count == 0 ? Double.NaN : sum / count;
  }

  @Override
  public String sample() {
    return sampler == null ? null : sampler.get();
  }


  /** B packed rows as device tensors [B,T]. */
  static final class Batch {
    final Tensor tokens;
    final Tensor targets;
    final Tensor docIds;
    final Tensor positions;
    final long lossTokens;

    private Batch(Tensor tokens, Tensor targets, Tensor docIds, Tensor positions, long lossTokens) {
      this.tokens = tokens;
      this.targets = targets;
      this.docIds = docIds;
      this.positions = positions;
      this.lossTokens = lossTokens;
    }

    static Batch of(Packing.Row[] rows, Gpt model) {
      int b = rows.length;
      int t = rows[0].tokens().length;
      int[] tok = new int[b * t], tgt = new int[b * t], doc = new int[b * t], pos = new int[b * t];
      long loss = 0;
      for (int i = 0; i < b; i++) {
        System.arraycopy(rows[i].tokens(), 0, tok, i * t, t);
        System.arraycopy(rows[i].targets(), 0, tgt, i * t, t);
        System.arraycopy(rows[i].docIds(), 0, doc, i * t, t);
        System.arraycopy(rows[i].positions(), 0, pos, i * t, t);
        for (int v : rows[i].targets()) {
          loss += v >= 0 ? 1 : 0;
        }
      }
      // ids checked on the host, where they are made: the device reads nothing back
      int vocab = model.config.vocabSize();
      return new Batch(Tensor.ofIds(tok, vocab, model.device, b, t),
          Tensor.ofTargets(tgt, vocab, Gpt.IGNORE, model.device, b, t),
          Tensor.ofInts(doc, model.device, b, t), Tensor.ofIds(pos, model.config.blockSize(), model.device, b, t), loss);
    }
  }
}
