package dev.triad.example;

import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.train.EvalMetrics;
import dev.triad.train.StepMetrics;
import dev.triad.train.TrainConfig;
import dev.triad.train.Trainer;
import dev.triad.train.TrainingListener;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Triad from an application, in four parts: tensors and autograd, a tiny GPT pretrained through the
 * builders, instruction tuning on a 20-line JSONL file, and the run's metrics read through a listener
 * instead of stdout. Exits non-zero if any result is not what it should be.
 * Usage: {@code Example [workDir]} (default: target/example-runs), run from examples/.
 */
public final class Example {
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "target/example-runs");
    Files.createDirectories(work);

    // 1. Tensors and autograd: d/dw mean((x w)^2) against the closed form 2/n x^T (x w)
    try (Scope scope = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, Device.CPU, 3, 2);          // [3, 2]
      Tensor w = Tensor.of(new float[] {0.5f, -1f}, Device.CPU, 2, 1).requiresGrad(true); // [2, 1]
      Tensor y = Ops.matmul(x, w, false, false);                                       // [3, 1]
      Ops.mean(Ops.square(y)).backward();
      float[] g = w.grad().toFloatArray();
      // y = [-1.5, -2.5, -3.5]; grad = 2/3 x^T y = 2/3 [-26.5, -34] = [-53/3, -68/3]
      check("autograd", Math.abs(g[0] + 53f / 3) < 1e-4 && Math.abs(g[1] + 68f / 3) < 1e-4,
          "grad " + g[0] + ", " + g[1] + " (want -17.6667, -22.6667)");
    }

    // 2. Pretraining the tiny preset on the embedded corpus, watched through a listener
    List<StepMetrics> steps = new ArrayList<>();
    List<EvalMetrics> evals = new ArrayList<>();
    TrainingListener watch = new TrainingListener() {
      @Override
      public void onStep(StepMetrics m) {
        steps.add(m);
      }

      @Override
      public void onEval(EvalMetrics m) {
        evals.add(m);
      }
    };
    Path base = work.resolve("pretrain");
    Trainer.Result pre = Pretrain.run(PretrainOptions.builder()
        .runDir(base).preset("tiny").device(Device.CPU).batch(4).seqLen(64)
        .train(TrainConfig.builder().steps(30).lr(2e-3f).warmupSteps(5).evalEvery(10).sampleEvery(0).build())
        .evalBatches(2)
        .build(), watch);
    check("listener steps", steps.size() == 30 && steps.get(29).step() == 30, steps.size() + " steps seen");
    check("listener evals", evals.size() >= 3, evals.size() + " evaluations seen");
    check("pretraining learns", pre.lastValLoss() < pre.firstValLoss() - 0.5,
        String.format("val loss %.3f -> %.3f", pre.firstValLoss(), pre.lastValLoss()));

    // 3. Instruction tuning on a 20-line JSONL file (loss on the responses only)
    Sft.Result sft = Sft.run(SftOptions.builder()
        .runDir(work.resolve("sft")).baseRun(base).dataFile(Path.of("tiny-sft.jsonl")).device(Device.CPU)
        .batch(4).seqLen(64)
        .train(TrainConfig.builder().steps(10).lr(1e-3f).warmupSteps(2).evalEvery(0).sampleEvery(0).build())
        .build());
    check("sft trains", Double.isFinite(sft.training().lastLoss()) && sft.training().steps() == 10,
        String.format("%d steps, loss %.3f -> %.3f", sft.training().steps(), sft.training().firstLoss(),
            sft.training().lastLoss()));
    System.out.println("example: all checks passed");
  }

  private static void check(String what, boolean ok, String detail) {
    System.out.println("example: " + what + ": " + detail + (ok ? "" : "  <-- FAILED"));
    if (!ok) {
      System.exit(1);
    }
  }
}
