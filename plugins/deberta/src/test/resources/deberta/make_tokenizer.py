"""Writes tokenizer/tokenizer.json and tokenizer_config.json: a small tokenizer of the kind transformers' DebertaV2Converter
makes from DeBERTa-v3's spm.model (no real one is available offline): a SentencePiece Unigram model over a few pieces,
the normaliser Strip + Replace(" {2,}", " ") (the converter puts the spm model's precompiled charsmap between them; this
toy model has none), the Metaspace pre-tokenizer (prepend "always", replacement U+2581) and decoder, and the
TemplateProcessing post-processor [CLS]:0 $A:0 [SEP]:0 / [CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1 with DeBERTa-v3's
special-token ids ([PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3, [MASK] 128000).
Run: python3 make_tokenizer.py
"""
import json

special = [("[PAD]", 0), ("[CLS]", 1), ("[SEP]", 2), ("[UNK]", 3)]
words = ["\u2581what", "\u2581is", "\u2581panda", "?", "\u2581a", "\u2581bear", "\u2581the", "\u2581giant", "\u2581species",
         "\u2581endemic", "\u2581to", "\u2581china", ".", "\u2581hi", "\u2581piano", "\u2581violin", "\u2581string",
         "\u2581instrument", "\u2581yes", "\u2581no", "\u2581tell", "\u2581me", "\u2581about", "\u2581answer", "\u2581here",
         "\u2581some", "\u2581unrelated", "\u2581filler", "\u2581right", "\u2581indeed", "\u2581sadly", "\u2581The"]
letters = ["\u2581"] + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!'-")
vocab = [[t, 0.0] for t, _ in special]
for i, w in enumerate(words):
    vocab.append([w, -2.0 - 0.01 * i])
for i, c in enumerate(letters):
    vocab.append([c, -8.0 - 0.01 * i])
added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
          "special": True} for t, i in special] + [
    {"id": 128000, "content": "[MASK]", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
     "special": True}]
tok = {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]},
    "post_processor": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                           "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}},
    },
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
}
# tokenizer_config.json as microsoft/deberta-v3-base ships it (do_lower_case false, vocab_type spm)
config = {"do_lower_case": False, "vocab_type": "spm", "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]",
          "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
          "split_by_punct": False, "sp_model_kwargs": {}, "tokenizer_class": "DebertaV2Tokenizer"}
with open("tokenizer/tokenizer.json", "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False, indent=1)
with open("tokenizer/tokenizer_config.json", "w") as f:
    json.dump(config, f, indent=1)
