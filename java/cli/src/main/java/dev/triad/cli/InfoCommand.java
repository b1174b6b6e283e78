package dev.triad.cli;

import dev.triad.Triad;
import dev.triad.tensor.Device;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code triad info}: version and the devices this process can use. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Print the version and the devices Triad sees (CPU threads and BLAS; CUDA or why not).")
final class InfoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("triad " + Triad.version());
    System.out.println("java  " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    System.out.println("cpu   available: " + Triad.cpuThreads() + " threads; BLAS: " + Triad.blasInfo());
    Device cuda = Device.cuda();
    System.out.println("cuda  " + (cuda.isAvailable() ? "available" : "not available: " + cuda.unavailabilityCause()));
    System.out.println("best  device: " + Device.best());
    return 0;
  }
}
