#!/usr/bin/env python3
"""Reference speed of a Qwen3-0.6B-shaped forward in PyTorch eager, for the ratio `benchmarks/run fused` prints.

Modelled on ../shared/bench/torch_reference_bench.py. Needs Debian's PyTorch (`apt-get install python3-torch`;
run with /usr/bin/python3). Random weights (std 0.02) and random token ids; the same shape as Bench.qwen3Times:
28 layers (--layers), hidden 1024, 16 query heads over 8 key/value heads of 128, intermediate 3072, RMSNorm on
q and k per head (Qwen3), rotary base 1e6, tied 151669-token embeddings; the forward computes the last position's
logits (as a generative reranker reads its answer tokens). Attention is eager (softmax(q k^T / sqrt(d) + causal) v),
as Hugging Face's eager attention computes it (Debian's torch 1.13 has no scaled_dot_product_attention).
Prints one JSON line: median seconds of the forward and tokens/s.
"""
import argparse, json, math, time
import torch
import torch.nn.functional as F


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", type=int, default=28); p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=256); p.add_argument("--steps", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1); p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0); torch.set_num_threads(a.threads)
    V, H, I, NH, NKV, D, eps = 151669, 1024, 3072, 16, 8, 128, 1e-6
    g = lambda *s: torch.randn(*s) * 0.02
    emb = g(V, H)
    layers = [dict(q=g(NH * D, H), k=g(NKV * D, H), v=g(NKV * D, H), o=g(H, NH * D), qn=torch.ones(D), kn=torch.ones(D),
                   n1=torch.ones(H), n2=torch.ones(H), gate=g(I, H), up=g(I, H), down=g(H, I)) for _ in range(a.layers)]
    norm = torch.ones(H)
    b, t = a.batch, a.seq
    ids = torch.randint(0, 150000, (b, t))
    inv = 1.0 / (1e6 ** (torch.arange(0, D, 2).float() / D))
    ang = torch.outer(torch.arange(t).float(), inv)
    cos, sin = torch.cat((ang, ang), -1).cos(), torch.cat((ang, ang), -1).sin()
    causal = torch.triu(torch.full((t, t), torch.finfo(torch.float32).min), 1)

    def forward():
        with torch.no_grad():
            x = F.embedding(ids, emb)
            for L in layers:
                h = rms(x, L["n1"], eps)
                q = F.linear(h, L["q"]).view(b, t, NH, D).transpose(1, 2)
                k = F.linear(h, L["k"]).view(b, t, NKV, D).transpose(1, 2)
                v = F.linear(h, L["v"]).view(b, t, NKV, D).transpose(1, 2)
                q, k = rms(q, L["qn"], eps), rms(k, L["kn"], eps)
                q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
                k, v = k.repeat_interleave(NH // NKV, 1), v.repeat_interleave(NH // NKV, 1)
                att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + causal, -1)
                c = (att @ v).transpose(1, 2).reshape(b, t, NH * D)
                x = x + F.linear(c, L["o"])
                h = rms(x, L["n2"], eps)
                x = x + F.linear(F.silu(F.linear(h, L["gate"])) * F.linear(h, L["up"]), L["down"])
            return F.linear(rms(x[:, -1], norm, eps), emb)

    for _ in range(a.warmup):
        forward()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter(); forward(); times.append(time.perf_counter() - t0)
    times.sort()
    s = times[len(times) // 2]
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "layers": a.layers, "batch": b, "seq": t,
                      "forward_s": round(s, 4), "tokens_per_s": round(b * t / s, 1)}))


if __name__ == "__main__":
    main()
