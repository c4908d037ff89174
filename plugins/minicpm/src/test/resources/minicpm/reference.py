"""Independent float64 numpy reference of FlagEmbedding's modeling_minicpm_reranker.py (LayerWiseMiniCPMForCausalLM,
head_type simple, head_multi) as bge-reranker-v2-minicpm-layerwise scores with it.

Writes tiny_minicpm.json: a tiny seeded random model (config + weights), the token rows, each row's score alone at
every head's layer (start_layer .. num_hidden_layers), central-difference gradients of a weighted sum of all layers'
scores (sum over layers of (layer + 1) * score) for a few probed weight entries, and FlagEmbedding's layerwise
training loss (group CE with the positive first, summed over the layers, plus the last layer's softmax distilled into
every earlier layer) of the rows laid out as groups, with its own central differences.
Run: python3 reference.py (numpy only).
"""
import json
import math
import numpy as np

CONFIG = {
    "model_type": "minicpm", "architectures": ["LayerWiseMiniCPMForCausalLM"], "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "max_position_embeddings": 128,
    "scale_emb": 12, "scale_depth": 1.4, "dim_model_base": 256, "start_layer": 1, "head_multi": True,
    "head_type": "simple", "tie_word_embeddings": False,
}
ROWS = [[1, 14, 15, 9, 26], [1, 35], [1, 9, 7, 9, 3, 33, 38, 4], [1, 22, 5], [1, 40, 41, 42, 43, 44], [1, 8]]
GROUPS = [[0, 1, 2], [3, 4, 5]]  # positive first


def names(c):
    out = ["model.embed_tokens.weight"]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [p + f"self_attn.{x}.weight" for x in ("q_proj", "k_proj", "v_proj", "o_proj")]
        out += [p + "input_layernorm.weight", p + "post_attention_layernorm.weight"]
        out += [p + f"mlp.{x}.weight" for x in ("gate_proj", "up_proj", "down_proj")]
    out.append("model.norm.weight")
    out += [f"lm_head.{k}.linear_head.weight" for k in range(c["num_hidden_layers"] + 1 - c["start_layer"])]
    return out


def shape(c, n):
    h, f = c["hidden_size"], c["intermediate_size"]
    kv = c["num_key_value_heads"] * h // c["num_attention_heads"]
    if n == "model.embed_tokens.weight":
        return (c["vocab_size"], h)
    if n.startswith("lm_head."):
        return (1, h)
    table = {"q_proj": (h, h), "k_proj": (kv, h), "v_proj": (kv, h), "o_proj": (h, h), "gate_proj": (f, h), "up_proj": (f, h), "down_proj": (h, f)}
    for k, s in table.items():
        if f".{k}." in n:
            return s
    return (h,)


