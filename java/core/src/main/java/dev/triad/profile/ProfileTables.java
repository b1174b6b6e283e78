package dev.triad.profile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The per-phase and per-op totals of a set of training steps, and their printed tables. */
final class ProfileTables {
  /** Count and total nanoseconds per name, in first-seen order. */
  static final class Table {
    final Map<String, long[]> rows = new LinkedHashMap<>();

    void add(String name, long nanos) {
      long[] r = rows.computeIfAbsent(name, k -> new long[2]);
      r[0]++;
      r[1] += nanos;
    }

    long totalNanos() {
      long s = 0;
      for (long[] r : rows.values()) {
        s += r[1];
      }
      return s;
    }

    /** Rows by total time, largest first. */
    List<Map.Entry<String, long[]>> sorted() {
      List<Map.Entry<String, long[]>> out = new ArrayList<>(rows.entrySet());
      out.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
      return out;
    }
  }

  final Table phases = new Table();
  final Table ops = new Table();
  private long steps;
  private long stepNanos;

  void addStep(long nanos) {
    steps++;
    stepNanos += nanos;
  }

  long steps() {
    return steps;
  }

  long stepNanos() {
    return stepNanos;
  }

  /** The tables: phases of the steps (with the unmarked rest), phases outside them, ops. */
  String format(String which, String timing, Table outside) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "profile: per phase, %s: %.3f ms/step, %.3f ms in all%n", which,
        steps == 0 ? 0.0 : stepNanos / 1e6 / steps, stepNanos / 1e6));
    header(out, "phase");
    for (var e : phases.sorted()) {
      row(out, e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
    long rest = stepNanos - phases.totalNanos();
    row(out, "(unmarked)", steps, Math.max(0, rest));
    if (!outside.rows.isEmpty()) {
      out.append("  outside the steps' timed part (every step, share of step time for scale):\n");
      for (var e : outside.sorted()) {
        row(out, e.getKey(), e.getValue()[0], e.getValue()[1]);
      }
    }
    out.append(String.format(Locale.ROOT, "profile: per op, the same steps (%s)%n", timing));
    header(out, "op");
    for (var e : ops.sorted()) {
      row(out, e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
    long opNanos = ops.totalNanos();
    out.append(String.format(Locale.ROOT, "  %-24s %8s %11.3f %10s %6.1f%%", "all ops", "", opNanos / 1e6, "",
        share(opNanos)));
    return out.toString();
  }

  private static void header(StringBuilder out, String what) {
    out.append(String.format(Locale.ROOT, "  %-24s %8s %11s %10s %7s%n", what, "count", "total ms", "mean ms",
        "share"));
  }

  private void row(StringBuilder out, String name, long count, long nanos) {
    out.append(String.format(Locale.ROOT, "  %-24s %8d %11.3f %10.4f %6.1f%%%n", name, count, nanos / 1e6,
        count == 0 ? 0.0 : nanos / 1e6 / count, share(nanos)));
  }

  private double share(long nanos) {
    return stepNanos == 0 ? 0 : 100.0 * nanos / stepNanos;
  }
}
