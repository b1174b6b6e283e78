package dev.triad.cli;

import dev.triad.cli.label.LabelCommand;
import dev.triad.train.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code triad} command line. */
@Command(name = "triad", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Train language models from Java at native speed.",
    subcommands = {InfoCommand.class, DemoCommand.class, TokenizeCommand.class, PretrainCommand.class,
        SampleCommand.class, ExportCommand.class, SftCommand.class, ChatCommand.class, RewardCommand.class,
        DpoCommand.class, PpoCommand.class, GrpoCommand.class, PlanCommand.class, BenchCommand.class,
        AuditCommand.class, LabelCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // the training loops' redrawn progress bar on a terminal (a library run logs plain lines)
    System.setProperty(Metrics.PROGRESS_BAR, "true");
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (for tests). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
    try {
      return execute(cli, usage, args);
    } catch (OutOfMemoryError | StackOverflowError e) { // Errors pass picocli's handler
      cli.getErr().println("triad: " + ErrorText.of(e));
      if (System.getenv("TRIAD_DEBUG") != null) {
        e.printStackTrace(cli.getErr());
      }
      return 1;
    }
  }

  private static int execute(CommandLine cli, CommandLine.IParameterExceptionHandler usage, String... args) {
    return cli
        .setExecutionExceptionHandler((ex, cmd, parsed) -> {
          // a clear one-line message for users (ErrorText: never a bare Java exception text); the
          // stack trace only when asked for
          cmd.getErr().println("triad " + cmd.getCommandName() + Distributed.rankText() + ": " + ErrorText.of(ex));
          if (System.getenv("TRIAD_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
          }
          Distributed.endJob(1, cmd.getErr()); // the other ranks would wait for this one for ever
          return 1;
        })
        .setParameterExceptionHandler((ex, rest) -> {
          // triad plan answers bad arguments in one line; the other commands also print their usage
          CommandLine cmd = ex.getCommandLine();
          if (ex.getCause() instanceof IllegalArgumentException bad && bad.getMessage() != null) {
            // an option's setter refused its value (e.g. --trace-steps): its message, not picocli's wrapper
            cmd.getErr().println("triad " + cmd.getCommandName() + ": " + ErrorText.of(bad));
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
          }
          if (cmd.getCommand() instanceof PlanCommand) {
            cmd.getErr().println("triad plan: " + ex.getMessage() + " (see triad plan --help)");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
          }
          return usage.handleParseException(ex, rest);
        })
        .setExecutionStrategy(Main::execute)
        .execute(args);
  }

  /**
   * Runs the parsed command; a training command (one with {@link TrainingOptions}) first records or,
   * on --resume, restores and checks its run's settings and takes the run directory's lock, which it
   * holds until the command ends ({@link RunOptions#begin}).
   */
  private static int execute(CommandLine.ParseResult parsed) {
    Integer help = CommandLine.executeHelpRequest(parsed);
    if (help != null) {
      return help;
    }
    CommandLine.ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    TrainingOptions training = TrainingOptions.of(leaf.commandSpec());
    if (training == null || leaf.hasMatchedOption("--check")) {
      return new CommandLine.RunLast().execute(parsed);
    }
    if (training.distributed) {
      CommandLine.ParseResult command = leaf;
      return Distributed.run(command, () -> executeTraining(parsed, command, training));
    }
    return executeTraining(parsed, leaf, training);
  }

  private static int executeTraining(CommandLine.ParseResult parsed, CommandLine.ParseResult leaf,
      TrainingOptions training) {
    dev.triad.train.RunLock lock;
    try {
      Object command = leaf.commandSpec().userObject();
      lock = RunOptions.begin(leaf, training, command instanceof TrainingCommand c ? c::validate : () -> { });
    } catch (RuntimeException e) {
      throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.getMessage(), e);
    }
    try (lock) {
      return new CommandLine.RunLast().execute(parsed);
    } finally {
      dev.triad.train.RunInfo.besideNextWrite(null);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"triad " + dev.triad.Triad.version()};
    }
  }
}
