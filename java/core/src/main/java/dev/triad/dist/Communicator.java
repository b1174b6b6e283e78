package dev.triad.dist;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.bytedeco.javacpp.Loader;

/**
 * The process's communicator over every process of a data-parallel job: rank, size and the
 * collectives of triad.h's {@code triad_dist_*} on tensors. libtriad loads the communication
 * plug-ins at run time: {@code libtriad_mpi} (Open MPI or another MPI on host memory; the job
 * started by {@code mpirun} or {@code srun}) and, for CUDA tensors where it was built,
 * {@code libtriad_nccl}. A single-process user needs neither.
 *
 * <p>One per process (MPI starts once): {@link #start} the first time, {@link #current} after.
 * Every collective is blocking and must be called by every rank in the same order with the same
 * sizes.
 */
public final class Communicator implements AutoCloseable {
  private static Communicator current;

  private final int rank;
  private final int size;
  private final int localRank;
  private final String backend;
  private boolean closed;

  private Communicator(int rank, int size, int localRank, String backend) {
    this.rank = rank;
    this.size = size;
    this.localRank = localRank;
    this.backend = backend;
  }

  /**
   * Starts the process's communicator from its launcher's environment: MPI for host memory, and
   * NCCL for CUDA tensors when {@code withNccl} (then libtriad_nccl must be in this build).
   *
   * @throws UnsupportedOperationException naming the missing library when a plug-in is not in this
   *     build or cannot be loaded (Open MPI or NCCL not installed)
   */
  public static synchronized Communicator start(boolean withNccl) {
    if (current != null) {
      throw new IllegalStateException("the communicator is already started (" + current.backend + ")");
    }
    TriadNative.load();
    String host = plugin("mpi", "Open MPI's headers were not found when it was built (Debian: libopenmpi-dev)");
    String device = withNccl ? plugin("nccl", "NCCL's headers were not found when it was built") : null;
    try {
      Status.check(TriadNative.triad_dist_init(host, device));
    } catch (UnsupportedOperationException e) { // a plug-in whose library is missing on this machine
      throw new UnsupportedOperationException(e.getMessage() + (withNccl ? " (is NCCL installed?)"
          : " (is Open MPI installed? Debian: apt install openmpi-bin)"), e);
    }
    int[] r = new int[1], s = new int[1], l = new int[1];
    Status.check(TriadNative.triad_dist_rank(r));
    Status.check(TriadNative.triad_dist_size(s));
    Status.check(TriadNative.triad_dist_local_rank(l));
    current = new Communicator(r[0], s[0], l[0], TriadNative.triad_dist_backend());
    return current;
  }

  /** The started communicator, or null in a single-process run. */
  public static synchronized Communicator current() {
    return current;
  }

  /** Whether this build holds the NCCL plug-in (it is built where nccl.h is found). */
  public static boolean hasNccl() {
    return TriadNative.class.getResource(Loader.getPlatform() + "/libtriad_nccl.so") != null;
  }

  /** The plug-in libtriad_{name}.so of this build as a file libtriad can dlopen. */
  private static String plugin(String name, String whyMissing) {
    String resource = Loader.getPlatform() + "/libtriad_" + name + ".so";
    if (TriadNative.class.getResource(resource) == null) {
      throw new UnsupportedOperationException("libtriad_" + name + ".so is not in this build of Triad: "
          + whyMissing);
    }
    try {
      File file = Loader.cacheResource(TriadNative.class, resource);
      return file.getAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract libtriad_" + name + ".so", e);
    }
  }

  public int rank() {
    return rank;
  }

  public int size() {
    return size;
  }

  /** Rank among the processes on this machine (which GPU to take, for instance). */
  public int localRank() {
    return localRank;
  }

  /** Rank 0: the one that prints and writes files. */
  public boolean isRoot() {
    return rank == 0;
  }

  /** "mpi", or "mpi+nccl". */
  public String backend() {
    return backend;
  }

  /** Every rank's t summed, in place (all of t). */
  public void allReduceSum(Tensor t) {
    check(t, "t");
    Status.check(TriadNative.triad_dist_all_reduce_sum(TensorAccess.buf(t), t.numel()));
  }

  /** The sum over ranks of each rank's value (a host-side count, say); exact for |sum| &lt; 2^31. */
  public long allReduceSum(long value) {
    if (value != (int) value) {
      throw new IllegalArgumentException("allReduceSum: " + value + " does not fit in an int");
    }
    try (Tensor t = Tensor.ofInts(new int[] {(int) value}, Device.CPU, 1)) {
      allReduceSum(t);
      return t.toIntArray()[0];
    }
  }

