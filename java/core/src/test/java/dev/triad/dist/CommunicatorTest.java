package dev.triad.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.TriadNative;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** What needs no second process: the messages before a communicator exists or when a plug-in is missing. */
class CommunicatorTest {
  @Test
  void aPluginThatCannotBeLoadedIsNamedWithTheReason() {
    TriadNative.load();
    int status = TriadNative.triad_dist_init("/nonexistent/libtriad_mpi.so", null);
    assertEquals(TriadNative.TRIAD_ERR_UNSUPPORTED, status);
    String message = TriadNative.triad_last_error();
    assertTrue(message.startsWith("dist_init: cannot load /nonexistent/libtriad_mpi.so: "), message);
    assertTrue(message.contains("No such file or directory"), message);
    assertEquals("", TriadNative.triad_dist_backend());
  }

  @Test
  void aLibraryThatIsNoPluginIsRefused() {
    TriadNative.load();
    // libtriad_env is a shared library of this build without the plug-in entry point
    String env = TriadNative.class.getResource(org.bytedeco.javacpp.Loader.getPlatform() + "/libtriad_env.so").getPath();
    assertEquals(TriadNative.TRIAD_ERR_UNSUPPORTED, TriadNative.triad_dist_init(env, null));
    assertTrue(TriadNative.triad_last_error().endsWith("libtriad_env.so is not a Triad communication plug-in"),
        TriadNative.triad_last_error());
  }

  @Test
  void collectivesBeforeStartAreRefused() {
    assertEquals(null, Communicator.current());
    try (Tensor t = Tensor.zeros(DType.F32, Device.CPU, 4)) {
      int status = TriadNative.triad_dist_all_reduce_sum(dev.triad.internal.TensorAccess.buf(t), 4);
      assertEquals(TriadNative.TRIAD_ERR_INVALID, status);
      assertEquals("dist_all_reduce_sum: the communicator is not started (call triad_dist_init first)",
          TriadNative.triad_last_error());
      int[] rank = new int[1];
      assertEquals(TriadNative.TRIAD_ERR_INVALID, TriadNative.triad_dist_rank(rank));
    }
  }
}
