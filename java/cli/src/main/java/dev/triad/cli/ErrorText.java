package dev.triad.cli;

import dev.triad.InvalidOptionException;
import dev.triad.TriadException;
import dev.triad.profile.PlanCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The one line the CLI prints for a failed command. Why: Triad's own exceptions carry messages
 * written for users (they name the option, file or tensor), but some JDK exceptions carry text that
 * means nothing on its own: a NoSuchFileException's message is the bare path, an
 * ArithmeticException says "/ by zero", an index error "-1". Those are translated or, when they can
 * only be a bug, labelled as one, with where it happened.
 */
final class ErrorText {
  private ErrorText() {}

  static String of(Throwable e) {
    Throwable t = e;
    // a wrapper whose message adds nothing to its cause's
    while (t.getCause() != null && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
      t = t.getCause();
    }
    if (t instanceof OutOfMemoryError) {
      return "out of Java heap memory (" + Runtime.getRuntime().maxMemory() + " bytes; raise it with -Xmx or"
          + " JAVA_OPTS): " + (t.getMessage() == null ? "" : t.getMessage());
    }
    if (t instanceof StackOverflowError) {
      return "internal error: stack overflow" + where(t) + " (a bug; TRIAD_DEBUG=1 prints the stack trace)";
    }
    String file = fileProblem(t instanceof UncheckedIOException u ? u.getCause() : t);
    if (file != null) {
      String msg = t.getMessage();
      String path = t instanceof UncheckedIOException u && u.getCause() instanceof FileSystemException fs ? fs.getFile()
          : t instanceof FileSystemException fs ? fs.getFile() : null;
      if (t instanceof UncheckedIOException && msg != null && path != null && !msg.equals(path)) {
        // "cannot read X: /bare/path" -> "cannot read X: /bare/path: no such file"
        return msg.endsWith(path) ? msg + ": " + file : msg + " (" + file + ")";
      }
      return (path != null ? path + ": " : "") + file;
    }
    if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
        || t instanceof UnsupportedOperationException || t instanceof IOException
        || t instanceof UncheckedIOException || t instanceof TriadException) {
      if (t instanceof NumberFormatException) {
        return "not a number: " + t.getMessage();
      }
      if (t instanceof PlanCheck.DoesNotFitException tooBig) {
        return tooBig.describe(OptionNames::flag);
      }
      if (t instanceof InvalidOptionException bad) {
        return bad.message(OptionNames::flag);   // the API's names -> the flags typed
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    // anything else (ArithmeticException, NullPointerException, an index out of bounds, ...) is a bug
    return "internal error: " + t.getClass().getSimpleName() + where(t)
        + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")")
        + "; this is a bug in Triad: please report it with the output of TRIAD_DEBUG=1";
  }

  /** Why a file operation failed, in words, or null when {@code t} is no file-system error. */
  private static String fileProblem(Throwable t) {
    if (t instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (t instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (t instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (t instanceof FileSystemException fs) {
      return fs.getReason() != null ? fs.getReason() : "file-system error";
    }
    return null;
  }

  private static String where(Throwable t) {
    for (StackTraceElement s : t.getStackTrace()) {
      if (s.getClassName().startsWith("dev.triad.")) {
        return " at " + s.getClassName().substring(s.getClassName().lastIndexOf('.') + 1) + "." + s.getMethodName()
            + "(" + s.getFileName() + ":" + s.getLineNumber() + ")";
      }
    }
    return "";
  }
}
