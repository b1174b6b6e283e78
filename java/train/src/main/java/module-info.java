/**
 * Triad's training API: data (tokenizers, token shards, JSONL datasets, the chat template,
 * packing, the embedded synthetic corpus and task data) and the three phases (pretraining, SFT,
 * RLHF: reward model, DPO, PPO, GRPO) over the one Trainer loop.
 */
module dev.triad.train {
  requires transitive dev.triad.core;
  requires com.fasterxml.jackson.databind;
  requires jtokkit;   // no module name of its own: the automatic name of jtokkit-<v>.jar

  exports dev.triad.data;
  exports dev.triad.data.chat;
  exports dev.triad.data.instruct;
  exports dev.triad.data.pref;
  exports dev.triad.train;
  exports dev.triad.train.pretrain;
  exports dev.triad.train.sft;
  exports dev.triad.train.rlhf;
  exports dev.triad.train.audit;

  opens dev.triad.train to com.fasterxml.jackson.databind;   // RunInfo is config.json
}
