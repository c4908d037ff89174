"""Independent float64 numpy reference of transformers' modeling_modernbert.py (ModernBertModel and
ModernBertForSequenceClassification, the eager/SDPA path with its sliding-window mask).

Writes tiny_modernbert.json: tiny seeded random ModernBERTs of the real architecture (4 layers, so that layers 0 and 3
are global and 1 and 2 local; a window of 8, i.e. |i - j| <= 4, shorter than the longer rows), in two variants:
"plain" has the published settings (no biases anywhere, LayerNorm without bias, mean pooling) and "biased" turns every
bias on with cls pooling. For each variant: the config, the weights (ModernBertForSequenceClassification names), the
token rows, for each row alone its classification logit and its final-norm hidden states, and central-difference
gradients of the summed logits with respect to a few probed weight entries.
Run: python3 modernbert_reference.py (numpy only).
"""
import json
import math
import numpy as np

BASE = {
    "model_type": "modernbert", "architectures": ["ModernBertForSequenceClassification"], "vocab_size": 64,
    "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 4, "num_attention_heads": 2,
    "max_position_embeddings": 64, "norm_eps": 1e-5, "global_rope_theta": 160000.0, "local_rope_theta": 10000.0,
    "global_attn_every_n_layers": 3, "local_attention": 8, "hidden_activation": "gelu",
    "classifier_activation": "gelu", "attention_dropout": 0.0, "embedding_dropout": 0.0, "mlp_dropout": 0.0,
    "classifier_dropout": 0.0, "pad_token_id": 3, "cls_token_id": 1, "sep_token_id": 2, "bos_token_id": 1,
    "eos_token_id": 2, "initializer_range": 0.02, "initializer_cutoff_factor": 2.0, "reference_compile": False,
    "deterministic_flash_attn": False, "sparse_prediction": False, "sparse_pred_ignore_index": -100,
    "decoder_bias": True, "position_embedding_type": "absolute", "torch_dtype": "float32", "num_labels": 1,
}
VARIANTS = {
    "plain": {"attention_bias": False, "mlp_bias": False, "norm_bias": False, "classifier_bias": False,
              "classifier_pooling": "mean"},
    "biased": {"attention_bias": True, "mlp_bias": True, "norm_bias": True, "classifier_bias": True,
               "classifier_pooling": "cls"},
}
# [CLS] query [SEP] document [SEP]; the longer rows exceed the local window of 8
ROWS = [[1, 5, 9, 2, 7, 2], [1, 11, 2, 13, 17, 19, 23, 29, 31, 37, 41, 2],
        [1, 4, 6, 8, 10, 2, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 2], [1, 40, 2, 50, 2]]


def names(c):
    out = ["model.embeddings.tok_embeddings.weight", "model.embeddings.norm.weight"]
    nb = c["norm_bias"]
    if nb:
        out.append("model.embeddings.norm.bias")
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if i != 0:  # layer 0's attn_norm is nn.Identity
            out.append(p + "attn_norm.weight")
            if nb:
                out.append(p + "attn_norm.bias")
        for m, bias in (("attn.Wqkv", c["attention_bias"]), ("attn.Wo", c["attention_bias"]),
                        ("mlp_norm", nb), ("mlp.Wi", c["mlp_bias"]), ("mlp.Wo", c["mlp_bias"])):
            out.append(p + m + ".weight")
            if bias:
                out.append(p + m + ".bias")
    out.append("model.final_norm.weight")
    if nb:
        out.append("model.final_norm.bias")
    out.append("head.dense.weight")
    if c["classifier_bias"]:
        out.append("head.dense.bias")
    out.append("head.norm.weight")
    if nb:
        out.append("head.norm.bias")
    return out + ["classifier.weight", "classifier.bias"]


def shape(c, n):
    h, f = c["hidden_size"], c["intermediate_size"]
    if n.endswith("tok_embeddings.weight"):
        return (c["vocab_size"], h)
    table = {"attn.Wqkv": (3 * h, h), "attn.Wo": (h, h), "mlp.Wi": (2 * f, h), "mlp.Wo": (h, f), "head.dense": (h, h),
             "classifier": (1, h)}
    for k, s in table.items():
        if (n.startswith(k + ".") or f".{k}." in n):
            return s if n.endswith(".weight") else (s[0],)
    return (h,)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps) * w
    return y + b if b is not None else y


_erf = np.vectorize(math.erf)


def gelu(x):  # ACT2FN["gelu"]: the exact erf GELU
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def rotate_half(x):
    d = x.shape[-1] // 2
    return np.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def linear(W, x, name):
    y = x @ W[name + ".weight"].T
    return y + W[name + ".bias"] if name + ".bias" in W else y


def norm(W, x, name, c):
    return layer_norm(x, W[name + ".weight"], W.get(name + ".bias"), c["norm_eps"])


