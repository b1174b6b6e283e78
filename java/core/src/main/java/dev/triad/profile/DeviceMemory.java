package dev.triad.profile;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory a new run can still use on a device, for the memory plan's verdict. */
public final class DeviceMemory {
  private DeviceMemory() {}

  /**
   * Bytes available on {@code device}, or -1 when unknown (CUDA unavailable). CPU: the kernel's MemAvailable
   * (/proc/meminfo), capped by the cgroup's remaining limit when there is one, plus what this
   * process's live native buffers hold (the plan counts them itself). CUDA: the device's free
   * memory plus the caching allocator's unused blocks and this process's live buffers.
   */
  public static long available(Device device) {
    if (device == Device.CUDA) {
      if (!device.isAvailable()) {
        return -1;
      }
      long[] free = new long[1];
      long[] total = new long[1];
      int status = TriadNative.triad_cuda_memory(free, total);
      if (status == TriadNative.TRIAD_ERR_UNSUPPORTED) {
        return -1;
      }
      Status.check(status);
      return free[0] + device.reservedBytes();
    }
    long avail = memAvailable();
    if (avail < 0) {
      return -1;
    }
    long cg = cgroupRemaining();
    if (cg >= 0) {
      avail = Math.min(avail, cg);
    }
    return avail + device.liveBytes();
  }

  /** MemAvailable from /proc/meminfo in bytes, or -1. */
  static long memAvailable() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          String[] f = line.trim().split("\\s+");
          return Long.parseLong(f[1]) * 1024;  // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** cgroup v2 memory.max - memory.current, or -1 without a limit. */
  static long cgroupRemaining() {
    try {
      Path max = Path.of("/sys/fs/cgroup/memory.max");
      Path cur = Path.of("/sys/fs/cgroup/memory.current");
      if (!Files.isReadable(max) || !Files.isReadable(cur)) {
        return -1;
      }
      String m = Files.readString(max).trim();
      if (m.equals("max")) {
        return -1;
      }
      return Math.max(0, Long.parseLong(m) - Long.parseLong(Files.readString(cur).trim()));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
