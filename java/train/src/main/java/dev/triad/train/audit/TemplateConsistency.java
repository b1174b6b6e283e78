package dev.triad.train.audit;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import dev.triad.data.pref.PreferencePair;
import dev.triad.train.RunDirectory;
import dev.triad.train.RunInfo;
import dev.triad.train.rlhf.RewardTraining;
import dev.triad.train.rlhf.Triple;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the phases render a conversation into the same tokens, and the runs into the same template:
 *
 * <ul>
 *   <li>each conversation rendered as SFT trains on it ({@link ChatTemplate#render}), as the reward
 *       model scores it ({@link RewardTraining#render}), as DPO scores it ({@link Triple#of}: prompt,
 *       then reply and {@code <|end|>}) and as PPO/GRPO prompt it ({@link ChatTemplate#renderPrompt}):
 *       the four must agree token for token, and SFT's loss tokens must be exactly the reply tokens DPO
 *       scores;</li>
 *   <li>message text that spells a special token ({@code <|end|>}, {@code <|endoftext|>}, ...): the
 *       template encodes it as plain text, so it cannot forge a turn, but a model then learns a
 *       look-alike of its stop token (a warning);</li>
 *   <li>the chat template version each given run recorded in config.json: all the same, and this
 *       Triad's {@link ChatTemplate#VERSION}.</li>
 * </ul>
 *
 * Rendered with the tokenizer of the first given run, else the byte tokenizer (what `triad sft
 * --check` uses without a base run).
 */
public final class TemplateConsistency {
  private TemplateConsistency() {}

  /** The look-alikes of special tokens searched for in message text. */
  static final List<String> SPECIAL_TEXTS;

  static {
    List<String> s = new ArrayList<>(ChatTemplate.SPECIAL_NAMES);
    s.add("<|endoftext|>");
    SPECIAL_TEXTS = List.copyOf(s);
  }

  public static CheckResult check(List<Sample> sft, List<PreferencePair> pairs, List<Path> runs) {
    String name = "template consistency";
    Map<Path, Object> versions = new LinkedHashMap<>();
    String tokenizerName = "byte";
    for (Path dir : runs) {
      RunInfo info = RunInfo.read(dir);
      if (versions.isEmpty() && info.tokenizer() != null) {
        tokenizerName = info.tokenizer();
      }
      Object v = info.settings() == null ? null : info.settings().get(RunDirectory.CHAT_TEMPLATE);
      if (v != null) {
        versions.put(dir, v);
      }
    }
    List<List<Message>> histories = new ArrayList<>();
    List<String> replies = new ArrayList<>();
    List<String> others = new ArrayList<>();
    if (sft != null) {
      for (Sample s : sft) {
        histories.add(List.of(Message.user(s.prompt())));
        replies.add(s.reply());
        others.add(null);
      }
    }
    if (pairs != null) {
      for (PreferencePair p : pairs) {
        histories.add(p.prompt());
        replies.add(p.chosen());
        others.add(p.rejected());
      }
    }
    if (histories.isEmpty() && versions.isEmpty()) {
      return CheckResult.skipped(name, "needs SFT or preference data, or runs");
    }
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(tokenizerName));
    List<String> examples = new ArrayList<>();
    int mismatched = 0;
    int lookAlikes = 0;
    for (int i = 0; i < histories.size(); i++) {
      List<Message> h = histories.get(i);
      String reply = replies.get(i);
      String mismatch = mismatch(template, h, reply, others.get(i));
      if (mismatch != null) {
        mismatched++;
        examples.add(mismatch + ": " + NormalText.clip(Sample.promptText(h), 50));
      }
      String spelt = specialText(Sample.promptText(h) + "\n" + reply + (others.get(i) == null ? "" : "\n" + others.get(i)));
      if (spelt != null) {
        lookAlikes++;
        examples.add("text spells " + spelt + ": " + NormalText.clip(Sample.promptText(h), 50));
      }
    }
    List<String> versionProblems = new ArrayList<>();
    for (Map.Entry<Path, Object> v : versions.entrySet()) {
      if (!ChatTemplate.VERSION.equals(v.getValue())) {
        versionProblems.add(v.getKey() + " records " + v.getValue());
      }
    }
    if (!versionProblems.isEmpty()) {
      examples.add(0, "this Triad renders " + ChatTemplate.VERSION + "; " + String.join(", ", versionProblems));
    }
    String summary = histories.size() + " conversations rendered with " + tokenizerName + " as SFT, reward, DPO and RL do: "
        + mismatched + " differ; " + lookAlikes + " spell a special token; " + versions.size() + " runs record a template"
        + (versionProblems.isEmpty() ? (versions.isEmpty() ? "" : ", all " + ChatTemplate.VERSION)
            : ", " + versionProblems.size() + " not " + ChatTemplate.VERSION);
    Status status = mismatched > 0 || !versionProblems.isEmpty() ? Status.FAIL : lookAlikes > 0 ? Status.WARN : Status.PASS;
    return new CheckResult(name, status, mismatched + lookAlikes + versionProblems.size(), summary, examples);
  }

  /** What differs between the phases' renderings of one conversation, or null when they agree. */
  static String mismatch(ChatTemplate template, List<Message> history, String reply, String other) {
    List<Message> all = new ArrayList<>(history);
    all.add(Message.assistant(reply));
    ChatTemplate.Rendered sft = template.render(new Conversation(all));
    int[] reward = RewardTraining.render(template, history, reply);
    if (!Arrays.equals(sft.tokens(), reward)) {
      return "SFT and reward renderings differ";
    }
    int[] prompt = template.renderPrompt(history);
    if (prompt.length > sft.length() || !Arrays.equals(prompt, Arrays.copyOf(sft.tokens(), prompt.length))) {
      return "the RL prompt is not SFT's prefix";
    }
    Triple dpo = Triple.of(template, history, reply, other == null ? reply + "." : other);
    int[] scored = dpo.chosen();
    if (!Arrays.equals(dpo.prompt(), prompt) || prompt.length + scored.length != sft.length()
        || !Arrays.equals(scored, Arrays.copyOfRange(sft.tokens(), prompt.length, sft.length()))) {
      return "DPO's tokens differ from SFT's";
    }
    for (int i = 0; i < sft.length(); i++) {
      if (sft.loss(i) != (i >= prompt.length)) {
        return "SFT's loss tokens are not the reply DPO scores";
      }
    }
    return null;
  }

  private static String specialText(String text) {
    for (String s : SPECIAL_TEXTS) {
      if (text.contains(s)) {
        return s;
      }
    }
    return null;
  }
}
