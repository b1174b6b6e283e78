package dev.triad.profile;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Device;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What one profiled training run records, on its training thread: per-op and per-phase times
 * (phases exclusive of the phases nested in them) of each step, and the trace events of the traced
 * steps. Only {@link Profiler} calls it, and only while profiling is on.
 */
final class Recorder {
  /** Steps left out of the tables as warm-up (allocator cache, JIT, first launches) when more ran. */
  static final int WARMUP_STEPS = 2;

  private final Device device;
  private final Thread owner;
  private final boolean profile;
  private final Path traceFile;
  private final long traceFrom, traceTo;
  private final long origin = System.nanoTime();

  /** Tables over every step, and over the steps after warm-up. */
  private final ProfileTables all = new ProfileTables(), steady = new ProfileTables();
  /** Phases outside the steps' timed part (evaluation, samples, checkpoints). */
  private final ProfileTables.Table outside = new ProfileTables.Table();
  private final List<ChromeTrace.Event> events = new ArrayList<>();
  private final ArrayDeque<long[]> phaseTimes = new ArrayDeque<>(); // {start, nanos of nested phases}
  private final ArrayDeque<String> phaseNames = new ArrayDeque<>();

  private long step;
  private boolean inStep;
  private boolean traced;
  private long stepStart;

  Recorder(Device device, Thread owner, boolean profile, Path traceFile, long traceFrom, long traceTo) {
    this.device = device;
    this.owner = owner;
    this.profile = profile;
    this.traceFile = traceFile;
    this.traceFrom = traceFrom;
    this.traceTo = traceTo;
  }

  boolean onOwner() {
    return Thread.currentThread() == owner;
  }

  boolean profiling() {
    return profile;
  }

  /** Whether ops of the current step are timed. */
  boolean timesOps() {
    return profile || traced;
  }

  private long now() {
    if (device == Device.CUDA) { // queued kernels finish inside the range that launched them
      Status.check(TriadNative.triad_cuda_synchronize());
    }
    return System.nanoTime();
  }

  void stepBegin(long step) {
    this.step = step;
    traced = traceFile != null && step >= traceFrom && step <= traceTo;
    inStep = true;
    stepStart = now();
  }

  void stepEnd() {
    if (!inStep) {
      return;
    }
    long end = now();
    inStep = false;
    for (ProfileTables t : tables()) {
      t.addStep(end - stepStart);
    }
    if (traced) {
      events.add(new ChromeTrace.Event("step " + step, "step", stepStart - origin, end - stepStart, owner.getId()));
    }
  }

  void phaseBegin(String name) {
    phaseNames.push(name);
    phaseTimes.push(new long[] {now(), 0});
  }

  void phaseEnd() {
    if (phaseNames.isEmpty()) {
      return;
    }
    String name = phaseNames.pop();
    long[] t = phaseTimes.pop();
    long end = now();
    long dur = end - t[0];
    if (!phaseTimes.isEmpty()) {
      phaseTimes.peek()[1] += dur;
    }
    long exclusive = dur - t[1];
    if (inStep) {
      for (ProfileTables tables : tables()) {
        tables.phases.add(name, exclusive);
      }
    } else {
      outside.add(name, exclusive);
    }
    if (traced) {
      events.add(new ChromeTrace.Event(name, "phase", t[0] - origin, dur, owner.getId()));
    }
  }

  long opBegin() {
    return now();
  }

  void opEnd(String op, boolean backward, long start) {
    long end = now();
    String name = op + (backward ? " bwd" : " fwd");
    if (inStep) {
      for (ProfileTables t : tables()) {
        t.ops.add(name, end - start);
      }
    }
    if (traced) {
      events.add(new ChromeTrace.Event(name, backward ? "op.bwd" : "op.fwd", start - origin, end - start,
          owner.getId()));
    }
  }

  private List<ProfileTables> tables() {
    return step > WARMUP_STEPS ? List.of(all, steady) : List.of(all);
  }

  String report() {
    boolean useSteady = steady.steps() > 0;
    ProfileTables t = useSteady ? steady : all;
    String which = useSteady ? String.format("%d steps after %d warm-up", steady.steps(), WARMUP_STEPS)
        : all.steps() + " steps, warm-up included (too few for a steady state)";
    String timing = device == Device.CUDA ? "cuda: each op synchronised; times include launch overhead"
        : "cpu: ops run synchronously";
    return t.format(which, timing, outside);
  }

  void writeTrace() {
    if (traceFile != null) {
      ChromeTrace.write(traceFile, events, device.toString());
    }
  }
}
