package dev.triad.cli.logging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J binding of the {@code triad} command (found through META-INF/services): the library
 * logs through SLF4J and leaves the binding to the application; this one prints the way the CLI
 * always has (see {@link ConsoleLogger}). An application that embeds Triad binds its own.
 */
public final class ConsoleLogging implements SLF4JServiceProvider {
  private final boolean debug = Boolean.getBoolean("triad.debug");
  private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
  private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, n -> new ConsoleLogger(n, debug));
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new NOPMDCAdapter();

  @Override public ILoggerFactory getLoggerFactory() { return factory; }
  @Override public IMarkerFactory getMarkerFactory() { return markers; }
  @Override public MDCAdapter getMDCAdapter() { return mdc; }
  @Override public String getRequestedApiVersion() { return "2.0.99"; }
  @Override public void initialize() {}

  /**
   * From now on only errors are printed, each starting with {@code prefix}: a data-parallel rank
   * other than 0, whose progress and warnings rank 0 prints for the job.
   */
  public static void onlyErrors(String prefix) {
    ConsoleLogger.errorsOnlyPrefix = prefix;
  }
}
