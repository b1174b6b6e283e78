package dev.triad.train;

import java.util.List;
import java.util.Map;

/**
 * A {@link Trainer.Task} that draws its micro-batches from a fixed list of training items, epoch
 * after epoch in an {@link EpochOrder} (a seeded shuffle per epoch, or in order): SFT's rows and the
 * reward model's and DPO's pairs. Its resumable state is the order's position.
 *
 * @param <T> a training item
 * @param <S> the task itself, returned by {@link #withDataOrder} so construction chains
 */
public abstract class EpochTask<T, S extends EpochTask<T, S>> implements Trainer.Task {
  protected final List<T> train;
  protected final int batch;
  private final long seed;
  private EpochOrder order;
  private DataShard shard = DataShard.WHOLE;

  /**
   * @param noItems the message when {@code train} is empty ("sft: no training rows")
   */
  protected EpochTask(List<T> train, int batch, long seed, String noItems) {
    if (train.isEmpty()) {
      throw new IllegalArgumentException(noItems);
    }
    this.train = train;
    this.batch = batch;
    this.seed = seed;
    this.order = new EpochOrder(train.size(), seed);
  }

  /** Visits the training data in {@code dataOrder} (shuffled per epoch by the seed, the default, or in order). */
  @SuppressWarnings("unchecked") // S is the task's own class, by the type bound every task declares
  public S withDataOrder(TrainConfig.DataOrder dataOrder) {
    order = new EpochOrder(train.size(), seed, dataOrder.shuffled());
    return (S) this;
  }

  /** The index in {@code train} of the next item to train on. */
  protected int nextIndex() {
    return order.next();
  }

  /**
   * The indices in {@code train} of this rank's items of the next batch: the batch's {@code batch}
   * items drawn in order (every rank draws them all, so the data position is one for any number of
   * ranks), then this rank's {@link DataShard} of them.
   */
  protected int[] nextBatch() {
    int[] all = new int[batch];
    for (int b = 0; b < batch; b++) {
      all[b] = nextIndex();
    }
    return java.util.Arrays.copyOfRange(all, shard.from(batch), shard.to(batch));
  }

  @Override
  public void shard(DataShard shard) {
    shard.requireSplittable(batch, itemName());
    this.shard = shard;
  }

  /** What one item is, for messages ("rows", "pairs"). */
  protected abstract String itemName();

  @Override
  public Map<String, String> state() {
    return order.state();
  }

  @Override
  public void restore(Map<String, String> state) {
    order.restore(state);
  }
}
