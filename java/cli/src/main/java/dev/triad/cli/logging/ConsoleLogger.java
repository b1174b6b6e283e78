package dev.triad.cli.logging;

import java.io.PrintStream;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * What the library's log lines look like on the command line: INFO as the plain message on
 * stdout (a run's progress, as the CLI has always printed it), WARN as {@code warning: ...} on
 * stdout beside it, ERROR as {@code error: ...} on stderr; DEBUG and TRACE only with
 * {@code -Dtriad.debug=true}. The stream is looked up at each call, so a caller that redirects
 * System.out (the tests, the demo's quiet phases) redirects the log too.
 */
final class ConsoleLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;
  private final boolean debug;
  /** A data-parallel rank other than 0: only errors, each prefixed with the rank (see ConsoleLogging.onlyErrors). */
  static volatile String errorsOnlyPrefix;

  ConsoleLogger(String name, boolean debug) {
    this.name = name;
    this.debug = debug;
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
      Throwable thrown) {
    String message = MessageFormatter.basicArrayFormat(pattern, args);
    String rank = errorsOnlyPrefix;
    if (rank != null) {
      if (level != Level.ERROR) {
        return;
      }
      message = rank + message;
    }
    PrintStream out = level == Level.ERROR ? System.err : System.out;
    String prefix = switch (level) {
      case ERROR -> "error: ";
      case WARN -> "warning: ";
      case INFO -> "";
      default -> "[" + level + " " + name + "] ";
    };
    out.println(prefix + message);
    if (thrown != null && (debug || level == Level.ERROR)) {
      thrown.printStackTrace(out);
    }
  }

  @Override public boolean isTraceEnabled() { return debug; }
  @Override public boolean isDebugEnabled() { return debug; }
  @Override public boolean isInfoEnabled() { return true; }
  @Override public boolean isWarnEnabled() { return true; }
  @Override public boolean isErrorEnabled() { return true; }
}
