package dev.triad.cli;

import java.nio.file.Path;

/** Lets tests of other packages run the CLI's tiny pretraining (PretrainCliTest is package-private). */
public final class PretrainCliTestAccess {
  private PretrainCliTestAccess() {}

  public record Result(int exit, String out, String err) {}

  public static Result pretrainTiny(Path dir, String... extra) {
    PretrainCliTest.Run r = PretrainCliTest.pretrainTiny(dir, extra);
    return new Result(r.exit(), r.out(), r.err());
  }
}
