package dev.triad.optim;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.MultiTensor;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The host overhead of a CUDA training step (issue 13, item 3): the multi-tensor kernels against
 * the per-tensor ones on the device, bad ids reported at the next sync, the device-sorted
 * embedding backward against the CPU and itself, and the steady-state counts of a GPT step:
 * no cudaMalloc, one host sync (the loss read), a bounded number of launches. Tagged "gpu":
 * skipped, with the reason, where CUDA is unavailable.
 */
@Tag("gpu")
class CudaHostOverheadTest {
  private static final Device CUDA = Device.CUDA;

  @BeforeEach
  void requireCuda() {
    assumeTrue(CUDA.isAvailable(), () -> "CUDA is not available: " + CUDA.unavailabilityCause());
  }

  @Test
  void sumSquaresMultiIsBitIdenticalOnCuda() {
    MultiTensorTest.sumSquaresMatches(CUDA);
  }

  @Test
  void adamwMultiMatchesThePerTensorStepOnCuda() {
    // same per-element function; the test prints any bit differences and allows 1e-6 relative
    MultiTensorTest.adamwMatches(CUDA, false, false);
    MultiTensorTest.adamwMatches(CUDA, true, false);
  }

  @Test
  void badIdsAreReportedAtTheNextSyncNamingOpAndId() {
    try (Scope s = Scope.open()) {
      Tensor wte = Tensor.of(new float[20], CUDA, 5, 4);
      Tensor tok = Tensor.ofInts(new int[] {1, 2, 7, 0}, CUDA, 1, 4);
      Tensor out = Tensor.zeros(DType.F32, CUDA, 1, 4, 4);
      Status.check(TriadNative.triad_embedding_forward(TensorAccess.buf(out), TensorAccess.buf(tok), null, TensorAccess.buf(wte), null, 1, 4, 4, 5, 1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CUDA::synchronize);
      assertTrue(e.getMessage().contains("token id 7 at index 2 is out of range [0, 5) in embedding_forward"),
          e.getMessage());
      CUDA.synchronize();  // reported once

      Tensor logits = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, CUDA, 2, 3);
      Tensor tgt = Tensor.ofInts(new int[] {1, 3}, CUDA, 2);
      Ops.CrossEntropy ce = Ops.crossEntropy(logits, tgt, null, 3, -1);
      e = assertThrows(IllegalArgumentException.class, ce.loss::toFloatArray);  // a read is a sync
      assertTrue(e.getMessage().contains("target 3 at index 1") && e.getMessage().contains("cross_entropy_forward"),
          e.getMessage());
      float[] loss = ce.loss.toFloatArray();  // the op ran: the bad row was treated as ignored
      assertEquals(0f, loss[1], 0f);
      assertTrue(loss[0] > 0f);

      Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, CUDA, 2, 2);
      Tensor idx = Tensor.ofInts(new int[] {0, -1}, CUDA, 2);
      Tensor g = Ops.gather(x, idx);
      e = assertThrows(IllegalArgumentException.class, g::toFloatArray);
      assertTrue(e.getMessage().contains("gather index -1 at index 1"), e.getMessage());
    }
  }

  @Test
  void embeddingBackwardSortsOnTheDeviceDeterministically() {
    Random rng = freshRandom();
    int B = 8, T = 512, C = 96, V = 50304, P = 1024;
    int[] tokens = new int[B * T];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = i % 5 == 0 ? 7 : rng.nextInt(i % 3 == 0 ? 50 : V);  // heavy repeats and a long run
    }
    int[] pos = new int[B * T];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = rng.nextInt(P);
    }
    float[] dout = randn(rng, B * T * C, 1f);
    try (Scope s = Scope.open()) {
      float[][] runs = new float[2][];
      for (int r = 0; r < 2; r++) {
        Tensor dwte = Tensor.zeros(DType.F32, CUDA, V, C), dwpe = Tensor.zeros(DType.F32, CUDA, P, C);
        Status.check(TriadNative.triad_embedding_backward(TensorAccess.buf(dwte), TensorAccess.buf(dwpe), TensorAccess.buf(Tensor.of(dout, CUDA, B * T * C)),
            TensorAccess.buf(Tensor.ofInts(tokens, CUDA, B, T)), TensorAccess.buf(Tensor.ofInts(pos, CUDA, B, T)), B, T, C, V, P));
        runs[r] = dwte.toFloatArray();
        if (r == 0) {
          Tensor cw = Tensor.zeros(V, C), cp = Tensor.zeros(P, C);
          Status.check(TriadNative.triad_embedding_backward(TensorAccess.buf(cw), TensorAccess.buf(cp), TensorAccess.buf(Tensor.of(dout, B * T * C)),
              TensorAccess.buf(Tensor.ofInts(tokens, B, T)), TensorAccess.buf(Tensor.ofInts(pos, B, T)), B, T, C, V, P));
          float[] ref = cw.toFloatArray(), refP = cp.toFloatArray(), gotP = dwpe.toFloatArray();
          for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], runs[0][i], 1e-4f * Math.max(1f, Math.abs(ref[i])), "dwte element " + i);
          }
          for (int i = 0; i < refP.length; i++) {
            assertEquals(refP[i], gotP[i], 1e-4f * Math.max(1f, Math.abs(refP[i])), "dwpe element " + i);
          }
        }
      }
      assertArrayEquals(runs[0], runs[1], "two runs are bit-identical");
    }
  }

  /**
   * Steady-state host overhead of one GPT training step on CUDA, printed and bounded, in both
   * precisions: the step of Trainer.run (loss, backward, the squared norm on the device, AdamW
   * clipped with it, then loss and norm read together).
   */
  @ParameterizedTest
  @EnumSource(Precision.class)
  void steadyStateStepMakesOneSyncAndNoCudaMalloc(Precision precision) {
    GptConfig cfg = new GptConfig("counters", 2, 4, 128, 1000, 64);
    int B = 4, T = 64;
    Random rng = freshRandom();
    try (Gpt model = new Gpt(cfg, CUDA, precision, 1234L);
        AdamW opt = new AdamW(model.parameters(), 1e-3f, 0.1f)) {
      // launches: about 70 per layer (forward, backward, gradient memsets), the embeddings, head,
      // loss and the optimizer; the bound leaves room without letting per-tensor loops through
      long launchBound = 100L * cfg.nLayer() + 100;
      Device.CudaCounters optimizerOnly = null;
      float firstLoss = Float.NaN, lastLoss = Float.NaN;
      for (int step = 1; step <= 5; step++) {
        int[] tok = rng.ints(B * T, 0, cfg.vocabSize()).toArray();
        int[] tgt = rng.ints(B * T, 0, cfg.vocabSize()).toArray();
        Device.CudaCounters before = Device.cudaCounters();
        float loss;
        try (Scope s = Scope.open()) {
          Tensor l = model.loss(Tensor.ofIds(tok, cfg.vocabSize(), CUDA, B, T),
              Tensor.ofTargets(tgt, cfg.vocabSize(), Gpt.IGNORE, CUDA, B, T), tgt.length);
          l.backward();
          Device.CudaCounters beforeOpt = Device.cudaCounters();
          float[] read;
          try (Tensor normSq = GradClip.squaredNorm(model.parameters())) {
            opt.step(normSq, 1.0);
            optimizerOnly = Device.cudaCounters().minus(beforeOpt);
            opt.zeroGrad();
            read = Tensor.items(l, normSq);  // the one sync of the step
          }
          loss = read[0];
          assertTrue(Float.isFinite(read[1]) && read[1] > 0, "squared gradient norm " + read[1]);
        }
        Device.CudaCounters d = Device.cudaCounters().minus(before);
        System.out.printf("cuda %s step %d (%s): loss %.4f, %s; norm + AdamW: %s%n", precision, step,
            step <= 2 ? "warm-up" : "measured", loss, d, optimizerOnly);
        firstLoss = step == 1 ? loss : firstLoss;
        lastLoss = loss;
        if (step > 2) {
          assertEquals(0, d.mallocs(), "cudaMalloc calls in a steady-state step");
          assertTrue(d.syncs() <= 1, "host syncs in a steady-state step: " + d.syncs() + " (only the loss read)");
          assertTrue(d.launches() <= launchBound, "launches " + d.launches() + " > bound " + launchBound);
          // acc memset, sum: table copy + 2 kernels, AdamW: table copy + 1 kernel
          assertTrue(optimizerOnly.launches() <= 6, "norm + AdamW launches: " + optimizerOnly);
          assertEquals(0, optimizerOnly.syncs(), "norm + AdamW syncs");
        }
      }
      assertTrue(Float.isFinite(lastLoss) && lastLoss < firstLoss + 0.5f, "training runs: " + firstLoss + " -> " + lastLoss);
    }
  }
}
