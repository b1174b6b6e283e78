package dev.triad.dist;

import dev.triad.optim.AdamW;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.InPlace;
import dev.triad.tensor.MultiTensor;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * AdamW with its state sharded over the ranks of a data-parallel job (ZeRO stage 1). Every
 * parameter tensor has one owner rank, which alone keeps its f32 moments (and f32 master, for a
 * bf16 parameter) and updates it with the fused {@link AdamW}; the other ranks receive the result.
 * Partitioned by whole tensors, greedily by size (largest first, to the least loaded rank), so the
 * optimizer state per rank is about 1/size of the whole and AdamW runs unchanged on each rank's
 * tensors.
 *
 * <p>One {@link #step}: the gradients are reduce-scattered in buckets (each rank receives the sum
 * of the gradients it owns), divided by size, the global norm comes from each owner's sum of
 * squares (one all-reduce of a scalar), the owner's AdamW step clips with it, and the updated
 * parameters are all-gathered in buckets. Per step each rank moves what one all-reduce of the
 * gradients moves, over segments padded to the largest rank's share. The communication buffers
 * hold {@code (size + 1) * bucket} elements at most, however large the model.
 */
public final class ShardedAdamW implements AutoCloseable {
  /** Elements per rank of one bucket (16 MiB of f32 per rank and collective). */
  public static final int DEFAULT_BUCKET = 1 << 22;

  private final Communicator comm;
  private final List<Tensor> params;
  private final int[] owner;
  /** Parameter i's offset in its owner's segment. */
  private final long[] offset;
  /** Each rank's parameters, in parameter order. */
  private final List<List<Integer>> owned = new ArrayList<>();
  /** The index of parameter i in {@link #local}, for the ones this rank owns. */
  private final int[] localIndex;
  /** The largest rank's share in elements: every segment is padded to it. */
  private final long segment;
  private final long bucket;
  private final DType dtype;
  private final Device device;
  private final AdamW local;
  private final float beta1, beta2, eps, weightDecay;
  /** Nanoseconds the last step spent inside collectives (blocking: the communication's share of the step). */
  private long commNanos;

