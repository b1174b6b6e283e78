package dev.triad.nativ;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.internal.TensorAccess;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere (no GPU needed): the native dtype rule of triad.h as the API layer enforces it
 * (data f32|bf16 sharing one dtype on every device; statistics always f32), the CPU meaning of
 * the additive fused ops (triad_matmul_epilogue = matmul then GELU / GELU backward; the param copy
 * of triad_adamw_step_copy), and the CUDA housekeeping calls on a build or machine without CUDA.
 */
class DTypeRuleAndFusedOpsTest {
  private static void check(int status) {
    Status.check(status);
  }

  private static void expect(Class<? extends Throwable> type, Runnable r, String... fragments) {
    Throwable t = assertThrows(type, r::run);
    for (String f : fragments) {
      assertTrue(t.getMessage().contains(f), "'" + t.getMessage() + "' lacks '" + f + "'");
    }
  }

  @Test
  void statisticsMustBeF32AndDataMustShareOneDType() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.zeros(DType.F32, Device.CPU, 4, 3);
      Tensor w = Tensor.zeros(DType.F32, Device.CPU, 3);
      Tensor out = Tensor.zeros(DType.F32, Device.CPU, 4, 3);
      Tensor mean16 = Tensor.zeros(DType.BF16, Device.CPU, 4);
      Tensor rstd = Tensor.zeros(DType.F32, Device.CPU, 4);
      expect(UnsupportedOperationException.class, () -> check(TriadNative.triad_layernorm_forward(TensorAccess.buf(out),
          TensorAccess.buf(mean16), TensorAccess.buf(rstd), TensorAccess.buf(x), TensorAccess.buf(w), TensorAccess.buf(w), 4, 3, 1e-5f)), "layernorm_forward", "mean",
          "statistics are always f32", "bf16");
      Tensor x16 = Tensor.zeros(DType.BF16, Device.CPU, 12);
      expect(IllegalArgumentException.class, () -> check(TriadNative.triad_gelu_forward(TensorAccess.buf(out), TensorAccess.buf(x16), 12)),
          "gelu_forward", "x is bf16 but the other data arguments are f32");
      Tensor out16 = Tensor.zeros(DType.BF16, Device.CPU, 12);
      check(TriadNative.triad_gelu_forward(TensorAccess.buf(out16), TensorAccess.buf(x16), 12));  // one dtype: bf16 is fine
      Tensor ids = Tensor.zeros(DType.I32, Device.CPU, 12);
      expect(UnsupportedOperationException.class, () -> check(TriadNative.triad_gelu_forward(TensorAccess.buf(out), TensorAccess.buf(ids), 12)),
          "x must be f32 or bf16", "i32");
    }
  }

  @Test
  void matmulEpiloguesOnCpuComposeTheReferenceOps() {
    Random rng = freshRandom();
    long M = 7, N = 5, K = 6;
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(randn(rng, (int) (M * K)), M * K);
      Tensor w = Tensor.of(randn(rng, (int) (N * K)), N * K);
      Tensor bias = Tensor.of(randn(rng, (int) N), N);
      Tensor plain = Tensor.zeros(M * N);
      check(TriadNative.triad_matmul(TensorAccess.buf(plain), TensorAccess.buf(a), TensorAccess.buf(w), TensorAccess.buf(bias), 1, M, N, K, 0, 1, 0));

      // GELU: pre = a w^T + b, out = gelu(pre)
      Tensor out = Tensor.full(Float.NaN, DType.F32, Device.CPU, M * N);
      Tensor pre = Tensor.full(Float.NaN, DType.F32, Device.CPU, M * N);
      check(TriadNative.triad_matmul_epilogue(TensorAccess.buf(out), TensorAccess.buf(pre), TensorAccess.buf(a), TensorAccess.buf(w), TensorAccess.buf(bias), 1, M, N, K, 0, 1, 0,
          TriadNative.TRIAD_EPILOGUE_GELU));
      Tensor gelu = Tensor.zeros(M * N);
      check(TriadNative.triad_gelu_forward(TensorAccess.buf(gelu), TensorAccess.buf(plain), M * N));
      assertArrayEquals(plain.toFloatArray(), pre.toFloatArray());
      assertArrayEquals(gelu.toFloatArray(), out.toFloatArray());

      // GELU backward, accumulating: out += (a w^T + b) * gelu'(pre)
      float[] init = randn(rng, (int) (M * N));
      Tensor acc = Tensor.of(init, M * N);
      check(TriadNative.triad_matmul_epilogue(TensorAccess.buf(acc), TensorAccess.buf(pre), TensorAccess.buf(a), TensorAccess.buf(w), TensorAccess.buf(bias), 1, M, N, K, 0, 1, 1,
          TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD));
      Tensor ref = Tensor.of(init, M * N);
      check(TriadNative.triad_gelu_backward(TensorAccess.buf(ref), TensorAccess.buf(plain), TensorAccess.buf(pre), M * N));
      assertArrayEquals(ref.toFloatArray(), acc.toFloatArray());

      expect(IllegalArgumentException.class, () -> check(TriadNative.triad_matmul_epilogue(TensorAccess.buf(out), null, TensorAccess.buf(a),
          TensorAccess.buf(w), null, 1, M, N, K, 0, 1, 0, TriadNative.TRIAD_EPILOGUE_GELU_BACKWARD)), "pre is NULL");
      expect(IllegalArgumentException.class, () -> check(TriadNative.triad_matmul_epilogue(TensorAccess.buf(out), null, TensorAccess.buf(a),
          TensorAccess.buf(w), null, 1, M, N, K, 0, 1, 0, 7)), "unknown epilogue code 7");
    }
  }

  @Test
  void adamwStepCopyWritesTheUpdatedParam() {
    Random rng = freshRandom();
    int n = 1000;
    try (Scope s = Scope.open(); TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      p.lr(1e-2f).beta1(0.9f).beta2(0.99f).eps(1e-8f).weight_decay(0.1f).grad_scale(1f).step(1);
      float[] init = randn(rng, n);
      float[] g = randn(rng, n);
      Tensor p1 = Tensor.of(init, n), p2 = Tensor.of(init, n), grad = Tensor.of(g, n);
      Tensor m1 = Tensor.zeros(n), v1 = Tensor.zeros(n), m2 = Tensor.zeros(n), v2 = Tensor.zeros(n);
      Tensor copy = Tensor.full(Float.NaN, DType.F32, Device.CPU, n);
      check(TriadNative.triad_adamw_step(TensorAccess.buf(p1), TensorAccess.buf(grad), TensorAccess.buf(m1), TensorAccess.buf(v1), n, p));
      check(TriadNative.triad_adamw_step_copy(TensorAccess.buf(p2), TensorAccess.buf(grad), TensorAccess.buf(m2), TensorAccess.buf(v2), TensorAccess.buf(copy), n, p));
      assertArrayEquals(p1.toFloatArray(), p2.toFloatArray());
      assertArrayEquals(p1.toFloatArray(), copy.toFloatArray());
      check(TriadNative.triad_adamw_step_copy(TensorAccess.buf(p2), TensorAccess.buf(grad), TensorAccess.buf(m2), TensorAccess.buf(v2), null, n, p));
      Tensor ids = Tensor.zeros(DType.I32, Device.CPU, n);
      expect(UnsupportedOperationException.class, () -> check(TriadNative.triad_adamw_step_copy(TensorAccess.buf(p2), TensorAccess.buf(grad),
          TensorAccess.buf(m2), TensorAccess.buf(v2), TensorAccess.buf(ids), n, p)), "param_copy", "f32 or bf16", "i32");
    }
  }

  @Test
  void cudaHousekeepingWithoutCuda() {
    if (Device.CUDA.isAvailable()) {
      check(TriadNative.triad_cuda_synchronize());
      assertTrue(TriadNative.triad_cuda_reserved_bytes() >= Device.CUDA.liveBytes());
      int gemm = TriadNative.triad_cuda_set_gemm_sm80(0);
      assertTrue(gemm == 80 || gemm == 90, "bf16 GEMM kernel " + gemm);
      return;
    }
    String reason = Device.CUDA.unavailabilityCause();
    assertTrue(!reason.isEmpty(), "a reason is given");
    assertEquals(0, TriadNative.triad_cuda_reserved_bytes());
    assertEquals(0, TriadNative.triad_cuda_set_gemm_sm80(0), "no GEMM kernel without CUDA");
    Device.CPU.synchronize();  // no-op
    expect(IllegalStateException.class, () -> Tensor.zeros(DType.F32, Device.CUDA, 4), "not available", reason);
    TriadNative.Buffer out = new TriadNative.Buffer();  // the native allocator says the same
    expect(UnsupportedOperationException.class, () -> check(TriadNative.triad_buffer_alloc(
        TriadNative.TRIAD_DEVICE_CUDA, TriadNative.TRIAD_F32, 4, out)), "cuda is not available", reason);
  }
}
