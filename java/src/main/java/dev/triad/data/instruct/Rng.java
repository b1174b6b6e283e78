package dev.triad.data.instruct;

import java.util.List;

/**
 * SplitMix64 with bounded integers by rejection sampling: the same generator, bit for bit, as the
 * package-private {@code dev.triad.data.SplitMix64} (copied here so this package needs nothing
 * non-public), so a seed gives the same examples on every JVM, version and platform.
 *
 * <p>Not thread-safe; cheap to create.
 */
final class Rng {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private long state;

  Rng(long seed) {
    this.state = seed;
  }

  /** A generator for a (seed, stream) pair: streams do not overlap in practice. */
  static Rng of(long seed, long stream) {
    return new Rng(mix(seed) ^ mix(stream * GOLDEN + 0x632BE59BD9B4E019L));
  }

  /** SplitMix64's finalizer: a bijective 64-bit mix. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in {@code [0, bound)}, unbiased (rejection sampling on the top 63 bits). */
  long nextLong(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;
    long r;
    do {
      r = nextLong() >>> 1;
    } while (r >= limit);
    return r % bound;
  }

  /** Uniform in {@code [0, bound)}. */
  int nextInt(int bound) {
    return (int) nextLong(bound);
  }

  /** Uniform in {@code [lo, hi]} (inclusive). */
  int nextInt(int lo, int hi) {
    return lo + nextInt(hi - lo + 1);
  }

  /** Uniform in {@code [0, 1)} with 53 random bits. */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** True with probability {@code p}. */
  boolean chance(double p) {
    return nextDouble() < p;
  }

  /** One element of {@code items}, uniformly. */
  <T> T pick(List<T> items) {
    return items.get(nextInt(items.size()));
  }

  /** One row of {@code items}, uniformly. */
  <T> T pick(T[] items) {
    return items[nextInt(items.length)];
  }

  /** Shuffles {@code items} in place (Fisher-Yates, from the end). */
  <T> void shuffle(List<T> items) {
    for (int i = items.size() - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      T t = items.get(i);
      items.set(i, items.get(j));
      items.set(j, t);
    }
  }
}
