package dev.triad.dist;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.util.Random;

/**
 * One rank of CommunicatorMpiTest, started by mpirun: every collective on fresh random data,
 * checked against the float64 sum every rank can compute itself (rank r's data comes from seed
 * + r, the seed drawn by rank 0 and broadcast). Prints "rank R of N: ok" or throws (exit 1).
 * The device comes from args[0] ("cpu" or "cuda").
 */
public final class CollectivesMain {
  private CollectivesMain() {}

  public static void main(String[] args) {
    Device device = Device.parse(args.length > 0 ? args[0] : "cpu");
    try (Communicator comm = Communicator.start(args.length > 1 && args[1].equals("nccl"))) {
      int rank = comm.rank(), size = comm.size();
      long seed;
      try (Tensor s = Tensor.ofInts(new int[] {new Random().nextInt()}, Device.CPU, 1)) {
        comm.broadcast(s, 0);
        seed = s.toIntArray()[0];
      }
      int n = 1000 + (int) Math.floorMod(seed, 1000);
      float[][] data = new float[size][];
      for (int r = 0; r < size; r++) {
        data[r] = randn(seed + r, size * n);
      }
      for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
        // the float64 sum of what each rank holds (bf16 inputs are already rounded); the result is
        // rounded once more at the end in bf16
        double[] sum = new double[size * n];
        for (float[] d : data) {
          float[] held = stored(d, dtype);
          for (int i = 0; i < sum.length; i++) {
            sum[i] += held[i];
          }
        }
        double tol = dtype == DType.F32 ? 1e-6 : 1.0 / 256;
        try (Tensor t = of(data[rank], dtype, device)) {
          comm.allReduceSum(t);
          assertClose(sum, 0, floats(t), tol, "allReduceSum " + dtype);
        }
        // reduce-scatter: this rank's slice of the sum
        try (Tensor in = of(data[rank], dtype, device); Tensor out = Tensor.zeros(dtype, device, n)) {
          comm.reduceScatterSum(out, in);
          assertClose(sum, rank * n, floats(out), tol, "reduceScatterSum " + dtype);
        }
        // all-gather: every rank's first n elements in rank order, exactly
        try (Tensor in = of(java.util.Arrays.copyOf(data[rank], n), dtype, device);
            Tensor out = Tensor.zeros(dtype, device, (long) size * n)) {
          comm.allGather(out, in);
          float[] got = floats(out);
          for (int r = 0; r < size; r++) {
            float[] e = stored(java.util.Arrays.copyOf(data[r], n), dtype);
            for (int i = 0; i < n; i++) {
              if (got[r * n + i] != e[i]) {
                throw new AssertionError("allGather " + dtype + ": element " + i + " of rank " + r + " is "
                    + got[r * n + i] + ", expected " + e[i]);
              }
            }
          }
        }
      }
      // broadcast from the last rank, exactly
      try (Tensor t = of(data[rank], DType.F32, device)) {
        comm.broadcast(t, size - 1);
        float[] got = t.toFloatArray();
        for (int i = 0; i < got.length; i++) {
          if (got[i] != data[size - 1][i]) {
            throw new AssertionError("broadcast: element " + i + " is " + got[i] + ", expected " + data[size - 1][i]);
          }
        }
      }
      if (comm.allReduceSum(rank + 1) != (long) size * (size + 1) / 2) {
        throw new AssertionError("allReduceSum(long)");
      }
      // bad input is refused before anything is sent (every rank refuses alike, so none waits)
      try (Tensor in = Tensor.zeros(DType.F32, device, n); Tensor out = Tensor.zeros(DType.F32, device, n)) {
        comm.reduceScatterSum(out, in);
        if (size > 1) {
          throw new AssertionError("reduceScatterSum accepted in of " + n + " elements for " + size + " ranks");
        }
      } catch (IllegalArgumentException expected) {
        if (!expected.getMessage().contains("in has " + n + " elements")) {
          throw expected;
        }
      }
      try (Tensor t = Tensor.zeros(DType.F32, device, 1)) {
        comm.broadcast(t, size);
        throw new AssertionError("broadcast from a root that is no rank");
      } catch (IllegalArgumentException expected) {
        if (!expected.getMessage().contains("root " + size + " is not a rank")) {
          throw expected;
        }
      }
      comm.barrier();
      // The JVM's own signal handling still works with MPI started: compiled code's implicit null
      // checks trap SIGSEGV, which Open MPI would otherwise claim (see mpi_plugin.c).
      int npes = nullChecks(200_000);
      if (npes != 200_000) {
        throw new AssertionError("null checks: " + npes);
      }
      System.out.println("rank " + rank + " of " + size + ": ok (" + comm.backend() + ", n " + n + ")");
    }
  }

  private static int nullChecks(int times) {
    int caught = 0;
    Object[] holder = new Object[1];
    for (int i = 0; i < times; i++) {
      try {
        caught += holder[0].hashCode();
      } catch (NullPointerException e) {
        caught++;
      }
    }
    return caught;
  }

  private static float[] randn(long seed, int n) {
    Random rng = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rng.nextGaussian();
    }
    return out;
  }

  /** data as a tensor of dtype on device. */
  private static Tensor of(float[] data, DType dtype, Device device) {
    if (dtype == DType.F32) {
      return Tensor.of(data, device, data.length);
    }
    try (Tensor f = Tensor.of(data, Device.CPU, data.length); Tensor b = f.to(dtype)) {
      return b.to(device);
    }
  }

  private static float[] floats(Tensor t) {
    try (Tensor f = t.to(DType.F32)) {
      return f.toFloatArray();
    }
  }

  /** The values a tensor of dtype holds for data (bf16: rounded to nearest even). */
  private static float[] stored(float[] data, DType dtype) {
    try (Tensor t = of(data, dtype, Device.CPU); Tensor f = t.to(DType.F32)) {
      return f.toFloatArray();
    }
  }

  private static void assertClose(double[] expected, int from, float[] actual, double tol, String what) {
    for (int i = 0; i < actual.length; i++) {
      double e = expected[from + i];
      if (Math.abs(actual[i] - e) > tol * (1 + Math.abs(e))) {
        throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + e);
      }
    }
  }
}
