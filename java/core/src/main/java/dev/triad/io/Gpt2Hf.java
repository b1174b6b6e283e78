package dev.triad.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Import and export of GPT-2 in the Hugging Face layout (a directory with config.json and
 * model.safetensors), so a Triad run can start from the published GPT-2 124M weights and a Triad
 * model can be used from transformers.
 *
 * <p>Why a dedicated mapping: the names are the same strings in both worlds (HF's may carry a
 * "transformer." prefix), but HF implements the four projection layers (attn.c_attn, attn.c_proj,
 * mlp.c_fc, mlp.c_proj) with its Conv1D module, whose weight is stored [in, out], while Triad's
 * Linear, like torch.nn.Linear, stores [out, in]. Those four are transposed in both directions;
 * everything else is copied. Triad may pad the vocabulary (wte has Vp >= vocab_size rows): padding
 * rows are zero on import and dropped on export. The LM head is tied to wte in Triad, so HF's
 * lm_head.weight is only checked to equal wte; the causal-mask buffers h.{i}.attn.bias and
 * h.{i}.attn.masked_bias are ignored. Any other unexpected or missing tensor, or a shape that
 * does not match the config, is an error naming the tensor: a silent partial load would train
 * from garbage.
 */
public final class Gpt2Hf {
  public static final String WEIGHTS_FILE = "model.safetensors";
  public static final String CONFIG_FILE = "config.json";
  private static final String PREFIX = "transformer.";
  private static final Pattern IGNORED_BUFFER = Pattern.compile("h\\.(\\d+)\\.attn\\.(bias|masked_bias)");

  private Gpt2Hf() {}

  /** One parameter: its Triad name and shape, and whether HF stores it transposed (Conv1D). */
  private record Param(String name, long[] triadShape, boolean conv1d) {
    long[] hfShape(HfGpt2Config cfg) {
      if (name.equals("wte.weight")) {
        return new long[] {cfg.vocabSize(), cfg.nEmbd()};
      }
      return conv1d ? new long[] {triadShape[1], triadShape[0]} : triadShape;
    }

    int numel() {
      long n = 1;
      for (long d : triadShape) {
        n *= d;
      }
      return Math.toIntExact(n);
    }
  }

  /** Triad's GPT-2 parameters in state-dict order. */
  private static List<Param> params(HfGpt2Config cfg, int paddedVocab) {
    long c = cfg.nEmbd();
    List<Param> ps = new ArrayList<>(4 + 12 * cfg.nLayer());
    ps.add(new Param("wte.weight", new long[] {paddedVocab, c}, false));
    ps.add(new Param("wpe.weight", new long[] {cfg.nPositions(), c}, false));
    for (int i = 0; i < cfg.nLayer(); i++) {
      String h = "h." + i + ".";
      ps.add(new Param(h + "ln_1.weight", new long[] {c}, false));
      ps.add(new Param(h + "ln_1.bias", new long[] {c}, false));
      ps.add(new Param(h + "attn.c_attn.weight", new long[] {3 * c, c}, true));
      ps.add(new Param(h + "attn.c_attn.bias", new long[] {3 * c}, false));
      ps.add(new Param(h + "attn.c_proj.weight", new long[] {c, c}, true));
      ps.add(new Param(h + "attn.c_proj.bias", new long[] {c}, false));
      ps.add(new Param(h + "ln_2.weight", new long[] {c}, false));
      ps.add(new Param(h + "ln_2.bias", new long[] {c}, false));
      ps.add(new Param(h + "mlp.c_fc.weight", new long[] {4 * c, c}, true));
      ps.add(new Param(h + "mlp.c_fc.bias", new long[] {4 * c}, false));
      ps.add(new Param(h + "mlp.c_proj.weight", new long[] {c, 4 * c}, true));
      ps.add(new Param(h + "mlp.c_proj.bias", new long[] {c}, false));
    }
    ps.add(new Param("ln_f.weight", new long[] {c}, false));
    ps.add(new Param("ln_f.bias", new long[] {c}, false));
    return ps;
  }

