package dev.triad.profile;

import static dev.triad.nativ.Status.check;

import dev.triad.internal.TensorAccess;
import dev.triad.io.Json;
import dev.triad.nativ.TriadNative;
import dev.triad.nn.Precision;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peak a device reaches on this machine, measured: FLOP/s of a large square GEMM in the data
 * dtype (sgemm on the CPU in f32, the bf16 tensor-core GEMM on CUDA in bf16) and bytes/s of a
 * large copy (read + write counted; on the CPU the larger of memcpy and the multi-threaded
 * elementwise affine x*1+0, since memcpy is single-threaded). The best sample counts, so ordinary
 * cases land at or below 1.0 of it. Measurements are cached per machine in
 * {@code ~/.cache/triad/peak-<device>-<dtype>-<hash>.json} (hash of the device's name and the
 * thread count; {@code TRIAD_CACHE_DIR} moves the folder) for the MFU of training logs.
 *
 * @param device cpu or cuda
 * @param name the device's name (CPU model and thread count, or the GPU's name)
 * @param dtype the GEMM's dtype
 * @param flops peak FLOP/s
 * @param bytesPerSecond peak bytes/s (0 when only FLOP/s is known)
 * @param source "measured", "cached" or "table" (a vendor's dense figure for a known GPU)
 * @param detail what was measured (GEMM size, copy size)
 * @param date when it was measured (ISO-8601)
 */
public record DevicePeak(String device, String name, String dtype, double flops, double bytesPerSecond,
    String source, String detail, String date) {
  private static final Logger LOG = LoggerFactory.getLogger(DevicePeak.class);


  /** Dense bf16 tensor-core FLOP/s of known GPUs (vendor figures, no sparsity), by name fragment. */
  public static final Map<String, Double> KNOWN_BF16 = knownTable();

  private static Map<String, Double> knownTable() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("H200", 989e12);
    m.put("H100 SXM", 989e12);
    m.put("H100 80GB HBM3", 989e12);  // the SXM part's name in nvidia-smi
    m.put("H100 PCIe", 756e12);
    m.put("H100", 756e12);
    m.put("A100", 312e12);
    m.put("L40S", 362e12);
    m.put("A10G", 70e12);
    return m;
  }

  /** The table's dense bf16 FLOP/s for a GPU name, or 0 when unknown or for another dtype (the table states bf16 only). */
  public static double known(String gpuName, DType dtype) {
    if (gpuName == null || dtype != DType.BF16) {
      return 0;
    }
    for (Map.Entry<String, Double> e : KNOWN_BF16.entrySet()) {
      if (gpuName.contains(e.getKey())) {
        return e.getValue();
      }
    }
    return 0;
  }

  /** Measures both peaks now ({@code quick}: a smaller GEMM, about a second in all). */
  public static DevicePeak measure(Device device, DType dtype, boolean quick) {
    if (!device.isAvailable()) {
      throw new IllegalArgumentException("device " + device + " is not available: " + device.unavailabilityCause());
    }
    int n = device == Device.CUDA ? (quick ? 4096 : 8192) : (quick ? 1024 : 2048);
    BenchCase gemm = OpBench.matmul("peak gemm", dtype, n, n, n, false, false);
    double flops;
    try (BenchCase.Prepared p = gemm.setup().apply(device)) {
      Timing.Samples s = Timing.measure(device, p.call(), quick ? 1 : 2, quick ? 8 : 5, device == Device.CUDA ? 2 : 0);
      flops = gemm.work() / (s.min() / 1e3);
    }
    long copyN = device == Device.CUDA ? (quick ? 64L << 20 : 256L << 20) : (quick ? 8L << 20 : 32L << 20);
    double bytes = copyPeak(device, copyN, quick);
    String detail = String.format(Locale.ROOT, "gemm %s %dx%dx%d, copy %d MiB", dtype, n, n, n, copyN * 4 >> 20);
    return new DevicePeak(device.toString(), deviceName(device), dtype.toString(), flops, bytes, "measured", detail,
        Instant.now().toString());
  }

  private static double copyPeak(Device device, long n, boolean quick) {
    try (Tensor a = Tensor.randn(1, 0, 0f, 1f, device, n); Tensor b = Tensor.zeros(DType.F32, device, n)) {
      Runnable copy = () -> check(TriadNative.triad_buffer_copy(TensorAccess.buf(b), 0, TensorAccess.buf(a), 0, n));
      double best = Timing.measure(device, copy, 2, quick ? 5 : 7, device == Device.CUDA ? 2 : 0).min();
      if (device == Device.CPU) {
        // AFFINE with scale 1, shift 0: a copy through the OpenMP elementwise kernels
        Runnable affine = () -> check(TriadNative.triad_unary_forward(TriadNative.TRIAD_UNARY_AFFINE, TensorAccess.buf(b), TensorAccess.buf(a),
            n, 1f, 0f));
        best = Math.min(best, Timing.measure(device, affine, 2, quick ? 5 : 7, 0).min());
      }
      return 2.0 * n * 4 / (best / 1e3);
    }
  }

  /**
   * The peak for MFU: the cached measurement, else the table's figure for a known GPU, else a
   * quick measurement (about a second), which is then cached.
   */
  public static DevicePeak forMfu(Device device, DType dtype) {
    Optional<DevicePeak> c = cached(device, dtype);
    if (c.isPresent()) {
      return c.get();
    }
    if (device == Device.CUDA) {
      String name = deviceName(device);
      double k = known(name, dtype);
      if (k > 0) {
        return new DevicePeak(device.toString(), name, dtype.toString(), k, 0, "table", "vendor dense bf16", "");
      }
    }
    DevicePeak p = measure(device, dtype, true);
    p.cache();
    return p;
  }

  /** Peak FLOP/s for a training run's MFU, or 0 when it cannot be had (MFU is then omitted, the run goes on). */
  public static double flopsForMfu(Device device, Precision precision) {
    return MFU_PEAKS.computeIfAbsent(device + "-" + precision, k -> {
      try {
        return forMfu(device, precision.dtype()).flops();
      } catch (RuntimeException e) {
        LOG.warn("mfu: no peak FLOP/s for " + device + " (" + e.getMessage() + "); MFU omitted");
        return 0.0;
      }
    });
  }

  // one lookup per process and device/precision (Ppo asks at every step)
  private static final Map<String, Double> MFU_PEAKS = new java.util.concurrent.ConcurrentHashMap<>();

  /** The cached measurement for this machine, if any (a damaged file counts as none). */
  public static Optional<DevicePeak> cached(Device device, DType dtype) {
    Path f = cacheFile(device, dtype);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      DevicePeak p = Json.MAPPER.readValue(f.toFile(), DevicePeak.class);
      if (!(p.flops() > 0)) {
        return Optional.empty();
      }
      return Optional.of(new DevicePeak(p.device(), p.name(), p.dtype(), p.flops(), p.bytesPerSecond(), "cached",
          p.detail(), p.date()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Writes this measurement to the machine's cache (best effort: a read-only home only loses the cache). */
  public void cache() {
    Path f = cacheFile(Device.parse(device), DType.valueOf(dtype.toUpperCase(Locale.ROOT)));
    try {
      Files.createDirectories(f.getParent());
      Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
      Json.PRETTY.writeValue(tmp.toFile(), this);
      Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.warn("peak: could not cache " + f + ": " + e.getMessage());
    }
  }

  /** {@code $TRIAD_CACHE_DIR} (or the system property triad.cache.dir), else ~/.cache/triad. */
  public static Path cacheDir() {
    String dir = System.getProperty("triad.cache.dir", System.getenv("TRIAD_CACHE_DIR"));
    return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "triad");
  }

  static Path cacheFile(Device device, DType dtype) {
    String id = deviceName(device);
    String hash = Integer.toHexString(id.hashCode());
    return cacheDir().resolve("peak-" + device + "-" + dtype + "-" + hash + ".json");
  }

  private static final Map<Device, String> NAMES = new java.util.concurrent.ConcurrentHashMap<>();

  /** The CPU's model name and thread count, or the first GPU's name (from nvidia-smi). */
  public static String deviceName(Device device) {
    return NAMES.computeIfAbsent(device, d -> d == Device.CUDA ? gpuName() : cpuName());
  }

  private static String cpuName() {
    String model = "cpu";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          model = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      model = System.getProperty("os.arch");
    }
    String threads = System.getenv("OMP_NUM_THREADS");
    int n = threads != null && threads.matches("\\d+") ? Integer.parseInt(threads)
        : Runtime.getRuntime().availableProcessors();
    return model + ", " + n + " threads";
  }

  private static String gpuName() {
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader").redirectErrorStream(true)
          .start();
      String line;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        line = r.readLine();
      }
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && line != null && !line.isBlank()) {
        return line.trim();
      }
    } catch (IOException | RuntimeException e) {
      // no nvidia-smi: fall through
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "cuda device";
  }
}