  public ShardedAdamW(Communicator comm, List<Tensor> params, float lr, float beta1, float beta2, float eps,
      float weightDecay, int bucket) {
    if (bucket < 1) {
      throw new IllegalArgumentException("bucket must be >= 1 element, got " + bucket);
    }
    this.comm = comm;
    this.params = List.copyOf(params);
    if (this.params.isEmpty()) {
      throw new IllegalArgumentException("ShardedAdamW: no parameters");
    }
    this.dtype = this.params.get(0).dtype();
    this.device = this.params.get(0).device();
    for (Tensor p : this.params) {
      if (p.dtype() != dtype || p.device() != device) {
        throw new IllegalArgumentException("ShardedAdamW: every parameter must be " + dtype + " on " + device
            + ", got " + p.describe());
      }
    }
    int size = comm.size();
    int n = this.params.size();
    owner = new int[n];
    offset = new long[n];
    localIndex = new int[n];
    long[] load = new long[size];
    // largest first, each to the least loaded rank (the lowest such rank on ties): deterministic on every rank
    Integer[] bySize = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(bySize, Comparator.comparingLong((Integer i) -> -this.params.get(i).numel()).thenComparing(i -> i));
    for (int i : bySize) {
      int least = 0;
      for (int r = 1; r < size; r++) {
        if (load[r] < load[least]) {
          least = r;
        }
      }
      owner[i] = least;
      load[least] += this.params.get(i).numel();
    }
    for (int r = 0; r < size; r++) {
      owned.add(new ArrayList<>());
    }
    long[] filled = new long[size];
    List<Tensor> mine = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      owned.get(owner[i]).add(i);
      offset[i] = filled[owner[i]];
      filled[owner[i]] += this.params.get(i).numel();
      if (owner[i] == comm.rank()) {
        localIndex[i] = mine.size();
        mine.add(this.params.get(i));
      } else {
        localIndex[i] = -1;
      }
    }
    this.segment = java.util.Arrays.stream(load).max().getAsLong();
    this.bucket = Math.min(bucket, segment);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.local = new AdamW(mine, lr, beta1, beta2, eps, weightDecay);
  }

  public void setLearningRate(float lr) {
    local.setLearningRate(lr);
  }

  public long stepCount() {
    return local.stepCount();
  }

  /** The rank that owns (keeps the state of, and updates) parameter i. */
  public int owner(int i) {
    return owner[i];
  }

  /** Bytes of optimizer state this rank keeps: its parameters' f32 moments, and f32 masters of bf16 ones. */
  public long stateBytes() {
    long bytes = 0;
    for (int i : owned.get(comm.rank())) {
      long numel = params.get(i).numel();
      bytes += 8 * numel + (dtype == DType.F32 ? 0 : 4 * numel);
    }
    return bytes;
  }

  /** Elements of the largest rank's share (what every rank's segment is padded to). */
  public long segmentElements() {
    return segment;
  }

  /**
   * One step of every parameter from this rank's gradients of its part of the batch (their sum
   * over ranks, divided by size, is the gradient of the whole batch), clipped to the global norm
   * {@code maxNorm} (&lt;= 0: not clipped). Returns the squared global norm of the averaged
   * gradients, f32 [1] on the parameters' device, unread (the caller closes it).
   */
  public Tensor step(double maxNorm) {
    int size = comm.size(), rank = comm.rank();
    commNanos = 0;
    try (Tensor flat = Tensor.unscoped(dtype, device, size * bucket);
        Tensor shard = Tensor.unscoped(dtype, device, bucket)) {
      for (long start = 0; start < segment; start += bucket) {
        long len = Math.min(bucket, segment - start);
        InPlace.fill(flat, 0f); // padding and missing gradients count as zero
        for (int r = 0; r < size; r++) {
          long base = r * bucket;
          forEachPiece(r, start, len, (i, at, window, count) -> {
            Tensor g = params.get(i).grad();
            if (g != null) {
              InPlace.copy(flat, base + window, g, at, count);
            }
          });
        }
        long t0 = System.nanoTime();
        comm.reduceScatterSum(shard, flat);
        commNanos += System.nanoTime() - t0;
        forEachPiece(rank, start, len, (i, at, window, count) -> InPlace.copy(Communicator.gradOrZeros(params.get(i)), at, shard, window, count));
      }
      List<Tensor> grads = new ArrayList<>();
      for (int i : owned.get(rank)) {
        Tensor g = Communicator.gradOrZeros(params.get(i));
        InPlace.affine(g, 1f / size, 0f); // the mean over ranks
        grads.add(g);
      }
      Tensor normSq = Tensor.unscoped(DType.F32, device, 1);
      if (!grads.isEmpty()) {
        MultiTensor.sumSquares(normSq, grads);
      }
      long t0 = System.nanoTime();
      comm.allReduceSum(normSq);
      commNanos += System.nanoTime() - t0;
      local.step(normSq, maxNorm);
      for (long start = 0; start < segment; start += bucket) {
        long len = Math.min(bucket, segment - start);
        forEachPiece(rank, start, len, (i, at, window, count) -> InPlace.copy(shard, window, params.get(i), at, count));
        long t1 = System.nanoTime();
        comm.allGather(flat, shard);
        commNanos += System.nanoTime() - t1;
        for (int r = 0; r < size; r++) {
          if (r != rank) {
            long base = r * bucket;
            forEachPiece(r, start, len, (i, at, window, count) -> InPlace.copy(params.get(i), at, flat, base + window, count));
          }
        }
      }
      return normSq;
    }
  }

  /** Seconds the last {@link #step} spent in its collectives (waiting for the slowest rank included). */
  public double lastStepCommunicationSeconds() {
    return commNanos / 1e9;
  }

  /** Drops every gradient. */
  public void zeroGrad() {
    params.forEach(Tensor::zeroGrad);
  }

  /**
   * The whole optimizer state on rank {@code root} as one {@link AdamW} over every parameter (for
   * a checkpoint in the same format as a single process's), null on the other ranks. Collective:
   * every rank calls it. The caller closes the result.
   */
  public AdamW gatherTo(int root) {
    int rank = comm.rank();
    AdamW full = rank == root ? new AdamW(params, local.learningRate(), beta1, beta2, eps, weightDecay) : null;
    for (int i = 0; i < params.size(); i++) {
      int o = owner[i];
      for (int kind = 0; kind < (dtype == DType.F32 ? 2 : 3); kind++) {
        Tensor mine = o == rank ? state(local, localIndex[i], kind) : null;
        Tensor whole = full == null ? null : state(full, i, kind);
        if (o == root) {
          if (rank == root) {
            InPlace.copy(whole, 0, mine, 0, mine.numel());
          }
          continue;
        }
        // the owner broadcasts; root keeps it, the others pass a scratch tensor
        Tensor scratch = mine == null && whole == null ? Tensor.unscoped(DType.F32, device, params.get(i).shape()) : null;
        try {
          comm.broadcast(mine != null ? mine : whole != null ? whole : scratch, o);
        } finally {
          if (scratch != null) {
            scratch.close();
          }
        }
      }
    }
    if (full != null) {
      full.setStepCount(local.stepCount());
    }
    return full;
  }

  /** Takes this rank's share of a whole optimizer state (a checkpoint's, loaded on every rank). */
  public void loadFrom(AdamW full) {
    for (int i : owned.get(comm.rank())) {
      for (int kind = 0; kind < (dtype == DType.F32 ? 2 : 3); kind++) {
        Tensor from = state(full, i, kind);
        InPlace.copy(state(local, localIndex[i], kind), 0, from, 0, from.numel());
      }
    }
    local.setStepCount(full.stepCount());
    local.syncParametersFromMasters();
  }

  /** kind 0: first moment, 1: second moment, 2: the f32 master of a bf16 parameter. */
  private static Tensor state(AdamW opt, int i, int kind) {
    return kind == 0 ? opt.firstMoment(i) : kind == 1 ? opt.secondMoment(i) : opt.master(i);
  }

  private interface Piece {
    /** Elements [at, at + count) of parameter i are elements [window, window + count) of the bucket. */
    void accept(int i, long at, long window, long count);
  }

  /** The parts of rank r's parameters inside its segment's window [start, start + len). */
  private void forEachPiece(int r, long start, long len, Piece piece) {
    for (int i : owned.get(r)) {
      long lo = Math.max(start, offset[i]);
      long hi = Math.min(start + len, offset[i] + params.get(i).numel());
      if (lo < hi) {
        piece.accept(i, lo - offset[i], lo - start, hi - lo);
      }
    }
  }

  @Override
  public void close() {
    local.close();
  }
}
