"""Independent float64 numpy reference of transformers' modeling_deberta_v2.py (DebertaV2Model,
DebertaV2ForSequenceClassification with its ContextPooler, and open-retrievals' mean-pooling head: the mean of the
last hidden states over real tokens, then a Linear(hidden, 1)).

Writes tiny_deberta.json: tiny seeded random DeBERTa-v2/v3 models of the real architecture, 3 layers, hidden 16,
2 heads, in two variants:
  "v3": microsoft/deberta-v3-base's settings: relative attention with shared keys (share_att_key), pos_att_type
        "p2c|c2p", log-bucketed relative positions (position_buckets 8, max_relative_positions -1 so the
        max_position_embeddings 16 is used), the LayerNorm of the relative embeddings (norm_rel_ebd layer_norm), no
        absolute positions (position_biased_input false), no token types (type_vocab_size 0);
  "v2": separate pos_key_proj / pos_query_proj (share_att_key false), pos_att_type as a list, no buckets (relative
        positions clamped to max_relative_positions 6), no rel-embedding norm, absolute positions and 2 token types.
The longest row (20 tokens) exceeds the bucketed span, so the clamping of c2p/p2c indices is exercised.
For each variant: the config, the weights (DebertaV2ForSequenceClassification names), for each row alone the
ContextPooler logit, the mean-pooling logit, the last hidden states, and central-difference gradients of the summed
ContextPooler logits with respect to probed weight entries.
Run: python3 reference.py (numpy only).
"""
import json
import math
import numpy as np

BASE = {
    "model_type": "deberta-v2", "architectures": ["DebertaV2ForSequenceClassification"], "vocab_size": 64,
    "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 3, "num_attention_heads": 2,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
    "layer_norm_eps": 1e-7, "relative_attention": True, "pad_token_id": 0, "pooler_dropout": 0,
    "pooler_hidden_act": "gelu", "pooler_hidden_size": 16, "num_labels": 1, "torch_dtype": "float32",
}
VARIANTS = {
    "v3": {"max_position_embeddings": 16, "position_buckets": 8, "max_relative_positions": -1, "norm_rel_ebd": "layer_norm",
           "share_att_key": True, "pos_att_type": "p2c|c2p", "position_biased_input": False, "type_vocab_size": 0},
    "v2": {"max_position_embeddings": 32, "position_buckets": -1, "max_relative_positions": 6, "norm_rel_ebd": "none",
           "share_att_key": False, "pos_att_type": ["p2c", "c2p"], "position_biased_input": True, "type_vocab_size": 2},
}
# [CLS]=1 query [SEP]=2 document [SEP]=2
ROWS = [[1, 5, 9, 2, 7, 2], [1, 11, 2, 13, 17, 19, 23, 29, 31, 37, 41, 2],
        [1, 4, 6, 8, 10, 2, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 2], [1, 40, 2, 50, 2]]


def types(row):
    first = row.index(2)
    return [0 if i <= first else 1 for i in range(len(row))]


def att_types(c):
    p = c["pos_att_type"]
    if isinstance(p, str):
        p = [x.strip() for x in p.lower().split("|")]
    return p


def span(c):
    max_rel = c["max_relative_positions"] if c["max_relative_positions"] >= 1 else c["max_position_embeddings"]
    return (c["position_buckets"] if c["position_buckets"] > 0 else max_rel), max_rel


