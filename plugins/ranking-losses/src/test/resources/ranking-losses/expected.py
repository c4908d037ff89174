"""Expected values for the ranking-losses tests (numpy, by definition or transcribed from sentence-transformers)."""
import numpy as np
np.set_printoptions(precision=10)
sig = lambda x: 1 / (1 + np.exp(-x))
def softmax(v): e = np.exp(v - v.max()); return e / e.sum()

# ranknet: scores, graded labels with a tie, mask (9 is padding)
S = np.array([[2, 0.5, -1], [1, 3, 9]], float); Y = np.array([[2, 1, 1], [1, 0, 5]], float); M = np.array([[1, 1, 1], [1, 1, 0]])
def ranknet(S, sigma=1.0):
    terms, grad = [], np.zeros_like(S)
    for g in range(2):
        for i in range(3):
            for j in range(3):
                if M[g, i] and M[g, j] and Y[g, i] > Y[g, j]:
                    d = sigma * (S[g, i] - S[g, j]); terms.append(-np.log2(sig(d)))
                    gi = -(1 - sig(d)) * sigma / np.log(2); grad[g, i] += gi; grad[g, j] -= gi
    return np.mean(terms), grad / len(terms)
v, g = ranknet(S); print("ranknet", repr(v), g.ravel().tolist())
print("ranknet sigma2", repr(ranknet(S, 2.0)[0]))

# listnet: graded labels, padding in group 2
S2 = np.array([[3, 1, 0], [0, 2, 99]], float); Y2 = np.array([[2, 1, 0], [1, 1, 7]], float)
tot = 0; grad = np.zeros_like(S2)
for g, n in [(0, 3), (1, 2)]:
    p = softmax(Y2[g, :n]); q = softmax(S2[g, :n]); tot += -(p * np.log(q)).sum(); grad[g, :n] = (q - p) / 2
print("listnet", repr(tot / 2), grad.ravel().tolist())

# mse / margin_mse: teacher scores, 99 padding
S3 = np.array([[2, 1, 0.5], [1, 3, 99]], float); T3 = np.array([[4, 1, 2], [0, 1, -5]], float); M3 = np.array([[1, 1, 1], [1, 1, 0]])
print("mse", repr(((S3 - T3) ** 2 * M3).sum() / M3.sum()))
d = [((S3[g, 0] - S3[g, j]) - (T3[g, 0] - T3[g, j])) ** 2 for g in range(2) for j in range(1, 3) if M3[g, j]]
print("margin_mse", repr(np.mean(d)))


# ---- lambda_loss / ranknet options: sentence-transformers lambda_loss.py transcribed, sorts stable ----
sig = lambda x: 1 / (1 + np.exp(-x))

def lambda_loss(S, Y, M, scheme="ndcg_loss2pp", k=None, sigma=1.0, eps=1e-10, log="binary", mu=10.0):
    """LambdaLoss.forward transcribed (sentence-transformers lambda_loss.py), sorts stable; returns loss, dloss/dS."""
    B, W = S.shape
    logits = np.where(M > 0, S, -1e16)
    labels = np.where(M > 0, Y, -np.inf)
    idx = np.argsort(-logits, axis=1, kind="stable")
    ls = np.take_along_axis(logits, idx, 1)
    lab_sorted = -np.sort(-labels, axis=1)
    tsp = np.take_along_axis(labels, idx, 1)
    with np.errstate(invalid="ignore"):
        td = tsp[:, :, None] - tsp[:, None, :]
    mask = np.isfinite(td)
    if scheme != "ndcg_loss1":
        mask = mask & (td > 0)
    kk = k or W
    km = np.zeros((W, W), bool); km[:kk, :kk] = True
    tsp = np.maximum(tsp, 0); lab_sorted = np.maximum(lab_sorted, 0)
    disc = np.log2(1.0 + np.arange(1, W + 1))[None, :]
    maxdcg = np.maximum((((2 ** lab_sorted) - 1) / disc)[:, :kk].sum(-1), eps)
    G = (2 ** tsp - 1) / maxdcg[:, None]
    def l2():
        p = np.arange(1, W + 1); d = np.abs(p[:, None] - p[None, :])
        # torch indexes discount[0, d] with d <= W-1 always; same here
        dl = np.abs(1 / np.abs(disc[0, d - 1]) - 1 / np.abs(disc[0, d]))
        np.fill_diagonal(dl, 0)
        return dl[None] * np.abs(G[:, :, None] - G[:, None, :])
    def lr():
        return np.abs(1 / disc[:, :, None] - 1 / disc[:, None, :]) * np.abs(G[:, :, None] - G[:, None, :])
    w = {"none": np.ones((B, W, W)), "ndcg_loss1": np.broadcast_to((G / disc)[:, :, None], (B, W, W)),
         "ndcg_loss2": None, "lambdarank": None, "ndcg_loss2pp": None}[scheme]
    if scheme == "ndcg_loss2": w = l2()
    if scheme == "lambdarank": w = lr()
    if scheme == "ndcg_loss2pp": w = mu * l2() + lr()
    sd = np.clip(ls[:, :, None] - ls[:, None, :], -1e8, 1e8)
    p = sig(sigma * sd)
    pc = np.maximum(p, eps)
    wp = np.maximum(pc ** w, eps)
    L = np.log(wp) if log == "natural" else np.log2(wp)
    sel = mask & km[None]
    n = sel.sum()
    loss = -L[sel].mean()
    # gradient: d(-w log p)/d sd = -w sigma (1 - p) / base where no clamp is active
    base = 1.0 if log == "natural" else np.log(2)
    active = (p >= eps) & (pc ** w >= eps) & sel
    g = np.where(active, -w * sigma * (1 - p) / base, 0.0) / n
    gs = g.sum(2) - g.sum(1)                      # d/d sorted logits
    grad = np.zeros_like(S)
    np.put_along_axis(grad, idx, gs, 1)
    return loss, grad * (M > 0)