  /** The sums over ranks of each rank's values, element by element (f32 on the way: ~7 digits). */
  public double[] allReduceSum(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    try (Tensor t = Tensor.of(f, Device.CPU, f.length)) {
      allReduceSum(t);
      float[] r = t.toFloatArray();
      double[] out = new double[r.length];
      for (int i = 0; i < r.length; i++) {
        out[i] = r[i];
      }
      return out;
    }
  }

  /**
   * Every parameter's gradient := its mean over the ranks (plain data parallelism, every rank keeping
   * the whole optimizer: PPO's update). A reduce-scatter and an all-gather per tensor, not an
   * all-reduce: each slice is summed once, on one rank, so every rank gets the same bits (an MPI
   * all-reduce may add in another order on each rank, and the replicas would drift apart). A
   * parameter this rank's data did not reach gets a zero gradient first, so every rank makes the
   * same calls.
   */
  public void averageGradients(java.util.List<Tensor> params) {
    for (Tensor p : params) {
      Tensor g = gradOrZeros(p);
      long slice = (g.numel() + size - 1) / size;
      try (Tensor whole = Tensor.unscoped(g.dtype(), g.device(), slice * size);
          Tensor mine = Tensor.unscoped(g.dtype(), g.device(), slice)) {
        dev.triad.tensor.InPlace.copy(whole, 0, g, 0, g.numel()); // the padding stays zero
        reduceScatterSum(mine, whole);
        dev.triad.tensor.InPlace.affine(mine, 1f / size, 0f);
        allGather(whole, mine);
        dev.triad.tensor.InPlace.copy(g, 0, whole, 0, g.numel());
      }
    }
  }

  /**
   * p's gradient, a zero one installed first when none reached it on this rank (another rank's data
   * may have reached it: every rank must make the same collective calls).
   */
  static Tensor gradOrZeros(Tensor p) {
    if (p.grad() == null) {
      TensorAccess.setGrad(p, Tensor.unscoped(p.dtype(), p.device(), p.shape()));
    }
    return p.grad();
  }

  /**
   * in [size * n] -> out [n], with n = out.numel(): the sum over ranks of in's slice
   * [rank * n, (rank + 1) * n).
   */
  public void reduceScatterSum(Tensor out, Tensor in) {
    check(out, "out");
    check(in, "in");
    requireNumel(in, "in", out.numel() * size);
    Status.check(TriadNative.triad_dist_reduce_scatter_sum(TensorAccess.buf(out), TensorAccess.buf(in), out.numel()));
  }

  /** in [n] -> out [size * n]: rank r's in at out[r * n, (r + 1) * n). */
  public void allGather(Tensor out, Tensor in) {
    check(out, "out");
    check(in, "in");
    requireNumel(out, "out", in.numel() * size);
    Status.check(TriadNative.triad_dist_all_gather(TensorAccess.buf(out), TensorAccess.buf(in), in.numel()));
  }

  /** Rank root's t to every rank, in place. */
  public void broadcast(Tensor t, int root) {
    check(t, "t");
    Status.check(TriadNative.triad_dist_broadcast(TensorAccess.buf(t), t.numel(), root));
  }

  /** Waits for every rank. */
  public void barrier() {
    requireOpen();
    Status.check(TriadNative.triad_dist_barrier());
  }

  /**
   * Ends every process of the job with exit status {@code code}: what a rank does after an error
   * the others cannot know of (they would wait in the next collective for ever). Does not return.
   */
  public void abort(int code) {
    requireOpen();
    Status.check(TriadNative.triad_dist_abort(code));
  }

  /** Finalizes MPI (and NCCL). No collective after it; a process starts at most one communicator. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      Status.check(TriadNative.triad_dist_finalize());
    }
  }

  private void check(Tensor t, String name) {
    requireOpen();
    if (t == null) {
      throw new NullPointerException(name);
    }
  }

  private static void requireNumel(Tensor t, String name, long need) {
    if (t.numel() != need) {
      throw new IllegalArgumentException(name + " has " + t.numel() + " elements; it needs " + need);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the communicator is closed");
    }
  }

  @Override
  public String toString() {
    return "rank " + rank + " of " + size + " (" + backend + ")";
  }
}
