package dev.triad.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The order in which a task visits its n training items: epoch after epoch, each epoch a
 * Fisher-Yates shuffle by java.util.Random(seed, epoch) — fully specified by the JDK, so the same
 * on every JVM — and resumable at (epoch, index), which checkpoints store as "data.epoch" and
 * "data.index". Sequential order ({@code shuffled = false}) visits items 0..n-1 every epoch.
 */
public final class EpochOrder {
  private final int size;
  private final long seed;
  private final boolean shuffled;
  private int[] order;
  private long epoch;
  private int index;

  public EpochOrder(int size, long seed) {
    this(size, seed, true);
  }

  /** Items in a seeded shuffle per epoch, or ({@code shuffled = false}) in their order. */
  public EpochOrder(int size, long seed, boolean shuffled) {
    if (size < 1) {
      throw new IllegalArgumentException("nothing to iterate over (0 items)");
    }
    this.size = size;
    this.seed = seed;
    this.shuffled = shuffled;
    this.order = shuffled(0);
  }

  private int[] shuffled(long ep) {
    int[] o = new int[size];
    for (int i = 0; i < o.length; i++) {
      o[i] = i;
    }
    if (!shuffled) {
      return o;
    }
    Random r = new Random(seed * 1_000_003L + ep);
    for (int i = o.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }

  /** The next item, moving into a freshly shuffled epoch when one ends. */
  public int next() {
    if (index == order.length) {
      epoch++;
      index = 0;
      order = shuffled(epoch);
    }
    return order[index++];
  }

  public long epoch() {
    return epoch;
  }

  public int index() {
    return index;
  }

  /** The position, for a checkpoint. */
  public Map<String, String> state() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("data.epoch", Long.toString(epoch));
    s.put("data.index", Integer.toString(index));
    return s;
  }

  /** Continues from a checkpoint's position. */
  public void restore(Map<String, String> state) {
    long ep = Long.parseLong(state.get("data.epoch"));
    int ix = Integer.parseInt(state.get("data.index"));
    if (ep < 0 || ix < 0 || ix > size) {
      throw new IllegalArgumentException("data position (epoch " + ep + ", index " + ix + ") is outside an epoch of "
          + size + " items");
    }
    epoch = ep;
    index = ix;
    order = shuffled(ep);
  }
}
