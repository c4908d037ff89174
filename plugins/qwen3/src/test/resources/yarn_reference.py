# Independent reference for YarnTest: YaRN inverse frequencies and attention factor written from the formulas of
# transformers' _compute_yarn_parameters (numpy, float64). Run: python3 yarn_reference.py
import math
import numpy as np


def yarn(theta, dim, factor, orig, beta_fast=32, beta_slow=1, mscale=None, mscale_all_dim=None, truncate=True):
    def get_mscale(scale, m=1.0):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if mscale and mscale_all_dim:
        attention = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
    else:
        attention = get_mscale(factor)

    def corr(rot):
        return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(theta))

    low, high = corr(beta_fast), corr(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    pos = theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    extra = 1.0 / pos
    inter = 1.0 / (factor * pos)
    keep = 1 - ramp
    return inter * (1 - keep) + extra * keep, attention


for name, args in [
    ("A", dict(theta=10000.0, dim=16, factor=4.0, orig=256)),
    ("B", dict(theta=10000.0, dim=16, factor=4.0, orig=256, beta_fast=16, beta_slow=2, mscale=1.0, mscale_all_dim=0.5,
               truncate=False)),
    ("C", dict(theta=1000000.0, dim=128, factor=4.0, orig=32768)),
]:
    inv, att = yarn(**args)
    print(name, repr(att))
    print("  " + ", ".join(repr(float(v)) for v in inv))
