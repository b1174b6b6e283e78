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

  static int run(CommandLine.ParseResult leaf, IntSupplier command) {
    Communicator comm;
    try {
      comm = Communicator.start(Communicator.hasNccl() && Device.CUDA.isAvailable());
    } catch (RuntimeException e) {
      throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), "--distributed: " + e.getMessage(), e);
    }
    if (!comm.isRoot()) {
      ConsoleLogging.onlyErrors("rank " + comm.rank() + " of " + comm.size() + ": ");
    } else if (comm.size() == 1) {
      System.out.println("note: --distributed with 1 rank (start it with mpirun -np N or srun to train on N)");
    } else {
      System.out.println("distributed: " + comm.size() + " ranks (" + comm.backend() + ")");
    }
    int code;
    try {
      code = command.getAsInt();
    } catch (RuntimeException | Error e) {
      // a failure picocli's handler did not print (it prints and returns 1 for the command's own)
      System.err.println("triad " + leaf.commandSpec().name() + rankText() + ": " + ErrorText.of(e));
      code = 1;
    }
    if (code != 0 && comm.size() > 1) {
      System.err.println("triad" + rankText() + ": ending the job (exit " + code + ")");
      System.err.flush();
      comm.abort(code); // MPI_Abort: every rank ends with this status
    }
    comm.barrier();
    comm.close();
    return code;
  }
}