def hidden_states(c, W, ids):
    """One unpadded row: ModernBertModel's last_hidden_state (after final_norm)."""
    L = len(ids)
    H = c["num_attention_heads"]
    D = c["hidden_size"] // H
    x = norm(W, W["model.embeddings.tok_embeddings.weight"][ids], "model.embeddings.norm", c)
    pos = np.arange(L, dtype=np.float64)
    dist = np.abs(pos[:, None] - pos[None, :])
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        is_global = i % c["global_attn_every_n_layers"] == 0
        theta = c["global_rope_theta"] if is_global else c["local_rope_theta"]
        inv = 1.0 / theta ** (np.arange(0, D, 2, dtype=np.float64) / D)
        fr = np.outer(pos, inv)
        emb = np.concatenate([fr, fr], axis=-1)
        cos, sin = np.cos(emb), np.sin(emb)
        h = x if i == 0 else norm(W, x, p + "attn_norm", c)
        qkv = linear(W, h, p + "attn.Wqkv").reshape(L, 3, H, D)  # view(bs, -1, 3, heads, head_dim)
        q, k, v = (qkv[:, t].transpose(1, 0, 2) for t in range(3))  # [H, L, D]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = q @ k.transpose(0, 2, 1) / math.sqrt(D)
        if not is_global:  # sliding window: key j is visible from query i when |i - j| <= local_attention // 2
            a = np.where(dist <= c["local_attention"] // 2, a, -np.inf)
        a = np.exp(a - a.max(-1, keepdims=True))
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(L, H * D)
        x = x + linear(W, ctx, p + "attn.Wo")
        m = linear(W, norm(W, x, p + "mlp_norm", c), p + "mlp.Wi")
        inp, gate = m[:, : c["intermediate_size"]], m[:, c["intermediate_size"]:]  # chunk(2, dim=-1)
        x = x + linear(W, gelu(inp) * gate, p + "mlp.Wo")
    return norm(W, x, "model.final_norm", c)


def score(c, W, ids):
    hs = hidden_states(c, W, ids)
    pooled = hs[0] if c["classifier_pooling"] == "cls" else hs.mean(0)
    head = norm(W, gelu(linear(W, pooled, "head.dense")), "head.norm", c)
    return float(linear(W, head, "classifier")[0])


def variant(name, seed):
    c = dict(BASE, **VARIANTS[name])
    rng = np.random.default_rng(seed)
    W = {}
    for n in names(c):
        s = shape(c, n)
        if n.endswith("norm.weight"):
            W[n] = 1.0 + rng.normal(0, 0.1, s)
        elif n.endswith(".bias"):
            W[n] = rng.normal(0, 0.1, s)
        else:
            W[n] = rng.normal(0, 0.3, s)
    scores = [score(c, W, r) for r in ROWS]
    hidden = [hidden_states(c, W, r).reshape(-1).tolist() for r in ROWS]
    probes = []
    eps = 1e-5
    picks = [("model.embeddings.tok_embeddings.weight", 9 * 16 + 3), ("model.embeddings.norm.weight", 5),
             ("model.layers.0.attn.Wqkv.weight", 37), ("model.layers.1.attn.Wqkv.weight", 16 * 16 + 100),
             ("model.layers.2.attn.Wo.weight", 211), ("model.layers.1.attn_norm.weight", 7),
             ("model.layers.3.mlp.Wi.weight", 555), ("model.layers.2.mlp.Wo.weight", 17),
             ("model.layers.0.mlp_norm.weight", 4), ("model.final_norm.weight", 11), ("head.dense.weight", 100),
             ("head.norm.weight", 2), ("classifier.weight", 6), ("classifier.bias", 0)]
    if c["attention_bias"]:
        picks += [("model.layers.1.attn.Wqkv.bias", 40), ("model.layers.3.mlp.Wi.bias", 30),
                  ("model.final_norm.bias", 3), ("head.dense.bias", 9)]
    for n, flat in picks:
        a = W[n].reshape(-1)
        orig = a[flat]
        a[flat] = orig + eps
        plus = sum(score(c, W, r) for r in ROWS)
        a[flat] = orig - eps
        minus = sum(score(c, W, r) for r in ROWS)
        a[flat] = orig
        probes.append({"name": n, "index": flat, "gradient": (plus - minus) / (2 * eps)})
    print(name, "scores", scores)
    return {"config": c, "scores": scores, "hidden": hidden, "probes": probes,
            "weights": {n: {"shape": list(W[n].shape), "data": W[n].reshape(-1).tolist()} for n in W}}


def main():
    out = {"rows": ROWS, "variants": {"plain": variant("plain", 20261202), "biased": variant("biased", 11)}}
    with open("tiny_modernbert.json", "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
