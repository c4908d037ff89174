"""Independent float64 numpy reference of transformers' modeling_gemma.py (Gemma 1) as FlagEmbedding's LLM reranker.

Writes tiny_gemma.json: a tiny seeded random GemmaForCausalLM (config + weights), the token rows, the score of
each row alone (logit of the Yes token at the last position) and central-difference gradients of the summed scores
with respect to a few probed weight entries. Run: python3 gemma_reference.py (numpy only).
"""
import json
import math
import numpy as np

CONFIG = {
    "model_type": "gemma", "architectures": ["GemmaForCausalLM"], "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
    "head_dim": 16, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "gelu",
    "tie_word_embeddings": True, "max_position_embeddings": 128,
}
YES = 7
ROWS = [[2, 14, 15, 9, 26], [2, 35], [2, 9, 7, 9, 3, 33, 38, 4]]


def names(c):
    out = ["model.embed_tokens.weight"]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [p + f"self_attn.{x}.weight" for x in ("q_proj", "k_proj", "v_proj", "o_proj")]
        out += [p + "input_layernorm.weight", p + "post_attention_layernorm.weight"]
        out += [p + f"mlp.{x}.weight" for x in ("gate_proj", "up_proj", "down_proj")]
    return out + ["model.norm.weight"]


def shape(c, n):
    h, q, kv, f = c["hidden_size"], c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"], c["intermediate_size"]
    if n == "model.embed_tokens.weight":
        return (c["vocab_size"], h)
    table = {"q_proj": (q, h), "k_proj": (kv, h), "v_proj": (kv, h), "o_proj": (h, q), "gate_proj": (f, h), "up_proj": (f, h), "down_proj": (h, f)}
    for k, s in table.items():
        if f".{k}." in n:
            return s
    return (h,)


def rms(x, w, eps):  # GemmaRMSNorm: x / sqrt(mean(x^2) + eps) * (1 + w)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (1.0 + w)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def rotate_half(x):
    d = x.shape[-1] // 2
    return np.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def score(c, W, ids):
    """One unpadded row: the logit of YES at its last position."""
    L = len(ids)
    H, KV, D = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    x = W["model.embed_tokens.weight"][ids] * math.sqrt(c["hidden_size"])
    pos = np.arange(L, dtype=np.float64)
    inv = 1.0 / c["rope_theta"] ** (np.arange(0, D, 2, dtype=np.float64) / D)
    fr = np.outer(pos, inv)
    emb = np.concatenate([fr, fr], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    causal = np.tril(np.ones((L, L), dtype=bool))
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, W[p + "input_layernorm.weight"], c["rms_norm_eps"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).reshape(L, H, D).transpose(1, 0, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).reshape(L, KV, D).transpose(1, 0, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).reshape(L, KV, D).transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, H // KV, axis=0)  # repeat_kv
        v = np.repeat(v, H // KV, axis=0)
        a = q @ k.transpose(0, 2, 1) / math.sqrt(D)
        a = np.where(causal, a, -np.inf)
        a = np.exp(a - a.max(-1, keepdims=True))
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(L, H * D)
        x = x + ctx @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        g = gelu_tanh(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)
        x = x + g @ W[p + "mlp.down_proj.weight"].T
    x = rms(x, W["model.norm.weight"], c["rms_norm_eps"])
    return float(x[-1] @ W["model.embed_tokens.weight"][YES])  # tied lm_head


def main():
    rng = np.random.default_rng(20261202)
    W = {}
    for n in names(CONFIG):
        s = shape(CONFIG, n)
        W[n] = rng.normal(0, 0.1, s) if n.endswith("norm.weight") else rng.normal(0, 0.3, s)
    scores = [score(CONFIG, W, r) for r in ROWS]
    probes = []
    eps = 1e-5
    for n, flat in [("model.embed_tokens.weight", YES * 32 + 3), ("model.embed_tokens.weight", 14 * 32 + 5),
                    ("model.layers.0.self_attn.q_proj.weight", 37), ("model.layers.0.self_attn.k_proj.weight", 100),
                    ("model.layers.1.self_attn.v_proj.weight", 211), ("model.layers.1.self_attn.o_proj.weight", 400),
                    ("model.layers.0.mlp.gate_proj.weight", 555), ("model.layers.1.mlp.up_proj.weight", 17),
                    ("model.layers.0.mlp.down_proj.weight", 999), ("model.layers.0.input_layernorm.weight", 4),
                    ("model.layers.1.post_attention_layernorm.weight", 30), ("model.norm.weight", 11)]:
        a = W[n].reshape(-1)
        orig = a[flat]
        a[flat] = orig + eps
        plus = sum(score(CONFIG, W, r) for r in ROWS)
        a[flat] = orig - eps
        minus = sum(score(CONFIG, W, r) for r in ROWS)
        a[flat] = orig
        probes.append({"name": n, "index": flat, "gradient": (plus - minus) / (2 * eps)})
    out = {"config": CONFIG, "yes": YES, "rows": ROWS, "scores": scores, "probes": probes,
           "weights": {n: {"shape": list(W[n].shape), "data": W[n].reshape(-1).tolist()} for n in W}}
    with open("tiny_gemma.json", "w") as f:
        json.dump(out, f)
    print("scores", scores)


if __name__ == "__main__":
    main()
