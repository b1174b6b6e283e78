package dev.triad.train.pretrain;

import dev.triad.InvalidOptionException;
import dev.triad.data.SyntheticCorpus;
import dev.triad.data.TokenDataLoader;
import dev.triad.data.Tokenize;
import dev.triad.data.Tokenizer;
import dev.triad.io.Gpt2Hf;
import dev.triad.io.GptExport;
import dev.triad.io.HfGpt2Config;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.tensor.Device;
import dev.triad.train.Ranks;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import dev.triad.train.TrainConfig;
import dev.triad.train.Trainer;
import dev.triad.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phase one, self-supervised pretraining: token shards (or the embedded synthetic corpus) in,
 * a GPT trained on next-token prediction out, in a run directory with config, metrics and
 * checkpoints.
 */
public final class Pretrain {
  private static final Logger LOG = LoggerFactory.getLogger(Pretrain.class);

  private Pretrain() {}

  public static Trainer.Result run(PretrainOptions o) {
    return run(o, TrainingListener.NONE);
  }

  /** As {@link #run(PretrainOptions)}, reporting each step, evaluation and checkpoint to {@code listener}. */
  public static Trainer.Result run(PretrainOptions o, TrainingListener listener) {
    return RunLock.whileHeld(o.runDir(), () -> runLocked(o, listener));
  }

