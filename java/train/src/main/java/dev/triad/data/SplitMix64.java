package dev.triad.data;

/**
 * A tiny random generator whose every output is fixed by this file, not by the JDK: SplitMix64
 * (Steele, Lea and Flood 2014; the generator behind {@code java.util.SplittableRandom}) with
 * bounded integers by rejection sampling. The data layer's shuffles and the synthetic corpus use
 * it so that a seed gives the same windows and the same text on every JVM, version and platform;
 * {@code SplittableRandom}'s bounded methods are not specified exactly enough to promise that.
 *
 * <p>Not thread-safe; cheap to create.
 */
public final class SplitMix64 {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private long state;

  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** A generator for a (seed, stream) pair, e.g. (seed, epoch): streams do not overlap in practice. */
  public static SplitMix64 of(long seed, long stream) {
    return new SplitMix64(mix(seed) ^ mix(stream * GOLDEN + 0x632BE59BD9B4E019L));
  }

  /** SplitMix64's finalizer: a bijective 64-bit mix. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in {@code [0, bound)}, unbiased (rejection sampling on the top 63 bits). */
  public long nextLong(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;   // values >= limit would bias the modulo
    long r;
    do {
      r = nextLong() >>> 1;
    } while (r >= limit);
    return r % bound;
  }

  /** Uniform in {@code [0, bound)}. */
  public int nextInt(int bound) {
    return (int) nextLong(bound);
  }

  /** Uniform in {@code [lo, hi]} (inclusive). */
  public int nextInt(int lo, int hi) {
    return lo + nextInt(hi - lo + 1);
  }

  /** Uniform in {@code [0, 1)} with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** True with probability {@code p}. */
  public boolean chance(double p) {
    return nextDouble() < p;
  }

  /** One element of {@code items}, uniformly. */
  public <T> T pick(java.util.List<T> items) {
    return items.get(nextInt(items.size()));
  }

  /** Shuffles {@code a} in place (Fisher-Yates, from the end). */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** One element of {@code items}, uniformly. */
  public <T> T pick(T[] items) {
    return items[nextInt(items.length)];
  }

  /** Shuffles {@code items} in place (Fisher-Yates, from the end). */
  public <T> void shuffle(java.util.List<T> items) {
    for (int i = items.size() - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      T t = items.get(i);
      items.set(i, items.get(j));
      items.set(j, t);
    }
  }
}
