"""Expected values for RankingLossesTest's ranknet / listnet / mse / margin_mse cases (numpy, by definition)."""
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