  private static Trainer.Result runLocked(PretrainOptions o, TrainingListener listener) {
    Tokenizer tokenizer = Tokenizer.byName(o.tokenizer());
    RunDirectory run = RunDirectory.open(o.runDir(), o.resume(), o.train().steps()); // before anything is written

    GptConfig cfg;
    HfGpt2Config hf = null;
    if (o.initFromHf() != null) {
      hf = readHfConfig(o.initFromHf());
      if (!o.resume()) {
        verifyHf(o.initFromHf(), hf); // bad weights (NaN, a wrong shape) refused before anything is written
      }
      cfg = GptExport.modelConfig(hf, "gpt2-hf");
    } else {
      cfg = GptConfig.preset(o.preset(), tokenizer.vocabSize());
    }
    if (cfg.vocabSize() < tokenizer.vocabSize()) {
      throw new IllegalArgumentException("the model's vocabulary (" + cfg.vocabSize() + ") is smaller than tokenizer "
          + tokenizer.name() + "'s (" + tokenizer.vocabSize() + ")");
    }
    if (o.seqLen() > cfg.blockSize()) {
      throw new InvalidOptionException("seqLen", " " + o.seqLen() + " exceeds the model's context of " + cfg.blockSize());
    }
    PlanCheck.require(new MemoryPlan.Spec(cfg, o.device() == Device.CUDA, o.batch(), o.seqLen(), o.precision(),
        MemoryPlan.Phase.PRETRAIN, o.device(), 1, 0));
    if (o.resume()) {
      RunInfo previous = RunInfo.read(o.runDir());
      if (!previous.modelConfig().equals(cfg) || !previous.tokenizer().equals(tokenizer.name())) {
        throw new InvalidOptionException("resume", ": the run in " + o.runDir() + " has model "
            + describe(previous.modelConfig()) + " and tokenizer " + previous.tokenizer() + ", not "
            + describe(cfg) + " and tokenizer " + tokenizer.name());
      }
    }
    // data-parallel: rank 0 tokenizes, the other ranks then find its shards
    Path data = o.dataDir() != null ? o.dataDir()
        : Ranks.rootFirst(() -> embeddedData(o.runDir(), tokenizer, o.train().seed()));
    List<Path> trainShards = shards(data, "train_*.bin");
    // validation is optional (`triad tokenize --val-fraction 0` writes no val shard)
    List<Path> valShards = hasFiles(data, "val_*.bin") ? shards(data, "val_*.bin") : List.of();
    long microTokens = (long) o.batch() * o.seqLen();
    long total = o.totalBatchTokens() > 0 ? o.totalBatchTokens() : microTokens;
    if (total % microTokens != 0) {
      throw new IllegalArgumentException("total batch of " + total + " tokens is not a multiple of batch x seq = "
          + microTokens);
    }
    TrainConfig train = withAccumulation(o.train(), (int) (total / microTokens));

    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("data", data.toString());
    settings.put("batch", o.batch());
    settings.put("seq_len", o.seqLen());
    settings.put("total_batch_tokens", total);
    settings.put("device", o.device().toString());
    settings.put("train", train);
    run.writeInfo("pretrain", cfg, tokenizer.name(), o.precision(), settings);

    try (Gpt model = new Gpt(cfg, o.device(), o.precision(), train.seed())) {
      if (hf != null && !o.resume()) {
        loadHf(model, o.initFromHf(), hf);
      }
      LOG.info(String.format("pretrain: %s (%d layers, %d heads, C=%d, vocab %d), %,d parameters, on %s in %s",
          cfg.name(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(), cfg.vocabSize(), model.parameterCount(), o.device(),
          o.precision()));
      LOG.info("pretrain: run directory " + o.runDir().toAbsolutePath());
      TokenDataLoader trainLoader = TokenDataLoader.train(trainShards, o.batch(), o.seqLen(), train.seed(),
          train.dataOrder().shuffled());
      TokenDataLoader valLoader = valShards.isEmpty() ? null : TokenDataLoader.val(valShards, o.batch(), o.seqLen());
      LOG.info(String.format("pretrain: %,d training tokens, %d steps of %,d tokens (%d x %d x %d accumulation)",
          trainLoader.totalTokens(), train.steps(), total, o.batch(), o.seqLen(), train.gradAccum()));
      PretrainTask task = new PretrainTask(model, trainLoader, valLoader, o.evalBatches(), tokenizer, train.seed());
      double flopsPerToken = 6.0 * model.parameterCount() + 12.0 * cfg.nLayer() * cfg.nEmbd() * o.seqLen();
      try (Trainer trainer = new Trainer(model, task, train, o.runDir(), flopsPerToken,
          dev.triad.profile.DevicePeak.flopsForMfu(o.device(), o.precision()))) {
        trainer.addListener(listener);
        Trainer.Result r = trainer.run(o.resume());
        LOG.info(String.format("pretrain: done. loss %.4f -> %.4f, val loss %.4f -> %.4f, %.0f tokens/s; checkpoints in %s",
            r.firstLoss(), r.lastLoss(), r.firstValLoss(), r.lastValLoss(), r.tokensPerSecond(),
            trainer.checkpoints().directory().toAbsolutePath()));
        return r;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  private static String describe(GptConfig c) {
    return String.format("%s (%d layers, %d heads, C=%d, vocab %d, context %d)", c.name(), c.nLayer(), c.nHead(),
        c.nEmbd(), c.vocabSize(), c.blockSize());
  }

  private static TrainConfig withAccumulation(TrainConfig t, int accum) {
    return t.toBuilder().gradAccum(accum).build();
  }

  /** Tokenizes the embedded synthetic corpus into {@code <run>/data} (once; reused on resume). */
  static Path embeddedData(Path runDir, Tokenizer tokenizer, long seed) {
    Path dir = runDir.resolve("data");
    Path marker = dir.resolve("TOKENIZER");
    try {
      if (Files.exists(marker) && Files.readString(marker).strip().equals(tokenizer.name())) {
        return dir;
      }
      List<String> docs = SyntheticCorpus.documents(SyntheticCorpus.DEFAULT_SEED);
      Tokenize.Summary s = Tokenize.run(docs, tokenizer, dir, 0.05, 100_000_000L, seed);
      dev.triad.io.AtomicFiles.writeString(marker, tokenizer.name() + "\n");
      LOG.info(String.format("pretrain: embedded corpus: %d documents -> %,d train / %,d val tokens (%s) in %s",
          s.trainDocuments() + s.valDocuments(), s.trainTokens(), s.valTokens(), tokenizer.name(), dir));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot tokenize the embedded corpus into " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<Path> shards(Path dir, String glob) {
    try {
      return TokenDataLoader.findShards(dir, glob);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + glob + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean hasFiles(Path dir, String glob) {
    try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      return ds.iterator().hasNext();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + glob + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static HfGpt2Config readHfConfig(Path dir) {
    try {
      return Gpt2Hf.readConfig(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the GPT-2 config in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void verifyHf(Path dir, HfGpt2Config hf) {
    try {
      Gpt2Hf.verify(dir, hf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load GPT-2 weights from " + dir + ": " + e.getMessage(), e);
    }
  }

  /** GPT-2 weights in Hugging Face layout into a fresh model (vocabulary padding rows stay zero). */
  static void loadHf(Gpt model, Path dir, HfGpt2Config hf) {
    try {
      GptExport.load(model, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load GPT-2 weights from " + dir + ": " + e.getMessage(), e);
    }
    LOG.info("pretrain: initialised from GPT-2 weights in " + dir);
  }
}
