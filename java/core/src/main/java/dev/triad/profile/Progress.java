package dev.triad.profile;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate-limited progress lines for work that prints nothing else for a while (evaluations, sampled
 * replies): at most one line per {@link #INTERVAL_NANOS}, and none at all for work that finishes
 * sooner, so short runs and tests stay quiet. A line reads
 * {@code "  sft eval: 120/560 prompts (21%), 23 s, ~84 s left"}.
 *
 * <p>The loop that owns the work calls {@link #advance}; code deep inside it that has no handle on
 * the work (a token-by-token generation loop) calls the static {@link #poll}, which prints for the
 * innermost open progress of this thread, so a single long call still shows signs of life. Open
 * with {@link #start} in try-with-resources; closing restores the enclosing progress. Not shared
 * between threads.
 */
public final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  /** The longest silence: ~10 s. */
  public static final long INTERVAL_NANOS = 10_000_000_000L;

  private static final ThreadLocal<Progress> CURRENT = new ThreadLocal<>();

  private final String what;
  private final String unit;
  private final long total;
  private final Consumer<String> out;
  private final LongSupplier clock;
  private final long interval;
  private final long started;
  private final Progress enclosing;
  private long done;
  private long lastPrint;
  private int lines;

  /** For tests: a clock in nanoseconds, a sink for the lines and an interval; not registered as this thread's current. */
  public Progress(String what, long total, String unit, Consumer<String> out, LongSupplier clock, long intervalNanos) {
    this(what, total, unit, out, clock, intervalNanos, null);
  }

  private Progress(String what, long total, String unit, Consumer<String> out, LongSupplier clock, long intervalNanos,
      Progress enclosing) {
    if (total < 0 || intervalNanos <= 0) {
      throw new IllegalArgumentException("progress: total " + total + " must be >= 0 (0: unknown) and the interval "
          + intervalNanos + " > 0");
    }
    this.what = what;
    this.unit = unit;
    this.total = total;
    this.out = out;
    this.clock = clock;
    this.interval = intervalNanos;
    this.enclosing = enclosing;
    this.started = clock.getAsLong();
    this.lastPrint = started;
  }

  /**
   * Opens progress of {@code what} over {@code total} {@code unit}s (0: unknown; then lines show the
   * time only, or the count when {@link #advance} is called) to the log (INFO), as this thread's
   * current progress until closed.
   */
  public static Progress start(String what, long total, String unit) {
    Progress p = new Progress(what, total, unit, LOG::info, System::nanoTime, INTERVAL_NANOS, CURRENT.get());
    CURRENT.set(p);
    return p;
  }

  /** Prints a line for this thread's current progress if it has been silent for the interval; cheap otherwise. */
  public static void poll() {
    Progress p = CURRENT.get();
    if (p != null) {
      p.maybePrint();
    }
  }

  /** Records {@code n} more units done and prints a line if due. */
  public void advance(long n) {
    done += n;
    maybePrint();
  }

  /** The number of lines printed so far. */
  public int lines() {
    return lines;
  }

  /** The line that would be printed now. */
  public String line() {
    double elapsed = (clock.getAsLong() - started) / 1e9;
    StringBuilder b = new StringBuilder("  ").append(what).append(": ");
    if (total > 0) {
      b.append(done).append('/').append(total).append(' ').append(unit)
          .append(String.format(Locale.ROOT, " (%.0f%%), %.0f s", 100.0 * done / total, elapsed));
      if (done > 0 && done < total) {
        b.append(String.format(Locale.ROOT, ", ~%.0f s left", elapsed * (total - done) / done));
      }
    } else if (done > 0) {
      b.append(done).append(' ').append(unit).append(String.format(Locale.ROOT, ", %.0f s", elapsed));
    } else {
      b.append(String.format(Locale.ROOT, "%.0f s", elapsed));
    }
    return b.toString();
  }

  private void maybePrint() {
    long now = clock.getAsLong();
    if (now - lastPrint >= interval) {
      lastPrint = now;
      lines++;
      out.accept(line());
    }
  }

  /** Restores the enclosing progress; prints a closing line only when this one printed any (it was long). */
  @Override
  public void close() {
    if (lines > 0) {
      out.accept(line().replaceFirst(" \\(\\d+%\\)", "") + ", done");
    }
    if (CURRENT.get() == this) {
      if (enclosing == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(enclosing);
      }
    }
  }
}
