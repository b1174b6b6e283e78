package dev.triad.train.pretrain;

import dev.triad.data.TokenDataLoader;
import dev.triad.data.Tokenizer;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.profile.Progress;
import dev.triad.train.DataShard;
import dev.triad.train.Trainer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Next-token prediction on token shards: the pretraining phase's part of the training loop. */
public final class PretrainTask implements Trainer.Task {
  private final Gpt model;
  private final TokenDataLoader train;
  private final TokenDataLoader val;
  private final int evalBatches;
  private final Tokenizer tokenizer;
  private final long seed;
  private int samples;
  private DataShard shard = DataShard.WHOLE;

  public PretrainTask(Gpt model, TokenDataLoader train, TokenDataLoader val, int evalBatches, Tokenizer tokenizer,
      long seed) {
    this.model = model;
    this.train = train;
    this.val = val;
    this.evalBatches = evalBatches;
    this.tokenizer = tokenizer;
    this.seed = seed;
  }

  @Override
  public Trainer.MicroBatch next() {
    TokenDataLoader.Batch b;
    try (Profiler.Phase ph = Profiler.phase("data")) {
      b = train.next(); // the whole batch on every rank: one data position for any number of ranks
      if (shard.ranks() > 1) {
        b = b.rows(shard.from(b.batchSize()), shard.to(b.batchSize()));
      }
    }
    return new Trainer.MicroBatch(loss(b), (long) b.batchSize() * b.seqLen(), Ops.countNotIgnored(b.targets(), Gpt.IGNORE));
  }

  @Override
  public void shard(DataShard shard) {
    shard.requireSplittable(train.batchSize(), "rows");
    this.shard = shard;
  }

  private Tensor loss(TokenDataLoader.Batch b) {
    // ids checked here, on the host, where they are made: the device reads nothing back
    int vocab = model.config.vocabSize();
    Tensor inputs = Tensor.ofIds(b.inputs(), vocab, model.device, b.batchSize(), b.seqLen());
    Tensor targets = Tensor.ofTargets(b.targets(), vocab, Gpt.IGNORE, model.device, b.batchSize(), b.seqLen());
    return model.loss(inputs, targets, Ops.countNotIgnored(b.targets(), Gpt.IGNORE));
  }

  /** Mean validation loss over the first evalBatches batches (always the same ones). */
  @Override
  public double evaluate() {
    if (val == null || evalBatches <= 0) {
      return Double.NaN;
    }
    val.reset();
    double sum = 0;
    long tokens = 0;
    for (int i = 0; i < evalBatches && val.hasNext(); i++) {
      Progress.poll();
      try (Scope s = Scope.open()) {
        TokenDataLoader.Batch b = val.next();
        long n = (long) b.batchSize() * b.seqLen();
        sum += loss(b).item() * n;
        tokens += n;
      }
    }
    return tokens == 0 ? Double.NaN : sum / tokens;
  }

  /** A continuation of end-of-text: what the model writes from scratch. */
  @Override
  public String sample() {
    int budget = Math.min(64, model.config.blockSize() - 1);
    SamplingConfig cfg = new SamplingConfig(budget, 0.8f, 40, 1f, new int[] {tokenizer.eotToken()}, seed + samples++);
    return tokenizer.decode(Generator.generate(model, new int[][] {{tokenizer.eotToken()}}, cfg)[0]);
  }

  @Override
  public Map<String, String> state() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("data.epoch", Long.toString(train.state().epoch()));
    s.put("data.index", Long.toString(train.state().index()));
    s.put("samples", Integer.toString(samples));
    return s;
  }

  @Override
  public void restore(Map<String, String> state) {
    train.restore(new TokenDataLoader.State(Long.parseLong(state.get("data.epoch")),
        Long.parseLong(state.get("data.index"))));
    samples = Integer.parseInt(state.getOrDefault("samples", "0"));
  }
}
