package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.data.JsonlLines;
import dev.triad.io.Gpt2Hf;
import dev.triad.io.HfGpt2Config;
import dev.triad.io.Safetensors;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input through the CLI, in process (Main.run), one case per line of {@link #cases}: each must
 * exit non-zero, print one message naming the problem (the option, its value or the file, and what
 * is allowed) with no Java exception text or stack trace, and leave every run directory exactly as
 * it was (no file written, changed or removed). Fixture runs are built directly (RunInfo + a tiny
 * model's checkpoint), so no case trains and the suite takes seconds.
 */
class BadInputCliTest {
  @TempDir
  static Path root;

  @BeforeAll
  static void fixture() throws IOException {
    GptConfig cfg = new GptConfig("tiny", 1, 2, 16, 257, 32);
    try (Gpt model = new Gpt(cfg, Device.CPU, 1)) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      model.namedParameters().forEach((n, p) -> tensors.put("model." + n, p));
      for (String run : List.of("base", "nan", "badstep", "trunc")) {
        RunInfo.of("pretrain", cfg, "byte", Map.of()).write(root.resolve(run));
      }
      Path good = new Checkpoints(root.resolve("base"), 2).save(1, model, null, Map.of());
      Path ck = root.resolve("badstep/checkpoints/step_00000001.safetensors");
      Files.createDirectories(ck.getParent());
      Safetensors.write(ck, tensors, Map.of("format", Checkpoints.FORMAT, "step", "abc"));
      ck = root.resolve("trunc/checkpoints/step_00000001.safetensors");
      Files.createDirectories(ck.getParent());
      byte[] all = Files.readAllBytes(good);
      Files.write(ck, Arrays.copyOf(all, all.length / 2));
      float[] w = model.namedParameters().get("h.0.mlp.c_fc.weight").toFloatArray();
      w[7] = Float.NaN;
      try (Tensor bad = Tensor.of(w, 64, 16)) {
        tensors.put("model.h.0.mlp.c_fc.weight", bad);
        ck = root.resolve("nan/checkpoints/step_00000001.safetensors");
        Files.createDirectories(ck.getParent());
        Safetensors.write(ck, tensors, Map.of("format", Checkpoints.FORMAT, "step", "1"));
      }
    }
    Files.createDirectories(root.resolve("empty"));
    Files.writeString(root.resolve("afile.txt"), "not a directory\n");
    hfConfig("hfabsurd", "{\"n_embd\": 65536, \"n_layer\": 100000, \"n_head\": 64, \"vocab_size\": 50257, \"n_positions\": 1024}");
    hfConfig("hfdiv", "{\"n_embd\": 30, \"n_layer\": 1, \"n_head\": 4, \"vocab_size\": 257, \"n_positions\": 32}");
    hfConfig("hfneg", "{\"n_embd\": 16, \"n_layer\": 0, \"n_head\": 2, \"vocab_size\": 257, \"n_positions\": 32}");
    HfGpt2Config hf = new HfGpt2Config(16, 1, 2, 257, 32, 1e-5);
    Map<String, float[]> state = new LinkedHashMap<>();
    Gpt2Hf.triadShapes(hf, 257).forEach((n, s) -> state.put(n, new float[(int) Arrays.stream(s).reduce(1, (a, b) -> a * b)]));
    state.get("wpe.weight")[9] = Float.POSITIVE_INFINITY;
    Gpt2Hf.save(root.resolve("hfnan"), hf, state);
    Files.writeString(root.resolve("long.jsonl"), "{\"prompt\": \"" + "y".repeat(JsonlLines.MAX_LINE_BYTES + 10) + "\"}\n");
    Files.writeString(root.resolve("bad.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": oops}\n");
    StringBuilder longEx = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      longEx.append("{\"prompt\": \"Please describe the weather in town number ").append(i)
          .append(" in detail\", \"completion\": \"It is sunny and warm all day long.\"}\n");
    }
    Files.writeString(root.resolve("toolong.jsonl"), longEx.toString());
  }

  private static void hfConfig(String dir, String json) throws IOException {
    Files.createDirectories(root.resolve(dir));
    Files.writeString(root.resolve(dir).resolve("config.json"), json);
  }

  private static Arguments k(String args, String... words) {
    return Arguments.of(args, words);
  }

  static Stream<Arguments> cases() {
    String pre = "pretrain --device cpu --out {out} --model tiny ";
    String sft = "sft --device cpu --out {out} --base {base} ";
    String rew = "reward --device cpu --out {out} --base {base} ";
    String dpo = "dpo --device cpu --out {out} --base {base} ";
    String ppo = "ppo --device cpu --out {out} --policy {base} --reward {base} ";
    String grpo = "grpo --device cpu --out {out} --policy {base} --reward {base} ";
    String sample = "sample --device cpu --run {base} ";
    return Stream.of(
        // pretrain: every option
        k(pre + "--batch 0", "--batch 0", ">= 1"),
        k(pre + "--batch -3", "--batch -3", ">= 1"),
        k(pre + "--batch abc", "--batch", "'abc' is not an int"),
        k(pre + "--seq 0", "--seq 0", ">= 1"),
        k(pre + "--seq 100000", "--seq 100000", "context of 128"),
        k(pre + "--total-batch -1", "--total-batch -1", ">= 0"),
        k(pre + "--batch 2 --seq 16 --total-batch 100", "--total-batch 100", "multiple", "32"),
        k(pre + "--lr 0", "--lr 0", "> 0"),
        k(pre + "--lr -0.001", "--lr -0.001", "> 0"),
        k(pre + "--lr NaN", "--lr NaN", "finite"),
        k(pre + "--lr Infinity", "--lr Infinity", "finite"),
        k(pre + "--min-lr-ratio 1.5", "--min-lr-ratio 1.5", "[0, 1]"),
        k(pre + "--min-lr-ratio NaN", "--min-lr-ratio NaN", "[0, 1]"),
        k(pre + "--warmup -1", "--warmup -1", ">= 0"),
        k(pre + "--schedule linear", "--schedule linear", "cosine, wsd"),
        k(pre + "--schedule wsd --decay-fraction 2", "--decay-fraction 2", "[0, 1]"),
        k(pre + "--decay-fraction 0.5", "--decay-fraction", "only with --schedule wsd"),
        k(pre + "--weight-decay -0.1", "--weight-decay -0.1", ">= 0"),
        k(pre + "--grad-clip -1", "--grad-clip -1", ">= 0"),
        k(pre + "--grad-clip NaN", "--grad-clip NaN", ">= 0"),
        k(pre + "--eval-every -1", "--eval-every -1", ">= 0"),
        k(pre + "--eval-batches 0", "--eval-batches 0", ">= 1"),
        k(pre + "--sample-every -5", "--sample-every -5", ">= 0"),
        k(pre + "--checkpoint-every -1", "--checkpoint-every -1", ">= 0"),
        k(pre + "--keep 0", "--keep 0", ">= 1"),
        k(pre + "--tokenizer bpe", "--tokenizer bpe", "gpt2, byte"),
        k(pre + "--steps 0", "--steps 0", ">= 1"),
        k(pre + "--steps -4", "--steps -4", ">= 1"),
        k("pretrain --device cpu --out {out} --model huge", "--model huge", "tiny, small"),
        k("pretrain --device tpu --out {out}", "--device tpu", "cpu, cuda, auto"),
        k("pretrain --device cpu --model tiny --out {out} --beta1 1", "--beta1 1.0", "[0, 1)"),
        k("sft --device cpu --base {base} --out {out} --beta2 -0.5", "--beta2 -0.5", "[0, 1)"),
        k("reward --device cpu --base {base} --out {out} --eps 0", "--eps 0", "> 0"),
        k("dpo --device cpu --base {base} --out {out} --data-order random", "--data-order random", "shuffled, sequential"),
        k(pre + "--precision f16", "--precision f16", "bf16, f32, auto"),
        k("pretrain --device cpu --model tiny --out {root}/afile.txt", "afile.txt", "is a file, not a directory"),
        k(pre + "--trace-steps 3-5", "--trace-steps", "only with --trace"),
        k(pre + "--trace {root}/t.json --trace-steps abc", "--trace-steps abc", "A-B"),
        k(pre + "--data {root}/nope", "--data", "nope", "no such directory"),
        k(pre + "--data {root}/afile.txt", "--data", "is a file, not a directory"),
        k(pre + "--data {root}/empty", "empty", "train_"),
        k("pretrain --device cpu --out {out} --init-hf {root}/nope", "--init-hf", "no such directory"),
        k("pretrain --device cpu --out {out} --init-hf {root}/hfabsurd", "hfabsurd", "parameters", "bytes"),
        k("pretrain --device cpu --out {out} --init-hf {root}/hfdiv", "n_embd 30 is not divisible by n_head 4"),
        k("pretrain --device cpu --out {out} --init-hf {root}/hfneg", "n_layer", "positive integer"),
        k("pretrain --device cpu --out {out} --tokenizer byte --init-hf {root}/hfnan", "model.safetensors",
            "wpe.weight", "Infinity at element 9"),
        k("pretrain --device cpu --out {out} --init-hf {root}/empty", "config.json", "no such file"),
        k(pre + "--init-hf {root}/hfnan", "--model tiny and --init-hf", "both choose the model"),
        k(pre + "--resume", "--resume", "no checkpoint"),
        k("pretrain --device cpu --model tiny --out {base}", "already holds checkpoints", "--resume"),
        k(pre + "--no-such-option", "Unknown option", "--no-such-option"),
        // sample
        k(sample + "-n -1", "-n/--num-samples -1", "[1, 4096]"),
        k(sample + "-n 0", "-n/--num-samples 0", "[1, 4096]"),
        k(sample + "-n 100000", "-n/--num-samples 100000", "[1, 4096]"),
        k(sample + "--max-new-tokens 0", "--max-new-tokens 0", ">= 1"),
        k(sample + "--temperature NaN", "--temperature NaN", "finite"),
        k(sample + "--temperature -1", "--temperature -1", ">= 0"),
        k(sample + "--top-k -1", "--top-k -1", ">= 0"),
        k(sample + "--top-p 0", "--top-p 0", "> 0"),
        k(sample + "--top-p 1.5", "--top-p 1.5", "[0, 1]"),
        k("sample --device tpu --run {base}", "--device tpu", "cpu, cuda, auto"),
        k(sample + "--precision fp8", "--precision fp8", "bf16, f32, auto"),
        k("sample --device cpu --run {root}/nope", "--run", "nope", "no such directory"),
        k("sample --device cpu --run {root}/empty", "--run", "not a Triad run", "config.json"),
        k("sample --device cpu --run {root}/afile.txt", "--run", "is a file"),
        k(sample + "--checkpoint {root}/nope.safetensors", "--checkpoint", "no such file"),
        k(sample + "--checkpoint {root}/empty", "--checkpoint", "is a directory"),
        k(sample + "--checkpoint {root}/afile.txt", "afile.txt"),
        k("sample --device cpu --run {nan}", "step_00000001.safetensors", "model.h.0.mlp.c_fc.weight",
            "NaN at element 7"),
        k("sample --device cpu --run {badstep}", "step", "'abc'", "not a step number"),
        k("sample --device cpu --run {trunc}", "step_00000001.safetensors"),
        k("sample --device cpu --run {empty}", "not a Triad run"),
        k(sample + "--prompt " + "p".repeat(40), "prompt", "context of 32"),
        // sft
        k(sft + "--model small", "--model small", "not used", "--base"),
        k(sft + "--batch 0", "--batch 0", ">= 1"),
        k(sft + "--seq 100000", "--seq 100000", "context of 32"),
        k(sft + "--seq 1", "--seq 1", ">= 2"),
        k(sft + "--lr NaN", "--lr NaN", "> 0"),
        k(sft + "--warmup -2", "--warmup -2", ">= 0"),
        k(sft + "--eval-every -1", "--eval-every -1", ">= 0"),
        k(sft + "--checkpoint-every -1", "--checkpoint-every -1", ">= 0"),
        k(sft + "--eval-per-family -1", "--eval-per-family -1", ">= 0"),
        k(sft + "--steps 0", "--steps 0", ">= 1"),
        k(sft + "--data {root}/nope.jsonl", "--data", "no such file"),
        k(sft + "--data {root}/empty", "--data", "is a directory"),
        k(sft + "--data {root}/long.jsonl", "long.jsonl:1", "1048576 bytes"),
        k(sft + "--data {root}/bad.jsonl", "bad.jsonl:2", "invalid JSON"),
        k(sft + "--data {root}/toolong.jsonl --seq 8", "none of the", "training examples fits", "--seq 8"),
        k(sft + "--data {root}/toolong.jsonl --eval-per-family 5", "--eval-per-family", "embedded data only"),
        k("sft --device cpu --out {out} --base {root}/nope", "--base", "no such directory"),
        k("sft --device cpu --out {out} --base {root}/empty", "--base", "not a Triad run"),
        k(sft + "--precision half", "--precision half", "bf16, f32, auto"),
        // reward
        k(rew + "--model small", "--model small", "not used"),
        k(rew + "--batch 0", "--batch 0", ">= 1"),
        k(rew + "--seq 100000", "--seq 100000", "context of 32"),
        k(rew + "--margin NaN", "--margin NaN", "finite"),
        k(rew + "--lr 0", "--lr 0", "> 0"),
        k(rew + "--data {root}/long.jsonl", "long.jsonl:1", "1048576"),
        k("reward --device cpu --out {out} --base {root}/nope", "--base", "no such directory"),
        // dpo
        k(dpo + "--beta 0", "--beta 0", "> 0"),
        k(dpo + "--beta NaN", "--beta NaN", "> 0"),
        k(dpo + "--pairs 0", "--pairs 0", ">= 1"),
        k(dpo + "--held-out 0", "--held-out 0", ">= 1"),
        k(dpo + "--pairs 10 --data {root}/bad.jsonl", "--pairs", "embedded data only"),
        k(dpo + "--model tiny", "--model tiny", "not used"),
        k(dpo + "--eval-prompts -1", "--eval-prompts -1", ">= 0"),
        k(dpo + "--data {root}/nope.jsonl", "--data", "no such file"),
        // ppo
        k(ppo + "--batch 4 --mini-batch 8", "--mini-batch 8", "<= --batch 4"),
        k(ppo + "--epochs 0", "--epochs 0", ">= 1"),
        k(ppo + "--target-kl 0", "--target-kl 0", "> 0"),
        k(ppo + "--checkpoint-every 0", "--checkpoint-every 0", ">= 1"),
        k(ppo + "--keep 0", "--keep 0", ">= 1"),
        k(ppo + "--beta -1", "--beta -1", ">= 0"),
        k("ppo --device cpu --out {out} --policy {base} --reward {root}/nope", "--reward", "no such directory"),
        // grpo
        k(grpo + "--group 1", "--group 1", ">= 2"),
        k(grpo + "--clip 0", "--clip 0", "> 0"),
        k(grpo + "--clip 1.5", "--clip 1.5", "[0, 1]"),
        k(grpo + "--prompts 0", "--prompts 0", ">= 1"),
        k(grpo + "--beta -1", "--beta -1", ">= 0"),
        k(grpo + "--max-new-tokens 0", "--max-new-tokens 0", ">= 1"),
        // chat, export
        k("chat --run {base} --temperature NaN", "--temperature NaN", "finite"),
        k("chat --run {base} --top-k -1", "--top-k -1", ">= 0"),
        k("chat --run {root}/nope", "--run", "no such directory"),
        k("export --run {root}/nope --out {out}", "--run", "no such directory"),
        k("export --run {base} --out {root}/afile.txt", "--out", "is a file"),
        k("export --run {nan} --out {out}", "model.h.0.mlp.c_fc.weight", "NaN"),
        // tokenize
        k("tokenize --out {out} --val-fraction 1", "--val-fraction 1", "[0, 1)"),
        k("tokenize --out {out} --val-fraction -0.1", "--val-fraction -0.1", "[0, 1)"),
        k("tokenize --out {out} --shard-tokens 0", "--shard-tokens 0", ">= 1"),
        k("tokenize --out {out} --tokenizer sentencepiece", "--tokenizer sentencepiece", "gpt2, byte, words"),
        k("tokenize --out {out} {root}/missing.txt", "missing.txt", "no such file"),
        k("tokenize --out {out} --synthetic-bytes 0", "--synthetic-bytes 0", ">= 1"),
        // plan, demo, bench
        k("plan --batch 0", "--batch 0", ">= 1"),
        k("plan --n-layer 0", "--n-layer 0", ">= 1"),
        k("plan --model gpt5", "--model gpt5", "gpt2"),
        k("plan --grad-accum 0", "--grad-accum 0", ">= 1"),
        k("demo --out {out} --rl sac", "--rl sac", "ppo, dpo, grpo"),
        k("demo --out {out} --pretrain-steps -1", "--pretrain-steps -1", ">= 0"),
        k("demo --out {root}/afile.txt", "--out", "is a file"),
        k("bench --device cpu --samples 0", "--samples 0", ">= 1"),
        k("bench --device cpu --compare {root}/nope.json", "--compare", "no such file"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInputIsRefusedClearlyAndChangesNothing(String args, String[] words) throws IOException {
    String[] argv = Arrays.stream(args.trim().split(" +"))
        .map(a -> a.replace("{out}", root.resolve("out").toString()).replace("{root}", root.toString())
            .replace("{base}", root.resolve("base").toString()).replace("{nan}", root.resolve("nan").toString())
            .replace("{badstep}", root.resolve("badstep").toString()).replace("{trunc}", root.resolve("trunc").toString())
            .replace("{empty}", root.resolve("empty").toString()))
        .toArray(String[]::new);
    Map<String, String> before = snapshot();
    PretrainCliTest.Run r = PretrainCliTest.run(argv);
    assertNotEquals(0, r.exit(), r.toString());
    String err = r.err();
    for (String w : words) {
      assertTrue(err.contains(w), "'" + w + "' not in the message:\n" + r);
    }
    assertFalse(err.contains("Exception") || err.contains("internal error") || err.contains("\tat "),
        "raw Java text reached the user:\n" + r);
    assertEquals(before, snapshot(), "the command changed files under the fixture:\n" + r);
  }

  /** Every file under the fixture root with a digest of its bytes, and every directory. */
  private static Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String key = root.relativize(p).toString();
        if (Files.isDirectory(p)) {
          out.put(key + "/", "dir");
        } else {
          try {
            out.put(key, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return out;
  }
}