S = np.array([[2, 0.5, -1, 0.3], [1, 3, 0.5, 9]], float)
Y = np.array([[2, 1, 1, 0], [1, 0, 2, 5]], float)
M = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], float)
for scheme in ["none", "ndcg_loss1", "ndcg_loss2", "lambdarank", "ndcg_loss2pp"]:
    v, g = lambda_loss(S, Y, M, scheme)
    print("A", scheme, repr(v), g.ravel().tolist())
for scheme in ["ndcg_loss2pp", "lambdarank", "none"]:
    print("A k=2 natural sigma 2", scheme, repr(lambda_loss(S, Y, M, scheme, k=2, sigma=2.0, log="natural")[0]))
# score ties (entries 0, 1 of group 0 and 1, 2 of group 1) break by input order
S2 = np.array([[1, 1, 0.5], [0, 2, 2]], float); Y2 = np.array([[0, 1, 1], [3, 0, 1]], float); M2 = np.ones((2, 3))
for scheme in ["ndcg_loss2pp", "ndcg_loss1"]:
    v, g = lambda_loss(S2, Y2, M2, scheme); print("B", scheme, repr(v), g.ravel().tolist())
print("B mu 1", repr(lambda_loss(S2, Y2, M2, "ndcg_loss2pp", mu=1.0)[0]))


# ---- listmle / plistmle, mnrl, distill_ce: by definition, gradients derived by hand ----
def logsoftmax(v): return v - v.max() - np.log(np.exp(v - v.max()).sum())

def plistmle(S, Y, M, weighted, respect=True):
    """PListMLELoss.forward transcribed (v5.7, padding masked before the cumsum); exp without shift; loss and grad."""
    B, W = S.shape
    tot = 0; grad = np.zeros_like(S)
    for g in range(B):
        real = [i for i in range(W) if M[g, i]]
        order = real if respect else sorted(real, key=lambda i: -Y[g, i])   # python sort is stable
        s = S[g, order]; n = len(s)
        e = np.exp(s)
        cum = np.array([e[r:].sum() for r in range(n)])
        logp = s - np.log(cum + 1e-10)
        if weighted:
            lam = 2.0 ** (n - np.arange(n)) - 1; lam = lam / (lam.sum() + 1e-10)
        else:
            lam = np.ones(n)
        tot += -(lam * logp).sum()
        # d/ds_j of -sum_r lam_r (s_r - log(cum_r + eps)) = -lam_j + sum_{r<=j} lam_r e_j / (cum_r + eps)
        gs = np.array([-lam[j] + sum(lam[r] * e[j] / (cum[r] + 1e-10) for r in range(j + 1)) for j in range(n)])
        for j, i in enumerate(order): grad[g, i] = gs[j] / B
    return tot / B, grad

S = np.array([[2, 0.5, -1, 1.5], [1, 3, 0.5, 9]], float)
Y = np.array([[3, 1, 1, 2], [1, 0, 2, 5]], float)       # labels tie (1, 1); the 9 / label 5 is padding
M = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], float)
for w in [False, True]:
    for respect in [True, False]:
        v, g = plistmle(S, Y, M, w, respect)
        print("listmle" if not w else "plistmle", "respect" if respect else "by-label", repr(v), g.ravel().tolist())

def mnrl(S, M, scale=10.0, act="sigmoid"):
    a = {"sigmoid": sig, "identity": lambda x: x, "tanh": np.tanh}[act]
    da = {"sigmoid": lambda x: sig(x) * (1 - sig(x)), "identity": lambda x: np.ones_like(x), "tanh": lambda x: 1 - np.tanh(x) ** 2}[act]
    B, W = S.shape; tot = 0; grad = np.zeros_like(S)
    for g in range(B):
        real = [i for i in range(W) if M[g, i]]
        z = scale * a(S[g, real])
        tot += -logsoftmax(z)[0]
        p = softmax(z); p[0] -= 1
        grad[g, real] = p * scale * da(S[g, real]) / B
    return tot / B, grad
S3 = np.array([[0.8, -0.3, 1.2, 0.1], [-0.5, 0.4, 0.0, 7]], float); M3 = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], float)
for act, scale in [("sigmoid", 10.0), ("identity", 1.0), ("tanh", 10.0)]:
    v, g = mnrl(S3, M3, scale, act); print("mnrl", act, scale, repr(v), g.ravel().tolist())

def distill(S, T, M, temp=1.0, ce=0.0):
    B, W = S.shape; tot = 0; grad = np.zeros_like(S)
    for g in range(B):
        real = [i for i in range(W) if M[g, i]]
        s = S[g, real]; p = softmax(T[g, real] / temp); q = softmax(s)
        tot += -(p * logsoftmax(s)).sum() + ce * -logsoftmax(s)[0]
        onehot = np.zeros(len(s)); onehot[0] = 1
        grad[g, real] = ((q - p) + ce * (q - onehot)) / B
    return tot / B, grad
S4 = np.array([[2, 1, 0.5, 1], [1, 3, 99, 0]], float); T4 = np.array([[4, 1, 2, 2], [0, 1, -5, 0]], float)
M4 = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], float)    # teacher tie (2, 2) in group 0; two padded slots in group 1
for temp, ce in [(1.0, 0.0), (3.0, 0.0), (1.0, 1.0), (0.5, 0.3)]:
    v, g = distill(S4, T4, M4, temp, ce); print("distill_ce", temp, ce, repr(v), g.ravel().tolist())
