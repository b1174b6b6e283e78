package dev.triad.cli;

import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.profile.DeviceMemory;
import dev.triad.profile.MemoryPlan;
import dev.triad.tensor.Device;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code triad plan}: the memory a training step needs, part by part, and whether it fits. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = {"Print the memory plan of a training step: parameters, gradients, master weights, optimizer state,"
        + " activations, classifier buffers, KV cache and the RL phases' extra models; the peak, whether it fits on"
        + " the device and the largest batch that does. Every training command checks it at start (--no-plan-check)."})
final class PlanCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "PRESET",
      description = "model preset: tiny, small, gpt2, gpt2-medium, gpt2-large, gpt2-xl (default: ${DEFAULT-VALUE})")
  String model = "gpt2";

  @Option(names = "--n-layer", paramLabel = "L", description = "layers (overrides the preset)")
  Integer nLayer;

  @Option(names = "--n-head", paramLabel = "H", description = "attention heads (overrides the preset)")
  Integer nHead;

  @Option(names = "--n-embd", paramLabel = "C", description = "embedding width (overrides the preset)")
  Integer nEmbd;

  @Option(names = "--vocab", paramLabel = "V", description = "vocabulary size (default: ${DEFAULT-VALUE}, GPT-2's)")
  int vocab = 50257;

  @Option(names = "--block", paramLabel = "T", description = "context length (default: the preset's)")
  Integer block;

  @Option(names = "--batch", paramLabel = "B",
      description = "micro-batch: sequences (pretrain, sft), pairs (reward, dpo), prompts (ppo, grpo) (default: ${DEFAULT-VALUE})")
  int batch = 8;

  @Option(names = "--seq", paramLabel = "T",
      description = "tokens per sequence; ppo/grpo: prompt + reply (default: the context length)")
  Integer seq;

  @Option(names = "--precision", paramLabel = "bf16|f32|auto", description = "(default: ${DEFAULT-VALUE}: bf16 on cuda, f32 on cpu)")
  String precision = "auto";

  @Option(names = "--phase", paramLabel = "PHASE",
      description = "pretrain, sft, reward, dpo, ppo or grpo (default: ${DEFAULT-VALUE})")
  String phase = "pretrain";

  @Option(names = "--device", paramLabel = "cpu|cuda", description = "(default: ${DEFAULT-VALUE})")
  String device = "cpu";

  @Option(names = "--grad-accum", paramLabel = "K", description = "micro-batches per optimizer step (default: ${DEFAULT-VALUE})")
  int gradAccum = 1;

  @Option(names = "--group", paramLabel = "G", description = "grpo: replies per prompt (default: ${DEFAULT-VALUE})")
  int group = 4;

  /** Every option checked before any arithmetic (OptionChecks). */
  private void validate() {
    OptionChecks.oneOf("--model", model, GptConfig.presetNames());
    if (nLayer != null) {
      OptionChecks.atLeast("--n-layer", nLayer, 1);
    }
    if (nHead != null) {
      OptionChecks.atLeast("--n-head", nHead, 1);
    }
    if (nEmbd != null) {
      OptionChecks.atLeast("--n-embd", nEmbd, 1);
    }
    OptionChecks.atLeast("--vocab", vocab, 1);
    if (block != null) {
      OptionChecks.atLeast("--block", block, 1);
    }
    OptionChecks.atLeast("--batch", batch, 1);
    if (seq != null) {
      OptionChecks.atLeast("--seq", seq, 1);
    }
    OptionChecks.atLeast("--grad-accum", gradAccum, 1);
    OptionChecks.atLeast("--group", group, 1);
    OptionChecks.oneOf("--precision", precision, "bf16", "f32", "auto");
  }

  @Override
  public Integer call() {
    validate();
    Device dev = parseDevice(device);
    Precision prec = PrecisionArg.parse(precision, dev);
    MemoryPlan.Phase ph;
    try {
      ph = MemoryPlan.Phase.parse(phase);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--phase " + e.getMessage());
    }
    GptConfig base = GptConfig.preset(model, vocab);
    GptConfig cfg = new GptConfig(base.name(), nLayer != null ? nLayer : base.nLayer(), nHead != null ? nHead : base.nHead(),
        nEmbd != null ? nEmbd : base.nEmbd(), vocab, block != null ? block : base.blockSize());
    MemoryPlan.Spec spec = new MemoryPlan.Spec(cfg, dev == Device.CUDA, batch, seq != null ? seq : cfg.blockSize(), prec,
        ph, dev, gradAccum, group);
    long available = dev.isAvailable() ? DeviceMemory.available(dev) : -1;
    System.out.print(MemoryPlan.of(spec).table(available));
    System.out.flush();
    return 0;
  }

  private static Device parseDevice(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "cpu": return Device.CPU;
      case "cuda": return Device.CUDA;
      default: throw new IllegalArgumentException("--device " + name + ": expected cpu or cuda");
    }
  }
}