def rms(x, w, eps):  # rms_layernorm: x * rsqrt(mean(x^2) + eps) * weight
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def rotate_half(x):
    d = x.shape[-1] // 2
    return np.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def scores(c, W, ids):
    """One unpadded row: {layer: score} for every head's layer, read at the last position."""
    L = len(ids)
    H, KV = c["num_attention_heads"], c["num_key_value_heads"]
    D = c["hidden_size"] // H
    n_layers = c["num_hidden_layers"]
    depth = c["scale_depth"] / math.sqrt(n_layers)
    x = W["model.embed_tokens.weight"][ids] * c["scale_emb"]
    pos = np.arange(L, dtype=np.float64)
    inv = 1.0 / c["rope_theta"] ** (np.arange(0, D, 2, dtype=np.float64) / D)
    fr = np.outer(pos, inv)
    emb = np.concatenate([fr, fr], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    causal = np.tril(np.ones((L, L), dtype=bool))
    out = {}

    def head(layer, hidden):
        normed = rms(hidden, W["model.norm.weight"], c["rms_norm_eps"])  # LayerWiseMiniCPMModel: self.norm(hidden)
        w = W[f"lm_head.{layer - c['start_layer']}.linear_head.weight"]
        out[layer] = float(normed[-1] @ w[0])  # simple head: no dim_model_base division

    for i in range(n_layers):
        if i >= c["start_layer"]:
            head(i, x)  # the hidden state before layer i = after i layers
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
        x = x + (ctx @ W[p + "self_attn.o_proj.weight"].T) * depth
        h = rms(x, W[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        g = silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)
        x = x + (g @ W[p + "mlp.down_proj.weight"].T) * depth
    head(n_layers, x)
    return out


def log_softmax(s):
    m = s.max(-1, keepdims=True)
    return s - m - np.log(np.exp(s - m).sum(-1, keepdims=True))


def layerwise_loss(c, W):
    """FlagEmbedding's layerwise finetune loss: sum over layers of CE(target 0) + last layer distilled into earlier."""
    per_row = [scores(c, W, r) for r in ROWS]
    layers = list(range(c["start_layer"], c["num_hidden_layers"] + 1))
    grids = {l: np.array([[per_row[i][l] for i in g] for g in GROUPS]) for l in layers}
    loss = 0.0
    for l in layers:
        loss += -np.mean(log_softmax(grids[l])[:, 0])
    teacher = np.exp(log_softmax(grids[layers[-1]]))  # detached: a constant of the student layers
    for l in layers[:-1]:
        loss += -np.mean(np.sum(log_softmax(grids[l]) * teacher, axis=-1))
    return float(loss), teacher


def main():
    rng = np.random.default_rng(20261203)
    W = {}
    for n in names(CONFIG):
        s = shape(CONFIG, n)
        W[n] = 1.0 + rng.normal(0, 0.1, s) if n.endswith("norm.weight") else rng.normal(0, 0.3, s)
    layers = list(range(CONFIG["start_layer"], CONFIG["num_hidden_layers"] + 1))
    per_row = [scores(CONFIG, W, r) for r in ROWS]

    def weighted():
        return sum((l + 1) * scores(CONFIG, W, r)[l] for r in ROWS for l in layers)

    probe_at = [("model.embed_tokens.weight", 14 * 32 + 5), ("model.layers.0.self_attn.q_proj.weight", 37),
                ("model.layers.0.self_attn.k_proj.weight", 100), ("model.layers.1.self_attn.v_proj.weight", 211),
                ("model.layers.2.self_attn.o_proj.weight", 400), ("model.layers.0.mlp.gate_proj.weight", 555),
                ("model.layers.1.mlp.up_proj.weight", 17), ("model.layers.2.mlp.down_proj.weight", 999),
                ("model.layers.0.input_layernorm.weight", 4), ("model.layers.1.post_attention_layernorm.weight", 30),
                ("model.norm.weight", 11), ("lm_head.0.linear_head.weight", 3), ("lm_head.2.linear_head.weight", 20)]
    eps = 1e-5

    def central(f):
        out = []
        for n, flat in probe_at:
            a = W[n].reshape(-1)
            orig = a[flat]
            a[flat] = orig + eps
            plus = f()
            a[flat] = orig - eps
            minus = f()
            a[flat] = orig
            out.append({"name": n, "index": flat, "gradient": (plus - minus) / (2 * eps)})
        return out

    probes = central(weighted)
    loss, teacher = layerwise_loss(CONFIG, W)
    # the teacher is detached: differentiate with the teacher held at its value
    fixed = teacher

    def loss_fixed_teacher():
        per = [scores(CONFIG, W, r) for r in ROWS]
        grids = {l: np.array([[per[i][l] for i in g] for g in GROUPS]) for l in layers}
        total = 0.0
        for l in layers:
            total += -np.mean(log_softmax(grids[l])[:, 0])
        for l in layers[:-1]:
            total += -np.mean(np.sum(log_softmax(grids[l]) * fixed, axis=-1))
        return total

    loss_probes = central(loss_fixed_teacher)
    out = {"config": CONFIG, "rows": ROWS, "groups": GROUPS, "layers": layers,
           "scores": [[per_row[i][l] for l in layers] for i in range(len(ROWS))], "probes": probes,
           "loss": loss, "loss_probes": loss_probes,
           "weights": {n: {"shape": list(W[n].shape), "data": W[n].reshape(-1).tolist()} for n in W}}
    with open("tiny_minicpm.json", "w") as f:
        json.dump(out, f)
    print("scores", out["scores"])
    print("loss", loss)


if __name__ == "__main__":
    main()
