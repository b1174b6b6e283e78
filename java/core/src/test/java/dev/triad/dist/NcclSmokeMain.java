package dev.triad.dist;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;

/**
 * The NCCL plug-in on one GPU without MPI (bench/gpu/nccl_smoke.sh on the GPU machine): starts the
 * communicator as the whole job ("self", rank 0 of 1) with NCCL for CUDA buffers, then runs every
 * collective on CUDA tensors of f32 and bf16 through NCCL (with one rank each must leave the data
 * as it was, or copy it) and checks the values on the host. Prints "nccl smoke: ok" and the
 * backend; throws otherwise. args[0]: the path of libtriad_nccl.so, or "none": the same on CPU
 * tensors over "self" alone (SelfCommunicatorTest, on any machine).
 */
public final class NcclSmokeMain {
  private NcclSmokeMain() {}

  public static void main(String[] args) {
    TriadNative.load();
    boolean nccl = !args[0].equals("none");
    Device device = nccl ? Device.CUDA : Device.CPU;
    Status.check(TriadNative.triad_dist_init(null, nccl ? args[0] : null));
    String backend = TriadNative.triad_dist_backend();
    if (!backend.equals(nccl ? "self+nccl" : "self")) {
      throw new AssertionError("backend " + backend);
    }
    int n = 1 << 20;
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (float) Math.sin(i) * 8;
    }
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      try (Tensor host = Tensor.of(data, Device.CPU, n); Tensor want = host.to(dtype);
          Tensor a = want.to(device); Tensor b = Tensor.zeros(dtype, device, n)) {
        float[] expect = floats(want);
        Status.check(TriadNative.triad_dist_all_reduce_sum(TensorAccess.buf(a), n));
        same(expect, floats(a), "all-reduce " + dtype);
        Status.check(TriadNative.triad_dist_reduce_scatter_sum(TensorAccess.buf(b), TensorAccess.buf(a), n));
        same(expect, floats(b), "reduce-scatter " + dtype);
        Status.check(TriadNative.triad_dist_all_gather(TensorAccess.buf(b), TensorAccess.buf(a), n));
        same(expect, floats(b), "all-gather " + dtype);
        Status.check(TriadNative.triad_dist_broadcast(TensorAccess.buf(a), n, 0));
        same(expect, floats(a), "broadcast " + dtype);
      }
    }
    Status.check(TriadNative.triad_dist_barrier());
    Status.check(TriadNative.triad_dist_finalize());
    System.out.println("smoke: ok (" + backend + ", " + n + " elements, f32 and bf16)");
  }

  private static float[] floats(Tensor t) {
    try (Tensor c = t.to(Device.CPU); Tensor f = c.to(DType.F32)) {
      return f.toFloatArray();
    }
  }

  private static void same(float[] expect, float[] got, String what) {
    for (int i = 0; i < expect.length; i++) {
      if (Float.floatToIntBits(expect[i]) != Float.floatToIntBits(got[i])) {
        throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + expect[i]);
      }
    }
  }
}