def names(c):
    out = ["deberta.embeddings.word_embeddings.weight"]
    if c["position_biased_input"]:
        out.append("deberta.embeddings.position_embeddings.weight")
    if c["type_vocab_size"] > 0:
        out.append("deberta.embeddings.token_type_embeddings.weight")
    out += ["deberta.embeddings.LayerNorm.weight", "deberta.embeddings.LayerNorm.bias"]
    for i in range(c["num_hidden_layers"]):
        p = f"deberta.encoder.layer.{i}."
        mods = ["attention.self.query_proj", "attention.self.key_proj", "attention.self.value_proj"]
        if not c["share_att_key"]:
            if "c2p" in att_types(c):
                mods.append("attention.self.pos_key_proj")
            if "p2c" in att_types(c):
                mods.append("attention.self.pos_query_proj")
        mods += ["attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                 "output.LayerNorm"]
        for m in mods:
            out += [p + m + ".weight", p + m + ".bias"]
    out.append("deberta.encoder.rel_embeddings.weight")
    if c["norm_rel_ebd"] == "layer_norm":
        out += ["deberta.encoder.LayerNorm.weight", "deberta.encoder.LayerNorm.bias"]
    return out + ["pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias"]


def shape(c, n):
    h, f = c["hidden_size"], c["intermediate_size"]
    if n.endswith("word_embeddings.weight"):
        return (c["vocab_size"], h)
    if n.endswith("position_embeddings.weight"):
        return (c["max_position_embeddings"], h)
    if n.endswith("token_type_embeddings.weight"):
        return (c["type_vocab_size"], h)
    if n.endswith("rel_embeddings.weight"):
        return (2 * span(c)[0], h)
    if "intermediate.dense" in n:
        return (f, h) if n.endswith(".weight") else (f,)
    if ".output.dense" in n and "attention" not in n:
        return (h, f) if n.endswith(".weight") else (h,)
    if n.startswith("classifier."):
        return (1, h) if n.endswith(".weight") else (1,)
    if "LayerNorm" in n:
        return (h,)
    return (h, h) if n.endswith(".weight") else (h,)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


_erf = np.vectorize(math.erf)


def gelu(x):  # ACT2FN["gelu"]: the exact erf GELU
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def linear(W, x, name):
    return x @ W[name + ".weight"].T + W[name + ".bias"]


def norm(W, x, name, c):
    return layer_norm(x, W[name + ".weight"], W[name + ".bias"], c["layer_norm_eps"])


def log_bucket(rel, bucket_size, max_position):
    """make_log_bucket_position, in float32 as torch computes it (the log and the ceil on float32 tensors)."""
    sign = np.sign(rel)
    mid = bucket_size // 2
    abs_pos = np.where((rel < mid) & (rel > -mid), mid - 1, np.abs(rel))
    ratio = (abs_pos.astype(np.float32) / np.float32(mid)).astype(np.float32)
    denom = np.log(np.float32((max_position - 1) / mid)).astype(np.float32)
    log_pos = (np.ceil((np.log(ratio).astype(np.float32) / denom).astype(np.float32) * np.float32(mid - 1))
               + np.float32(mid)).astype(np.float32)
    return np.where(abs_pos <= mid, rel.astype(np.float32), log_pos * sign).astype(np.int64)


def relative_position(c, L):
    """build_relative_position: q_ids[:, None] - k_ids[None, :], bucketed when position_buckets > 0."""
    ids = np.arange(L)
    rel = ids[:, None] - ids[None, :]
    att_span, max_rel = span(c)
    if c["position_buckets"] > 0 and max_rel > 0:
        rel = log_bucket(rel, c["position_buckets"], max_rel)
    return rel


def heads(x, H):
    L = x.shape[0]
    return x.reshape(L, H, -1).transpose(1, 0, 2)  # [H, L, D]


def hidden_states(c, W, ids, tt):
    """One unpadded row: DebertaV2Model's last_hidden_state."""
    L = len(ids)
    H = c["num_attention_heads"]
    D = c["hidden_size"] // H
    x = W["deberta.embeddings.word_embeddings.weight"][ids]
    if c["position_biased_input"]:
        x = x + W["deberta.embeddings.position_embeddings.weight"][np.arange(L)]
    if c["type_vocab_size"] > 0:
        x = x + W["deberta.embeddings.token_type_embeddings.weight"][tt]
    x = norm(W, x, "deberta.embeddings.LayerNorm", c)  # the mask multiplies nothing away in an unpadded row
    rel_emb = W["deberta.encoder.rel_embeddings.weight"]
    if c["norm_rel_ebd"] == "layer_norm":
        rel_emb = norm(W, rel_emb, "deberta.encoder.LayerNorm", c)
    att_span, _ = span(c)
    rel_emb = rel_emb[0: 2 * att_span]
    rel = relative_position(c, L)
    types_ = att_types(c)
    scale_factor = 1 + ("c2p" in types_) + ("p2c" in types_)
    for i in range(c["num_hidden_layers"]):
        p = f"deberta.encoder.layer.{i}.attention."
        q = heads(linear(W, x, p + "self.query_proj"), H)
        k = heads(linear(W, x, p + "self.key_proj"), H)
        v = heads(linear(W, x, p + "self.value_proj"), H)
        scale = math.sqrt(D * scale_factor)
        scores = q @ k.transpose(0, 2, 1) / scale
        if c["share_att_key"]:
            pos_q = heads(linear(W, rel_emb, p + "self.query_proj"), H)
            pos_k = heads(linear(W, rel_emb, p + "self.key_proj"), H)
        else:
            pos_k = heads(linear(W, rel_emb, p + "self.pos_key_proj"), H) if "c2p" in types_ else None
            pos_q = heads(linear(W, rel_emb, p + "self.pos_query_proj"), H) if "p2c" in types_ else None
        if "c2p" in types_:
            c2p = q @ pos_k.transpose(0, 2, 1)  # [H, L, 2 span]
            idx = np.clip(rel + att_span, 0, 2 * att_span - 1)
            scores = scores + np.take_along_axis(c2p, np.broadcast_to(idx, (H, L, L)), axis=-1) / scale
        if "p2c" in types_:
            p2c = k @ pos_q.transpose(0, 2, 1)  # [H, L(key), 2 span]
            idx = np.clip(-rel + att_span, 0, 2 * att_span - 1)
            g = np.take_along_axis(p2c, np.broadcast_to(idx, (H, L, L)), axis=-1)
            scores = scores + g.transpose(0, 2, 1) / scale
        a = np.exp(scores - scores.max(-1, keepdims=True))
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(L, H * D)
        x = norm(W, linear(W, ctx, p + "output.dense") + x, p + "output.LayerNorm", c)
        lp = f"deberta.encoder.layer.{i}."
        f = gelu(linear(W, x, lp + "intermediate.dense"))
        x = norm(W, linear(W, f, lp + "output.dense") + x, lp + "output.LayerNorm", c)
    return x


def score(c, W, ids, tt):
    """DebertaV2ForSequenceClassification: ContextPooler (dense + gelu on token 0), classifier."""
    hs = hidden_states(c, W, ids, tt)
    pooled = gelu(linear(W, hs[0], "pooler.dense"))
    return float(linear(W, pooled, "classifier")[0])


def mean_score(c, W, ids, tt):
    hs = hidden_states(c, W, ids, tt)
    return float(linear(W, hs.mean(0), "classifier")[0])


def variant(name, seed):
    c = dict(BASE, **VARIANTS[name])
    rng = np.random.default_rng(seed)
    W = {}
    for n in names(c):
        s = shape(c, n)
        if n.endswith("LayerNorm.weight"):
            W[n] = 1.0 + rng.normal(0, 0.1, s)
        elif n.endswith(".bias"):
            W[n] = rng.normal(0, 0.1, s)
        else:
            W[n] = rng.normal(0, 0.3, s)
    tts = [types(r) for r in ROWS]
    scores = [score(c, W, r, t) for r, t in zip(ROWS, tts)]
    means = [mean_score(c, W, r, t) for r, t in zip(ROWS, tts)]
    hidden = [hidden_states(c, W, r, t).reshape(-1).tolist() for r, t in zip(ROWS, tts)]
    picks = [("deberta.embeddings.word_embeddings.weight", 9 * 16 + 3), ("deberta.embeddings.LayerNorm.weight", 5),
             ("deberta.embeddings.LayerNorm.bias", 2),
             ("deberta.encoder.layer.0.attention.self.query_proj.weight", 37),
             ("deberta.encoder.layer.1.attention.self.key_proj.weight", 100),
             ("deberta.encoder.layer.2.attention.self.query_proj.bias", 3),
             ("deberta.encoder.layer.0.attention.self.key_proj.bias", 11),
             ("deberta.encoder.layer.1.attention.self.value_proj.weight", 211),
             ("deberta.encoder.layer.2.attention.output.dense.weight", 17),
             ("deberta.encoder.layer.0.attention.output.LayerNorm.weight", 7),
             ("deberta.encoder.layer.1.intermediate.dense.weight", 255),
             ("deberta.encoder.layer.2.output.dense.bias", 4), ("deberta.encoder.layer.0.output.LayerNorm.bias", 9),
             ("deberta.encoder.rel_embeddings.weight", 3 * 16 + 5), ("deberta.encoder.rel_embeddings.weight", 15 * 16 + 1),
             ("deberta.encoder.rel_embeddings.weight", 8 * 16 + 12),
             ("pooler.dense.weight", 100), ("pooler.dense.bias", 6), ("classifier.weight", 6), ("classifier.bias", 0)]
    if c["norm_rel_ebd"] == "layer_norm":
        picks += [("deberta.encoder.LayerNorm.weight", 3), ("deberta.encoder.LayerNorm.bias", 10)]
    if not c["share_att_key"]:
        picks += [("deberta.encoder.layer.1.attention.self.pos_key_proj.weight", 50),
                  ("deberta.encoder.layer.0.attention.self.pos_query_proj.weight", 77),
                  ("deberta.encoder.layer.2.attention.self.pos_query_proj.bias", 1)]
    if c["position_biased_input"]:
        picks += [("deberta.embeddings.position_embeddings.weight", 4 * 16 + 2)]
    if c["type_vocab_size"] > 0:
        picks += [("deberta.embeddings.token_type_embeddings.weight", 16 + 8)]
    probes = []
    eps = 1e-5
    for n, flat in picks:
        a = W[n].reshape(-1)
        flat = flat % a.size  # the v2 variant's relative table is smaller
        orig = a[flat]
        a[flat] = orig + eps
        plus = sum(score(c, W, r, t) for r, t in zip(ROWS, tts))
        a[flat] = orig - eps
        minus = sum(score(c, W, r, t) for r, t in zip(ROWS, tts))
        a[flat] = orig
        probes.append({"name": n, "index": flat, "gradient": (plus - minus) / (2 * eps)})
    print(name, "scores", scores, "mean", means)
    buckets = relative_position(c, 20)[0].tolist()  # relative positions of query 0 against keys 0..19
    return {"config": c, "scores": scores, "mean_scores": means, "hidden": hidden, "probes": probes,
            "relative_positions_row0": buckets,
            "weights": {n: {"shape": list(W[n].shape), "data": W[n].reshape(-1).tolist()} for n in W}}


def main():
    out = {"rows": ROWS, "token_types": [types(r) for r in ROWS],
           "variants": {"v3": variant("v3", 20261203), "v2": variant("v2", 7)}}
    with open("tiny_deberta.json", "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
