package dev.triad.cli;

import dev.triad.cli.logging.ConsoleLogging;
import dev.triad.dist.Communicator;
import dev.triad.tensor.Device;
import java.util.function.IntSupplier;
import picocli.CommandLine;

/**
 * {@code --distributed}: a training command as one rank of an MPI job. Starts the communicator
 * (MPI; NCCL too where this build has it and CUDA is here), leaves the printing to rank 0 (the
 * others print only their errors, named with their rank), and ends the whole job when any rank
 * fails, so that no rank waits for ever in a collective for one that is gone.
 */
final class Distributed {
  private Distributed() {}

  /** " (rank r of n)" inside a data-parallel job of more than one rank, else "". */
  static String rankText() {
    Communicator c = Communicator.current();
    return c == null || c.size() < 2 ? "" : " (rank " + c.rank() + " of " + c.size() + ")";
  }

  /**
   * After a failure on this rank ({@code code} != 0) of a job of several ranks: says so and ends
   * every rank of the job with that status (MPI_Abort). Otherwise nothing.
   */
  static void endJob(int code, java.io.PrintWriter err) {
    Communicator c = Communicator.current();
    if (code != 0 && c != null && c.size() > 1) {
      err.println("triad" + rankText() + ": ending the job (exit " + code + ")");
      err.flush();
      c.abort(code);
    }
  }

  static int run(CommandLine.ParseResult leaf, IntSupplier command) {
    Communicator comm;
    try {
      comm = Communicator.start(Communicator.hasNccl() && Device.CUDA.isAvailable());
    } catch (RuntimeException e) {
      String why = "--distributed: " + e.getMessage();
      throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), why, new IllegalArgumentException(why, e));
    }
    if (!comm.isRoot()) {
      ConsoleLogging.onlyErrors("rank " + comm.rank() + " of " + comm.size() + ": ");
    } else if (comm.size() == 1) {
      System.out.println("note: --distributed with 1 rank (start it with mpirun -np N or srun to train on N)");
    } else {
      System.out.println("distributed: " + comm.size() + " ranks (" + comm.backend() + ")");
    }
    int code = command.getAsInt(); // a failure is printed by Main's handler, which ends the job
    endJob(code, new java.io.PrintWriter(System.err, true));
    comm.barrier();
    comm.close();
    return code;
  }
}
