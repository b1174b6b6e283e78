package dev.triad.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.Function;

/**
 * Shared helpers for tests: fresh random inputs, float64 finite differences, and closeness checks
 * that report the worst element. Tolerances are stated at each call site.
 */
public final class TestUtil {
  private TestUtil() {}

  /** A fresh seed per test run (printed on failure through the message), so inputs vary. */
  public static Random freshRandom() {
    long seed = System.nanoTime();
    return new SeededRandom(seed);
  }

  /** Random whose seed is known, for messages. */
  public static final class SeededRandom extends Random {
    private static final long serialVersionUID = 1L;
    public final long seed;

    SeededRandom(long seed) {
      super(seed);
      this.seed = seed;
    }

    @Override
    public String toString() {
      return "seed=" + seed;
    }
  }

  public static float[] randn(Random rng, int n, double std) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rng.nextGaussian() * std);
    }
    return a;
  }

  public static float[] randn(Random rng, int n) {
    return randn(rng, n, 1.0);
  }

  public static float[] uniform(Random rng, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
    return a;
  }

  public static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /**
   * Central-difference gradient of a float64 scalar function: the reference every backward is
   * checked against. eps 1e-6 in float64 gives ~1e-9 relative truncation + rounding error.
   */
  public static double[] numericalGradient(Function<double[], Double> f, double[] x, double eps) {
    double[] g = new double[x.length];
    double[] xp = x.clone();
    for (int i = 0; i < x.length; i++) {
      double orig = xp[i];
      xp[i] = orig + eps;
      double fp = f.apply(xp);
      xp[i] = orig - eps;
      double fm = f.apply(xp);
      xp[i] = orig;
      g[i] = (fp - fm) / (2 * eps);
    }
    return g;
  }

  public static double[] numericalGradient(Function<double[], Double> f, double[] x) {
    return numericalGradient(f, x, 1e-6);
  }

  /** Sum of g[i] * y[i]: the scalar whose gradient is the vector-Jacobian product with g. */
  public static double dot(double[] g, double[] y) {
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += g[i] * y[i];
    }
    return s;
  }

  /**
   * Asserts |actual - expected| <= atol + rtol * |expected| elementwise, naming the worst element.
   */
  public static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + ", expected " + expected.length);
    }
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      double allowed = atol + rtol * Math.abs(expected[i]);
      if (!(err <= allowed) && (worst < 0 || err - allowed > worstExcess)) {
        worst = i;
        worstExcess = err - allowed;
      }
    }
    if (worst >= 0) {
      fail(String.format("%s: element %d is %.8g, expected %.8g (atol %.1e, rtol %.1e)", what, worst,
          actual[worst], expected[worst], atol, rtol));
    }
  }

  public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
    assertClose(toDouble(expected), actual, atol, rtol, what);
  }
}