  /** Triad's parameter names and shapes, in state-dict order (wte padded to paddedVocab rows). */
  public static Map<String, long[]> triadShapes(HfGpt2Config cfg, int paddedVocab) {
    checkPadded(cfg, paddedVocab);
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Param p : params(cfg, paddedVocab)) {
      out.put(p.name, p.triadShape.clone());
    }
    return out;
  }

  /** Parses {@code dir}/config.json. */
  public static HfGpt2Config readConfig(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no " + CONFIG_FILE + " in " + dir);
    }
    return HfGpt2Config.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Loads HF GPT-2 weights ({@code modelDirOrFile}: a directory holding model.safetensors, or the
   * file itself) as Triad-named float arrays in Triad's layout, in state-dict order. Tensors may be
   * stored as F32, BF16 or F16. The wte array has {@code paddedVocab} rows, those past vocab_size
   * zero.
   */
  public static Map<String, float[]> load(Path modelDirOrFile, HfGpt2Config cfg, int paddedVocab) throws IOException {
    return read(modelDirOrFile, cfg, paddedVocab, true);
  }

  /**
   * Every check {@link #load} makes (names, shapes, dtypes, all values finite, the tied LM head),
   * holding one tensor at a time: so a command can refuse bad weights before it writes anything.
   */
  public static void verify(Path modelDirOrFile, HfGpt2Config cfg) throws IOException {
    read(modelDirOrFile, cfg, cfg.vocabSize(), false);
  }

  private static Map<String, float[]> read(Path modelDirOrFile, HfGpt2Config cfg, int paddedVocab, boolean keep)
      throws IOException {
    checkPadded(cfg, paddedVocab);
    Path file = weightsFile(modelDirOrFile);
    List<Param> params = params(cfg, paddedVocab);
    Map<String, Param> byName = new LinkedHashMap<>();
    params.forEach(p -> byName.put(p.name, p));
    try (SafetensorsFile st = Safetensors.open(file)) {
      // map the file's names (with or without "transformer.") onto Triad's
      Map<String, String> fileName = new LinkedHashMap<>();
      List<String> unexpected = new ArrayList<>();
      String lmHead = null;
      for (String name : st.names()) {
        String key = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        if (key.equals("lm_head.weight")) {
          lmHead = name;
          continue;
        }
        if (isIgnoredBuffer(key, cfg)) {
          continue;
        }
        if (!byName.containsKey(key)) {
          unexpected.add(name);
          continue;
        }
        String previous = fileName.put(key, name);
        if (previous != null) {
          throw new CheckpointFormatException(file + ": tensor " + key + " appears twice, as '" + previous
              + "' and '" + name + "'");
        }
      }
      if (!unexpected.isEmpty()) {
        throw new CheckpointFormatException(file + ": unexpected tensor(s) " + abbreviate(unexpected)
            + " for GPT-2 with n_layer " + cfg.nLayer() + " (config and weights do not match?)");
      }
      List<String> missing = new ArrayList<>();
      for (Param p : params) {
        if (!fileName.containsKey(p.name)) {
          missing.add(p.name + " " + Arrays.toString(p.hfShape(cfg)));
        }
      }
      if (!missing.isEmpty()) {
        throw new CheckpointFormatException(file + ": missing tensor(s) " + abbreviate(missing));
      }
      // check every shape before reading any data
      for (Param p : params) {
        checkShape(st, file, fileName.get(p.name), p.hfShape(cfg), p.conv1d);
      }
      Map<String, float[]> out = new LinkedHashMap<>();
      for (Param p : params) {
        float[] src = st.readFloats(fileName.get(p.name));
        FiniteCheck.require(src, file, fileName.get(p.name));
        if (!keep && !(lmHead != null && p.name.equals("wte.weight"))) {
          continue;
        }
        float[] dst;
        if (p.conv1d) {
          // HF [in, out] -> Triad [out, in]
          dst = transpose(src, (int) p.triadShape[1], (int) p.triadShape[0]);
        } else if (p.name.equals("wte.weight")) {
          dst = Arrays.copyOf(src, p.numel()); // padding rows stay zero
        } else {
          dst = src;
        }
        out.put(p.name, dst);
      }
      if (lmHead != null) {
        checkShape(st, file, lmHead, new long[] {cfg.vocabSize(), cfg.nEmbd()}, false);
        float[] head = st.readFloats(lmHead);
        float[] wte = out.get("wte.weight");
        if (!Arrays.equals(head, 0, head.length, wte, 0, head.length)) {
          throw new CheckpointFormatException(file + ": " + lmHead + " differs from wte.weight, but Triad ties the "
              + "LM head to the token embedding");
        }
      }
      return keep ? out : null;
    }
  }

  /**
   * Writes {@code dir}/model.safetensors (HF layout, F32, metadata format=pt as transformers
   * expects) and {@code dir}/config.json, each atomically; creates {@code dir} if needed.
   * {@code triadState} must hold exactly Triad's GPT-2 parameters; wte may have padding rows,
   * which are dropped.
   */
  public static void save(Path dir, HfGpt2Config cfg, Map<String, float[]> triadState) throws IOException {
    float[] wte = triadState.get("wte.weight");
    if (wte == null) {
      throw new IllegalArgumentException("cannot save GPT-2 to " + dir + ": state has no wte.weight");
    }
    if (wte.length % cfg.nEmbd() != 0 || wte.length / cfg.nEmbd() < cfg.vocabSize()) {
      throw new IllegalArgumentException("cannot save GPT-2 to " + dir + ": wte.weight has " + wte.length
          + " elements, not [Vp, " + cfg.nEmbd() + "] with Vp >= vocab_size " + cfg.vocabSize());
    }
    int paddedVocab = wte.length / cfg.nEmbd();
    List<Param> params = params(cfg, paddedVocab);
    List<String> unexpected = new ArrayList<>(triadState.keySet());
    List<String> missing = new ArrayList<>();
    for (Param p : params) {
      unexpected.remove(p.name);
      float[] a = triadState.get(p.name);
      if (a == null) {
        missing.add(p.name);
      } else if (a.length != p.numel()) {
        throw new IllegalArgumentException("cannot save GPT-2 to " + dir + ": " + p.name + " has " + a.length
            + " elements, expected " + Arrays.toString(p.triadShape) + " = " + p.numel());
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new IllegalArgumentException("cannot save GPT-2 to " + dir + ": state does not match the config"
          + (missing.isEmpty() ? "" : "; missing " + abbreviate(missing))
          + (unexpected.isEmpty() ? "" : "; unexpected " + abbreviate(unexpected)));
    }
    List<HostTensor> hf = new ArrayList<>(params.size());
    for (Param p : params) {
      float[] a = triadState.get(p.name);
      float[] data;
      if (p.conv1d) {
        // Triad [out, in] -> HF [in, out]
        data = transpose(a, (int) p.triadShape[0], (int) p.triadShape[1]);
      } else if (p.name.equals("wte.weight")) {
        data = Arrays.copyOf(a, cfg.vocabSize() * cfg.nEmbd()); // drop padding rows
      } else {
        data = a;
      }
      hf.add(HostTensor.f32(p.name, data, p.hfShape(cfg)));
    }
    Files.createDirectories(dir);
    Safetensors.writeHost(dir.resolve(WEIGHTS_FILE), hf, Map.of("format", "pt"));
    AtomicFiles.writeString(dir.resolve(CONFIG_FILE), cfg.toJson());
  }

  /** The transpose of a row-major [rows, cols] matrix: a row-major [cols, rows] matrix. */
  static float[] transpose(float[] src, int rows, int cols) {
    if ((long) rows * cols != src.length) {
      throw new IllegalArgumentException("transpose: " + src.length + " elements is not " + rows + " x " + cols);
    }
    float[] dst = new float[src.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        dst[c * rows + r] = src[r * cols + c];
      }
    }
    return dst;
  }

  private static Path weightsFile(Path modelDirOrFile) throws IOException {
    if (!Files.isDirectory(modelDirOrFile)) {
      return modelDirOrFile; // opening reports a missing file
    }
    Path file = modelDirOrFile.resolve(WEIGHTS_FILE);
    if (Files.exists(file)) {
      return file;
    }
    if (Files.exists(modelDirOrFile.resolve("model.safetensors.index.json"))) {
      throw new CheckpointFormatException(modelDirOrFile + ": sharded checkpoints (model.safetensors.index.json) "
          + "are not supported; GPT-2 models up to 1.5B parameters fit one file");
    }
    if (Files.exists(modelDirOrFile.resolve("pytorch_model.bin"))) {
      throw new CheckpointFormatException(modelDirOrFile + ": only model.safetensors is read, not pytorch_model.bin "
          + "(pickle); convert it with safetensors or download the safetensors version");
    }
    throw new NoSuchFileException(file.toString(), null, "no " + WEIGHTS_FILE + " in " + modelDirOrFile);
  }

  private static void checkShape(SafetensorsFile st, Path file, String name, long[] expected, boolean conv1d)
      throws CheckpointFormatException {
    TensorInfo info = st.info(name);
    if (!info.dtype().isFloating()) {
      throw new CheckpointFormatException(file + ": tensor " + name + " is " + info.describe()
          + ", expected a floating-point tensor");
    }
    if (!Arrays.equals(info.shape(), expected)) {
      throw new CheckpointFormatException(file + ": tensor " + name + " has shape " + Arrays.toString(info.shape())
          + ", expected " + Arrays.toString(expected) + (conv1d ? " (HF Conv1D layout [in, out])" : ""));
    }
  }

  private static boolean isIgnoredBuffer(String key, HfGpt2Config cfg) {
    Matcher m = IGNORED_BUFFER.matcher(key);
    if (!m.matches()) {
      return false;
    }
    try {
      return Integer.parseInt(m.group(1)) < cfg.nLayer();
    } catch (NumberFormatException tooLong) {
      return false;
    }
  }

  private static void checkPadded(HfGpt2Config cfg, int paddedVocab) {
    if (paddedVocab < cfg.vocabSize()) {
      throw new IllegalArgumentException("padded vocabulary " + paddedVocab + " is smaller than vocab_size "
          + cfg.vocabSize());
    }
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 10 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 10)) + " and " + (names.size() - 10) + " more";
  }
}
