package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.TokenDataLoader;
import dev.triad.data.TokenShard;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdamW's beta1, beta2 and eps and the data order as run settings: a training step uses the given
 * values (its checkpoint matches a float64 AdamW step from the same initial weights, and does not
 * match the defaults'), config.json records them, and sequential order visits the data in file order.
 */
class OptimizerOptionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void oneTrainingStepUsesTheGivenBetasAndEps() throws IOException {
    float lr = 1e-2f, b1 = 0.8f, b2 = 0.999f, eps = 1e-3f;
    long seed = 5;
    // no warmup, decay, clipping: the step is AdamW's at the peak lr with the raw gradient
    TrainConfig t = TrainConfig.builder().steps(1).lr(lr).warmupSteps(0).weightDecay(0f).gradClip(0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(1).keepCheckpoints(1).seed(seed).beta1(b1).beta2(b2).eps(eps)
        .dataOrder(TrainConfig.DataOrder.SEQUENTIAL).build();
    Path run = tmp.resolve("run");
    Pretrain.run(PretrainOptions.builder().runDir(run).tokenizer("byte").preset("tiny").device(Device.CPU).batch(2)
        .seqLen(16).totalBatchTokens(0).train(t).evalBatches(1).build());

    JsonNode train = JSON.readTree(run.resolve("config.json").toFile()).path("settings").path("train");
    assertEquals(b1, train.path("beta1").floatValue(), train.toString());
    assertEquals(b2, train.path("beta2").floatValue(), train.toString());
    assertEquals(eps, train.path("eps").floatValue(), train.toString());
    assertEquals("SEQUENTIAL", train.path("dataOrder").asText(), train.toString());

    RunInfo info = RunInfo.read(run);
    double worstV = 0, worstP = 0, worstPWithDefaultEps = 0, worstVWithDefaultBeta2 = 0;
    try (Gpt init = new Gpt(info.modelConfig(), Device.CPU, Precision.F32, seed);
         SafetensorsFile f = Safetensors.open(run.resolve("checkpoints/step_00000001.safetensors"))) {
      for (var e : init.namedParameters().entrySet()) {
        float[] p0 = e.getValue().toFloatArray();
        float[] p1 = f.readFloats("model." + e.getKey());
        float[] m = f.readFloats("adam_m." + e.getKey());
        float[] v = f.readFloats("adam_v." + e.getKey());
        for (int i = 0; i < p0.length; i++) {
          double g = m[i] / (1.0 - b1);                 // m = (1 - b1) g after one step
          double vRef = (1.0 - b2) * g * g;
          double scale = Math.max(1e-30, vRef);
          worstV = Math.max(worstV, Math.abs(v[i] - vRef) / scale);
          worstVWithDefaultBeta2 = Math.max(worstVWithDefaultBeta2, Math.abs(v[i] - 0.05 * g * g) / scale);
          // t = 1: mhat = g, vhat = g^2
          double mhat = m[i] / (1.0 - b1), vhat = v[i] / (1.0 - b2);
          double pRef = p0[i] - lr * mhat / (Math.sqrt(vhat) + eps);
          worstP = Math.max(worstP, Math.abs(p1[i] - pRef));
          double pDefault = p0[i] - lr * mhat / (Math.sqrt(vhat) + 1e-8);
          worstPWithDefaultEps = Math.max(worstPWithDefaultEps, Math.abs(p1[i] - pDefault));
        }
      }
    }
    assertTrue(worstV < 1e-4, "second moment vs (1 - beta2) g^2: relative error " + worstV);
    assertTrue(worstVWithDefaultBeta2 > 10, "the second moment must not be the default beta2's: " + worstVWithDefaultBeta2);
    assertTrue(worstP < 2e-7, "parameters vs a float64 AdamW step: " + worstP);
    assertTrue(worstPWithDefaultEps > 1e-4, "eps made no difference: " + worstPWithDefaultEps);
  }

  @Test
  void invalidOptimizerSettingsAreRefused() {
    TrainConfig t = TrainConfig.builder().steps(1).warmupSteps(0).weightDecay(0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(1).keepCheckpoints(1).seed(1).build();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> t.toBuilder().beta2(1f).build()).getMessage().contains("beta2"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> t.toBuilder().beta1(-0.1f).build()).getMessage().contains("beta1"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> t.toBuilder().eps(0f).build()).getMessage().contains("eps"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.DataOrder.parse("random"))
        .getMessage().startsWith("dataOrder random"));
    assertEquals(TrainConfig.DataOrder.SEQUENTIAL, TrainConfig.DataOrder.parse("sequential"));
  }

  @Test
  void sequentialLoaderReadsWindowsInFileOrderEpochAfterEpoch() throws IOException {
    int[] tokens = new int[41];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = i;
    }
    Path shard = tmp.resolve("train_000000.bin");
    TokenShard.write(shard, tokens);
    int t = 8;
    TokenDataLoader seq = TokenDataLoader.train(List.of(shard), 2, t, 99, false); // 5 windows of 8 (+1)
    List<Integer> firstTokens = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      TokenDataLoader.Batch batch = seq.next();
      for (int r = 0; r < batch.batchSize(); r++) {
        firstTokens.add(batch.inputs()[r * t]);
        assertEquals(batch.inputs()[r * t] + 1, batch.targets()[r * t], "targets are the next tokens");
      }
    }
    // windows 0..4, then the next epoch again from 0, in order
    assertEquals(List.of(0, 8, 16, 24, 32, 0, 8, 16, 24, 32), firstTokens);
    TokenDataLoader shuffled = TokenDataLoader.train(List.of(shard), 5, t, 99, true);
    int[] s = shuffled.next().inputs();
    List<Integer> starts = new ArrayList<>();
    for (int r = 0; r < 5; r++) {
      starts.add(s[r * t]);
    }
    assertTrue(!starts.equals(List.of(0, 8, 16, 24, 32)) && starts.stream().sorted().toList()
        .equals(List.of(0, 8, 16, 24, 32)), "the default order is a shuffle of every window: " + starts);
  }

  @Test
  void sequentialEpochOrderIsTheIdentityAndResumes() {
    EpochOrder o = new EpochOrder(4, 3, false);
    int[] seen = new int[10];
    for (int i = 0; i < seen.length; i++) {
      seen[i] = o.next();
    }
    assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1}, seen);
    EpochOrder r = new EpochOrder(4, 3, false);
    r.restore(o.state());
    assertEquals(2, r.next());
  }
}
