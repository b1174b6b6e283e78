package dev.triad.train;

import dev.triad.InvalidOptionException;
import dev.triad.autograd.Autograd;
import dev.triad.dist.Communicator;
import dev.triad.dist.ShardedAdamW;
import dev.triad.nn.Module;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import dev.triad.profile.Profiler;
import dev.triad.profile.Progress;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one training loop every phase shares: gradient accumulation, the learning-rate schedule,
 * global-norm clipping folded into the fused AdamW step, periodic evaluation, samples and
 * checkpoints, per-step metrics, and exact resume. A phase supplies only its {@link Task}: how to
 * compute one micro-batch's loss, evaluate, sample, and save/restore its data position.
 *
 * <p>Data-parallel when the process's {@link Communicator} is started with more than one rank
 * (docs/DISTRIBUTED.md): every rank trains on its {@link DataShard} of each batch, each rank's
 * loss weighted by its share of the batch's loss terms, and the optimizer is a
 * {@link ShardedAdamW} (ZeRO-1), so a step is the single process's step on the whole batch up to
 * the order of float additions. Rank 0 alone writes the metrics, the log and the checkpoints
 * (in the single-process format, so a run resumes on any number of ranks).
 */
public final class Trainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  /** What a phase plugs into the loop. */
  public interface Task {
    /** Loss of the next micro-batch (a scalar to differentiate) and the tokens it covered. */
    MicroBatch next();

    /** Held-out loss, or NaN when the phase has no held-out data. Runs under no-grad. */
    double evaluate();

    /** A short sample of the model's output for the log, or null. Runs under no-grad. */
    String sample();

    /** The task's resumable state (data position, ...), stored in checkpoints. */
    Map<String, String> state();

    void restore(Map<String, String> state);

    /** Extra per-step metrics of the phase (may be empty); called after each optimizer step. */
    default Map<String, Object> stepMetrics() {
      return Map.of();
    }

    /**
     * Makes {@link #next} train on this rank's slice of every batch (a data-parallel run; see
     * {@link DataShard}), called once before the first step. A task that cannot split its
     * batches refuses a shard of more than one rank.
     */
    default void shard(DataShard shard) {
      if (shard.ranks() > 1) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not train data-parallel");
      }
    }
  }

  /**
   * One micro-batch's loss, the tokens it covered (for throughput) and the number of terms the
   * loss is the mean of (loss-bearing tokens, pairs): a data-parallel step weights each rank's
   * loss by it, so the step is the one a single process takes on the whole batch.
   */
  public record MicroBatch(Tensor loss, long tokens, long lossTerms) {
    /** A loss that is the mean over every one of {@code tokens}. */
    public MicroBatch(Tensor loss, long tokens) {
      this(loss, tokens, tokens);
    }
  }

  /** Headline figures of a run. */
  public record Result(long steps, double firstLoss, double lastLoss, double firstValLoss, double lastValLoss,
      double tokensPerSecond, Path runDir) {}

  private final Module model;
  private final Task task;
  private final TrainConfig cfg;
  private final Path runDir;
  /** The job's communicator in a data-parallel run, else null. */
  private final Communicator comm;
  /** A single process's optimizer (null when data-parallel). */
  private final AdamW optimizer;
  /** A data-parallel run's optimizer (null in a single process). */
  private final ShardedAdamW sharded;
  private final Checkpoints checkpoints;
  private final double flopsPerToken;
  private final double peakFlops;
  private final List<TrainingListener> listeners = new ArrayList<>();

  /**
   * @param flopsPerToken training FLOPs per token (6N + attention) for MFU, or 0
   * @param peakFlops the device's peak FLOP/s for MFU (callers pass profile.DevicePeak's), or 0 when unknown
   *     (MFU is then omitted)
   */
  public Trainer(Module model, Task task, TrainConfig cfg, Path runDir, double flopsPerToken, double peakFlops) {
    this.model = model;
    this.task = task;
    this.cfg = cfg;
    this.runDir = runDir;
    this.comm = Ranks.job();
    if (comm == null) {
      this.optimizer = new AdamW(model.parameters(), cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
      this.sharded = null;
    } else {
      task.shard(new DataShard(comm.rank(), comm.size()));
      this.optimizer = null;
      this.sharded = new ShardedAdamW(comm, model.parameters(), cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.eps(),
          cfg.weightDecay(), ShardedAdamW.DEFAULT_BUCKET);
    }
    this.checkpoints = new Checkpoints(runDir, cfg.keepCheckpoints());
    this.flopsPerToken = flopsPerToken;
    this.peakFlops = peakFlops;
  }

  public Checkpoints checkpoints() {
    return checkpoints;
  }

  /** The optimizer of a single-process run; null in a data-parallel one (see {@link #shardedOptimizer}). */
  public AdamW optimizer() {
    return optimizer;
  }

  /** The optimizer of a data-parallel run; null in a single process. */
  public ShardedAdamW shardedOptimizer() {
    return sharded;
  }

  private Device device() {
    return model.parameters().get(0).device();
  }

  /**
   * Adds a listener that {@link #run} calls after each step, evaluation and checkpoint (see
   * {@link TrainingListener} for when, and for what an exception it throws does). Add listeners
   * before {@code run}; they are called in the order added.
   */
  public void addListener(TrainingListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Trains to {@code cfg.steps()}, first continuing from the latest checkpoint when {@code resume}. */
  public Result run(boolean resume) {
    long start = 0;
    if (resume) {
      var latest = checkpoints.latest();
      if (latest.isEmpty()) {
        throw new InvalidOptionException("resume", ": no checkpoint in " + checkpoints.directory());
      }
      if (Ranks.writes()) {
        Checkpoints.removeStaleTemporaries(runDir);
      }
      Map<String, String> meta;
      if (sharded == null) {
        meta = Checkpoints.load(latest.get(), model, optimizer);
      } else { // the whole state, as a single process wrote it; this rank keeps its share
        try (AdamW whole = new AdamW(model.parameters(), cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.eps(),
            cfg.weightDecay())) {
          meta = Checkpoints.load(latest.get(), model, whole);
          sharded.loadFrom(whole);
        }
      }
      task.restore(meta);
      start = Checkpoints.stepOf(latest.get());
      if (start >= cfg.steps()) {
        throw new InvalidOptionException("steps", " " + cfg.steps() + " is not beyond step " + start
            + " of the latest checkpoint (" + latest.get().getFileName() + ") to {resume} from");
      }
      LOG.info("resumed from " + latest.get() + " at step " + start);
    }
    double firstLoss = Double.NaN, lastLoss = Double.NaN, firstVal = Double.NaN, lastVal = Double.NaN;
    long tokensTotal = 0;
    double secondsTotal = 0;
    try (Metrics metrics = Ranks.writes() ? new Metrics(runDir, cfg.steps(), start) : Metrics.silent(cfg.steps(), start);
         Profiler.Run phases = Profiler.startRun(device())) {
      long runStart = System.nanoTime();
      if (start == 0) {
        firstVal = lastVal = evaluate();
        if (!Double.isNaN(firstVal)) {
          metrics.println(String.format("step 0: val loss %.4f", firstVal));
          Map<String, Object> rec = Metrics.record();
          rec.put("step", 0);
          rec.put("val_loss", firstVal);
          metrics.log(rec);
          EvalMetrics e = new EvalMetrics(0, firstVal);
          listeners.forEach(l -> l.onEval(e));
        }
      }
      StepProfile profile = StepProfile.enabled() ? new StepProfile(device()) : null;
      for (long step = start; step < cfg.steps(); step++) {
        long t0 = System.nanoTime();
        Profiler.stepBegin(step + 1);
        if (profile != null) {
          profile.begin();
        }
        float lr = cfg.lrAt(step);
        if (sharded == null) {
          optimizer.setLearningRate(lr);
        } else {
          sharded.setLearningRate(lr);
        }
        long tokens = 0;
        // Each micro-batch's loss stays on the device until the step's one read (with the norm):
        // a CUDA step waits for the device once.
        List<Tensor> losses = new ArrayList<>(cfg.gradAccum());
        // each micro-batch loss's share of the step's loss: 1 in a single process, this rank's
        // share of the micro-batch's loss terms when data-parallel
        double[] shares = new double[cfg.gradAccum()];
        double loss, norm;
        try {
          for (int micro = 0; micro < cfg.gradAccum(); micro++) {
            try (Scope s = Scope.open()) {
              MicroBatch mb;
              Tensor scaled;
              try (Profiler.Phase ph = Profiler.phase("forward")) {
                mb = task.next();
                if (comm == null) {
                  shares[micro] = 1;
                  // mean over micro-batches: each contributes 1/gradAccum of the gradient
                  scaled = cfg.gradAccum() == 1 ? mb.loss() : Ops.mulScalar(mb.loss(), 1f / cfg.gradAccum());
                } else {
                  // this rank's mean weighted by its share of the batch's terms; ShardedAdamW sums the
                  // ranks' gradients and divides by size: the mean over the whole batch
                  long terms = comm.allReduceSum(mb.lossTerms());
                  shares[micro] = terms == 0 ? 0 : (double) mb.lossTerms() / terms;
                  scaled = Ops.mulScalar(mb.loss(), (float) (shares[micro] * comm.size() / cfg.gradAccum()));
                }
              }
              if (shares[micro] > 0) { // a rank whose slice holds no loss term adds no gradient
                try (Profiler.Phase ph = Profiler.phase("backward")) {
                  scaled.backward();
                }
              }
              losses.add(s.keep(Ops.detach(mb.loss())));
              tokens += mb.tokens();
            }
          }
          try (Profiler.Phase ph = Profiler.phase("optimizer");
               Tensor normSq = sharded == null ? GradClip.squaredNorm(model.parameters()) : sharded.step(cfg.gradClip())) {
            if (sharded == null) {
              optimizer.step(normSq, cfg.gradClip());  // clipped on the device: no read of the norm first
            }
            Tensor[] toRead = losses.toArray(new Tensor[losses.size() + 1]);
            toRead[losses.size()] = normSq;
            float[] read = Tensor.items(toRead);  // [loss of each micro-batch..., squared norm]
            double lossSum = 0;
            for (int i = 0; i < read.length - 1; i++) {
              lossSum += shares[i] == 0 ? 0 : shares[i] * read[i];
            }
            loss = lossSum / cfg.gradAccum();
            if (comm != null) {
              loss = comm.allReduceSum(new double[] {loss})[0];
              tokens = comm.allReduceSum(tokens);
            }
            norm = Math.sqrt(read[read.length - 1]);
            if (sharded == null) {
              optimizer.zeroGrad();
            } else {
              sharded.zeroGrad();
            }
          }
        } finally {
          losses.forEach(Tensor::close);
        }
        Profiler.stepEnd();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (profile != null) {
          profile.end(seconds * 1e3);
        }
        long done = step + 1;
        if (!Double.isFinite(loss)) {
          throw new IllegalStateException("loss became " + loss + " at step " + done
              + " (lower the learning rate, or check the data)");
        }
        firstLoss = Double.isNaN(firstLoss) ? loss : firstLoss;
        lastLoss = loss;
        tokensTotal += tokens;
        secondsTotal += seconds;

        Map<String, Object> rec = Metrics.record();
        rec.put("step", done);
        rec.put("loss", loss);
        rec.put("lr", lr);
        rec.put("grad_norm", norm);
        rec.put("tokens", tokens);
        rec.put("tokens_per_s", tokens / seconds);
        rec.put("step_ms", seconds * 1e3);
        // data-parallel: the job's tokens over every rank's device
        double peak = peakFlops * (comm == null ? 1 : comm.size());
        double mfu = peak > 0 && flopsPerToken > 0 ? flopsPerToken * tokens / seconds / peak : Double.NaN;
        if (!Double.isNaN(mfu)) {
          rec.put("mfu", mfu);
        }
        if (sharded != null) { // the step's collectives, waiting for the slowest rank included
          rec.put("comm_ms", sharded.lastStepCommunicationSeconds() * 1e3);
        }
        Map<String, Object> phaseMetrics = task.stepMetrics();
        rec.putAll(phaseMetrics);
        boolean last = done == cfg.steps();
        if ((cfg.evalEvery() > 0 && done % cfg.evalEvery() == 0) || last) {
          lastVal = evaluate();
          if (!Double.isNaN(lastVal)) {
            rec.put("val_loss", lastVal);
            firstVal = Double.isNaN(firstVal) ? lastVal : firstVal;
          }
        }
        metrics.log(rec);
        String summary = String.format("loss %.4f%s lr %.2e norm %.2f | %.0f tok/s", loss,
            rec.containsKey("val_loss") ? String.format(" val %.4f", lastVal) : "", lr, norm, tokens / seconds)
            + (Double.isNaN(mfu) ? "" : String.format(" | mfu %.1f%%", 100 * mfu));
        metrics.progress(done, summary, 10);
        if (cfg.sampleEvery() > 0 && (done % cfg.sampleEvery() == 0 || last)) {
          String text = sample();
          if (text != null) {
            metrics.println("sample at step " + done + ": " + text.replace("\n", "\\n"));
          }
        }
        Path saved = null;
        if ((cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0) || last) {
          try (Profiler.Phase ph = Profiler.phase("checkpoint")) {
            Map<String, String> state = new LinkedHashMap<>(task.state());
            if (sharded == null) {
              saved = checkpoints.save(done, model, optimizer, state);
            } else { // rank 0 writes the whole state, in the single-process format
              try (AdamW whole = sharded.gatherTo(0)) {
                if (whole != null) {
                  saved = checkpoints.save(done, model, whole, state);
                }
              }
            }
          }
        }
        if (!listeners.isEmpty()) { // last: the step's metrics line and checkpoint are written
          StepMetrics m = new StepMetrics(done, cfg.steps(), loss, lr, norm, tokens, tokens / seconds, seconds * 1e3,
              mfu, (System.nanoTime() - runStart) / 1e9, phaseMetrics);
          EvalMetrics e = rec.containsKey("val_loss") ? new EvalMetrics(done, lastVal) : null;
          for (TrainingListener l : listeners) {
            l.onStep(m);
            if (e != null) {
              l.onEval(e);
            }
            if (saved != null) {
              l.onCheckpoint(saved, done);
            }
          }
        }
      }
      if (profile != null) {
        metrics.println(profile.report());
      }
      String tables = phases.finish(); // writes --trace; the tables with --profile
      if (tables != null) {
        metrics.println(tables);
      }
    }
    return new Result(cfg.steps(), firstLoss, lastLoss, firstVal, lastVal,
        secondsTotal > 0 ? tokensTotal / secondsTotal : 0, runDir);
  }

  private double evaluate() {
    // the loss loops poll this, so a long evaluation prints a line at least every ~10 s
    try (Progress progress = Progress.start("validation loss", 0, null)) {
      return evaluateQuietly();
    }
  }

  private double evaluateQuietly() {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Profiler.Phase ph = Profiler.phase("evaluation")) {
      return task.evaluate();
    }
  }

  private String sample() {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Profiler.Phase ph = Profiler.phase("sample")) {
      return task.sample();
    }
  }

  @Override
  public void close() {
    if (optimizer != null) {
      optimizer.close();
    }
    if (sharded != null) {
      sharded.close();
    }
  }
}
