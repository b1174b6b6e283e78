package dev.triad.profile;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The measured peak, its per-machine cache and the table of known GPUs (MFU in a training log: MfuLogTest). */
class DevicePeakTest {
  @TempDir Path tmp;

  @Test
  void measuresPositivePeaksAndCachesThem() {
    DevicePeak p = DevicePeak.measure(Device.CPU, DType.F32, true);
    // a 2-core CPU does well over 1 GFLOP/s in sgemm and well over 100 MB/s in a copy
    assertTrue(p.flops() > 1e9 && p.flops() < 1e14, "FLOP/s " + p.flops());
    assertTrue(p.bytesPerSecond() > 1e8 && p.bytesPerSecond() < 1e13, "bytes/s " + p.bytesPerSecond());
    assertEquals("measured", p.source());
    p.cache();
    DevicePeak c = DevicePeak.cached(Device.CPU, DType.F32).orElseThrow();
    assertEquals("cached", c.source());
    assertEquals(p.flops(), c.flops(), 0.0);
    assertEquals(p.bytesPerSecond(), c.bytesPerSecond(), 0.0);
    assertEquals(c.flops(), DevicePeak.forMfu(Device.CPU, DType.F32).flops(), 0.0, "MFU uses the cached figure");
    assertTrue(DevicePeak.cacheFile(Device.CPU, DType.F32).getFileName().toString().startsWith("peak-cpu-f32-"));
  }

  @Test
  void knownGpuTable() {
    assertEquals(989e12, DevicePeak.known("NVIDIA H200", DType.BF16), 0.0);
    assertEquals(989e12, DevicePeak.known("NVIDIA H100 80GB HBM3", DType.BF16), 0.0);
    assertEquals(756e12, DevicePeak.known("NVIDIA H100 PCIe", DType.BF16), 0.0);
    assertEquals(312e12, DevicePeak.known("NVIDIA A100-SXM4-80GB", DType.BF16), 0.0);
    assertEquals(0.0, DevicePeak.known("NVIDIA A100-SXM4-80GB", DType.F32), 0.0, "the table states bf16 only");
    assertEquals(0.0, DevicePeak.known("Some Future GPU", DType.BF16), 0.0);
  }
}
