package dev.triad.profile;

import dev.triad.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One benchmark case: a name, a shape description, the dtype of its data, the work of one call
 * (FLOPs for compute-bound cases, bytes moved for memory-bound ones: {@link #unit}) and how to
 * set it up on a device. The CLI ({@code triad bench}) and the JMH benchmarks in bench/ share
 * these definitions, so their shapes agree.
 */
public record BenchCase(String name, String shape, String dtype, Unit unit, double work,
    Function<Device, Prepared> setup) {

  /** The name as an identifier ("matmul NT (linear forward)" -> "matmul_nt_linear_forward"), for JMH's @Param. */
  public String id() {
    return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
  }

  /** What a case's rate is measured in. */
  public enum Unit {
    /** FLOP/s, as a share of the measured GEMM peak. */
    FLOPS,
    /** bytes/s, as a share of the measured copy bandwidth. */
    BYTES
  }

  /** A case set up on a device: its call, and the native memory it holds until closed. */
  public static final class Prepared implements AutoCloseable {
    private final Runnable call;
    private final List<AutoCloseable> owned = new ArrayList<>();

    public Prepared(Runnable call, AutoCloseable... owned) {
      this.call = call;
      this.owned.addAll(List.of(owned));
    }

    public void run() {
      call.run();
    }

    public Runnable call() {
      return call;
    }

    @Override
    public void close() {
      RuntimeException first = null;
      for (AutoCloseable c : owned) {
        try {
          c.close();
        } catch (Exception e) {
          first = first == null ? new RuntimeException(e.getMessage(), e) : first;
        }
      }
      owned.clear();
      if (first != null) {
        throw first;
      }
    }
  }
}
