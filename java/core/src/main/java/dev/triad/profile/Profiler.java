package dev.triad.profile;

import dev.triad.InvalidOptionException;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Device;
import java.nio.file.Path;

/**
 * The one profiling hook of the codebase: per-op timings (forward in {@code Ops}, backward in the
 * autograd nodes), the phases of a training step, and the steps themselves. Off (the default) every
 * hook reads one static volatile field and returns: {@link #opBegin} returns {@link #OFF} and
 * {@link #phase} a shared no-op handle, with no clock read, allocation or native call (measured in
 * {@code ProfilerOverheadTest}; see docs/ARCHITECTURE.md "Profiling").
 *
 * <p>The CLI configures it once per process ({@link #enableProfile}, {@link #enableTrace}); each
 * training loop then brackets its run with {@link #startRun} and its steps with
 * {@link #stepBegin}/{@link #stepEnd}. While a run records, on CUDA every op and phase boundary
 * synchronises the device, so times are real (and include launch overhead). NVTX ranges for the
 * phases are pushed on CUDA whenever a run is started on CUDA, recording or not.
 */
public final class Profiler {
  /** What {@link #opBegin} returns when no op is being timed. */
  public static final long OFF = Long.MIN_VALUE;

  /** Op timing on: a run records and the current step is profiled or traced. */
  private static volatile boolean timing;
  /** Phase markers on: a run records, or pushes NVTX ranges. */
  private static volatile boolean phases;
  private static volatile Recorder recorder;
  private static volatile boolean nvtx;

  private static boolean profile;
  private static Path traceFile;
  private static long traceFrom = 3, traceTo = 5;

  private Profiler() {}

  /** {@code --profile}: every training run of this process prints per-op and per-phase tables. */
  public static synchronized void enableProfile() {
    profile = true;
  }

  /** {@code --trace FILE --trace-steps A-B}: each training run writes a Chrome trace of steps from..to (1-based). */
  public static synchronized void enableTrace(Path file, long from, long to) {
    if (file == null) {
      throw new InvalidOptionException("trace", ": a file is needed");
    }
    if (from < 1 || to < from) {
      throw new InvalidOptionException("traceSteps", " " + from + "-" + to + ": expected 1 <= A <= B");
    }
    traceFile = file;
    traceFrom = from;
    traceTo = to;
  }

  /** Back to off (tests that ran a profiled command). */
  public static synchronized void reset() {
    profile = false;
    traceFile = null;
    traceFrom = 3;
    traceTo = 5;
    stopRun();
  }

  public static synchronized boolean profiling() {
    return profile;
  }

  /** Parses {@code --trace-steps}: "A-B" or "N" (1-based steps). Returns {from, to}. */
  public static long[] parseSteps(String text) {
    String t = text == null ? "" : text.trim();
    try {
      int dash = t.indexOf('-');
      long from = Long.parseLong(dash < 0 ? t : t.substring(0, dash).trim());
      long to = dash < 0 ? from : Long.parseLong(t.substring(dash + 1).trim());
      if (from >= 1 && to >= from) {
        return new long[] {from, to};
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidOptionException("traceSteps", " " + text + ": expected A-B or N with 1 <= A <= B, e.g. 3-5");
  }

  /**
   * Starts a training run's profile on {@code device}; close the returned handle when the run
   * ends (it stops every hook). Returns a handle whose {@link Run#finish} prints nothing and writes
   * nothing when neither --profile nor --trace is set.
   */
  public static synchronized Run startRun(Device device) {
    stopRun();
    nvtx = device == Device.CUDA;
    if (profile || traceFile != null) {
      recorder = new Recorder(device, Thread.currentThread(), profile, traceFile, traceFrom, traceTo);
    }
    phases = nvtx || recorder != null;
    return new Run(recorder);
  }

  private static synchronized void stopRun() {
    timing = false;
    phases = false;
    recorder = null;
    nvtx = false;
  }

  /** A training step (1-based, as logged) begins: its ops and phases count from here. */
  public static void stepBegin(long step) {
    if (!phases) {
      return;
    }
    Recorder r = recorder;
    if (r != null && r.onOwner()) {
      r.stepBegin(step);
      timing = r.timesOps();
    }
  }

  /** The step's timed part ends (evaluation, samples and checkpoints that follow are outside it). */
  public static void stepEnd() {
    if (!phases) {
      return;
    }
    Recorder r = recorder;
    if (r != null && r.onOwner()) {
      r.stepEnd();
    }
  }

  /** Marks a phase of a step ("data", "forward", ...); use in try-with-resources. */
  public static Phase phase(String name) {
    if (!phases) {
      return Phase.NONE;
    }
    return openPhase(name);
  }

  private static Phase openPhase(String name) {
    Recorder r = recorder;
    boolean push = nvtx;
    boolean record = r != null && r.onOwner();
    if (!push && !record) {
      return Phase.NONE;
    }
    if (push) {
      TriadNative.triad_range_push(name);
    }
    if (record) {
      r.phaseBegin(name);
    }
    return new Phase(record ? r : null, push);
  }

  /** Before an op's native call(s): {@link #OFF} when not timing, else the start time. */
  public static long opBegin() {
    if (!timing) {
      return OFF;
    }
    Recorder r = recorder;
    return r == null || !r.onOwner() ? OFF : r.opBegin();
  }

  /** After the op's native call(s), with what {@link #opBegin} returned. */
  public static void opEnd(String op, boolean backward, long start) {
    if (start == OFF) {
      return;
    }
    Recorder r = recorder;
    if (r != null) {
      r.opEnd(op, backward, start);
    }
  }

  /** A phase range; closing it ends the phase (never throws). */
  public static final class Phase implements AutoCloseable {
    static final Phase NONE = new Phase(null, false);
    private final Recorder recorder;
    private final boolean nvtxPushed;

    Phase(Recorder recorder, boolean nvtxPushed) {
      this.recorder = recorder;
      this.nvtxPushed = nvtxPushed;
    }

    @Override
    public void close() {
      if (recorder != null) {
        recorder.phaseEnd();
      }
      if (nvtxPushed) {
        TriadNative.triad_range_pop();
      }
    }
  }

  /** One training run's profile. */
  public static final class Run implements AutoCloseable {
    private final Recorder recorder;

    Run(Recorder recorder) {
      this.recorder = recorder;
    }

    /**
     * Ends recording; writes the trace when --trace is set and returns the per-phase and per-op
     * tables when --profile is set (else null).
     */
    public String finish() {
      if (recorder == null) {
        return null;
      }
      synchronized (Profiler.class) {
        if (Profiler.recorder == recorder) {
          stopRun();
        }
      }
      recorder.writeTrace();
      return recorder.profiling() ? recorder.report() : null;
    }

    @Override
    public void close() {
      synchronized (Profiler.class) {
        if (Profiler.recorder == recorder) {
          stopRun();
        }
      }
    }
  }

  /** Called by the recorder when the traced range begins or ends mid-run (trace-only runs time ops in it). */
  static void setTiming(boolean on) {
    timing = on;
  }
}
