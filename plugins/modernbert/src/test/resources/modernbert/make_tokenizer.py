"""Writes tokenizer/tokenizer.json and tokenizer_config.json: a small tokenizer of the kind ModernBERT ships (no real one
is available offline): a byte-level BPE (GPT-2 byte alphabet, a few merges) with NFC normalisation, ByteLevel
pre-tokenizer and decoder, and the TemplateProcessing post-processor [CLS] $A [SEP] / [CLS] $A [SEP] $B [SEP] with
ModernBERT's special-token ids ([UNK] 50280, [CLS] 50281, [SEP] 50282, [PAD] 50283, [MASK] 50284).
Run: python3 make_tokenizer.py
"""
import json


def bytes_to_unicode():  # GPT-2's reversible byte -> printable character table
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


alphabet = bytes_to_unicode()
vocab = {}
for b in range(256):
    vocab[alphabet[b]] = len(vocab)
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "a"), ("i", "s"), ("Ġ", "is"), ("a", "n"), ("Ġp", "an"), ("Ġ", "p"),
          ("Ġpan", "d"), ("Ġpand", "a"), ("w", "h"), ("wh", "a"), ("wha", "t"), ("Ġ", "b"), ("e", "a"), ("Ġb", "ea"), ("Ġbea", "r")]
for a, b in merges:
    vocab[a + b] = len(vocab)
special = {"[UNK]": 50280, "[CLS]": 50281, "[SEP]": 50282, "[PAD]": 50283, "[MASK]": 50284}
vocab.update(special)
tok = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": t == "[MASK]", "rstrip": False,
                      "normalized": False, "special": True} for t, i in special.items()],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    "post_processor": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in special.items() if t in ("[CLS]", "[SEP]")},
    },
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
              "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab,
              "merges": [a + " " + b for a, b in merges]},
}
config = {"model_max_length": 8192, "clean_up_tokenization_spaces": True, "tokenizer_class": "PreTrainedTokenizerFast",
          "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
          "model_input_names": ["input_ids", "attention_mask"]}
with open("tokenizer/tokenizer.json", "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False, indent=1)
with open("tokenizer/tokenizer_config.json", "w") as f:
    json.dump(config, f, indent=1)
