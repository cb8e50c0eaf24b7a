"""Straggler delay models in Python, mirroring framework/fault/delay.hpp.

The same spec strings as `cdcnn run --straggler` (none, exp:mean=MS,
shifted-exp:shift=MS,mean=MS, pareto:scale=MS,shape=A, lognormal:mu=M,sigma=S,
empirical:file=PATH), each with its CDF, quantile function and sampler, so
that figure scripts can draw the analytic prediction beside a measurement.
Also the fit of the paper's Figure 1 (a shifted log-normal through two points
of its CDF) and the quantile files that feed it to the injector.
"""

import math
import os
from statistics import NormalDist

import numpy as np

_STANDARD_NORMAL = NormalDist()
_phi = np.vectorize(_STANDARD_NORMAL.cdf, otypes=[float])


def _phi_inverse(q):
    q = np.asarray(q, dtype=float)
    out = np.full(q.shape, np.nan)
    inside = (q > 0) & (q < 1)
    out[inside] = np.vectorize(_STANDARD_NORMAL.inv_cdf, otypes=[float])(q[inside])
    out[q <= 0] = -np.inf
    out[q >= 1] = np.inf
    return out


class Delay:
    """A delay distribution in milliseconds: one of the injector's families
    (kind "none", "exp" with shift, "pareto", "lognormal") or the values of
    an empirical file, each drawn with equal probability."""

    def __init__(self, spec, kind="none", shift=0.0, values=None, **params):
        self.spec = spec
        self._kind = "empirical" if values is not None else kind
        self._shift = shift
        self._values = values
        self._p = params

    def cdf(self, x_ms):
        x = np.asarray(x_ms, dtype=float)
        kind, p = self._kind, self._p
        if kind == "empirical":
            return np.searchsorted(self._values, x, side="right") / len(self._values)
        if kind == "none":
            return (x >= 0).astype(float)
        y = x - self._shift
        if kind == "exp":
            return np.where(y < 0, 0.0, -np.expm1(-np.maximum(y, 0) / p["mean"]))
        if kind == "pareto":
            return np.where(y < p["scale"], 0.0, 1 - (p["scale"] / np.maximum(y, p["scale"])) ** p["shape"])
        # lognormal
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(y, 0)) - p["mu"]) / p["sigma"]
        return np.where(y <= 0, 0.0, _phi(np.where(y <= 0, 0.0, z)))

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        kind, p = self._kind, self._p
        if kind == "empirical":
            # The smallest value whose CDF reaches q.
            idx = np.clip(np.ceil(q * len(self._values)).astype(int) - 1, 0, len(self._values) - 1)
            return self._values[idx]
        if kind == "none":
            return np.zeros_like(q)
        if kind == "exp":
            return self._shift - p["mean"] * np.log1p(-q)
        if kind == "pareto":
            return self._shift + p["scale"] / (1 - q) ** (1 / p["shape"])
        return self._shift + np.exp(p["mu"] + p["sigma"] * _phi_inverse(q))

    def sample(self, rng, size):
        kind, p = self._kind, self._p
        if kind == "empirical":
            return self._values[rng.integers(0, len(self._values), size=size)]
        if kind == "none":
            return np.zeros(size)
        if kind == "exp":
            return self._shift + rng.exponential(p["mean"], size=size)
        if kind == "pareto":
            return self.ppf(rng.random(size=size))
        return self._shift + rng.lognormal(p["mu"], p["sigma"], size=size)

    def mean(self):
        kind, p = self._kind, self._p
        if kind == "empirical":
            return float(np.mean(self._values))
        if kind == "none":
            return 0.0
        if kind == "exp":
            return self._shift + p["mean"]
        if kind == "pareto":
            return self._shift + (p["shape"] * p["scale"] / (p["shape"] - 1) if p["shape"] > 1 else math.inf)
        return self._shift + math.exp(p["mu"] + p["sigma"] ** 2 / 2)


def _parameters(spec, allowed):
    name, _, rest = spec.partition(":")
    params = {}
    for piece in filter(None, rest.split(",")):
        key, eq, value = piece.partition("=")
        if not eq or key not in allowed:
            raise ValueError(f"straggler spec '{spec}': expected {name}:{'=..,'.join(allowed)}=.., got '{piece}'")
        params[key] = value
    missing = [k for k in allowed if k not in params]
    if missing:
        raise ValueError(f"straggler spec '{spec}': missing {', '.join(missing)}")
    return params


def read_delay_file(path):
    """The numbers of an empirical delay file (what the injector reads):
    whitespace- or comma-separated milliseconds, '#' comments."""
    values = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].replace(",", " ")
            values.extend(float(tok) for tok in line.split())
    if not values:
        raise ValueError(f"{path}: no delays in the file")
    return np.sort(np.array(values))


def parse(spec, base_dir="."):
    """A Delay from a --straggler spec; `base_dir` resolves empirical files
    the way a suite does (relative to the suite file)."""
    if "@" in spec:
        raise ValueError(f"straggler spec '{spec}': per-rank specs (RANKS@SPEC) are not modelled here")
    name = spec.partition(":")[0]
    if name == "none":
        return Delay(spec)
    if name == "exp":
        p = _parameters(spec, ["mean"])
        return Delay(spec, "exp", mean=float(p["mean"]))
    if name == "shifted-exp":
        p = _parameters(spec, ["shift", "mean"])
        return Delay(spec, "exp", shift=float(p["shift"]), mean=float(p["mean"]))
    if name == "pareto":
        p = _parameters(spec, ["scale", "shape"])
        return Delay(spec, "pareto", scale=float(p["scale"]), shape=float(p["shape"]))
    if name == "lognormal":
        p = _parameters(spec, ["mu", "sigma"])
        return Delay(spec, "lognormal", mu=float(p["mu"]), sigma=float(p["sigma"]))
    if name == "empirical":
        p = _parameters(spec, ["file"])
        return Delay(spec, values=read_delay_file(os.path.join(base_dir, p["file"])))
    raise ValueError(f"unknown straggler model '{name}' (known: none, exp, shifted-exp, pareto, lognormal, empirical)")


def fit_shifted_lognormal(shift, point1, point2):
    """(mu, sigma) of shift + exp(N(mu, sigma)) whose CDF passes through
    point1 = (x1, p1) and point2 = (x2, p2), x1 < x2, p1 < p2, both x > shift:
    ln(x - shift) = mu + sigma * z(p) at both points, two linear equations."""
    (x1, p1), (x2, p2) = point1, point2
    if not (shift < x1 < x2 and 0 < p1 < p2 < 1):
        raise ValueError(f"fit_shifted_lognormal: need shift < x1 < x2 and 0 < p1 < p2 < 1, got "
                         f"shift={shift}, {point1}, {point2}")
    z1, z2 = _STANDARD_NORMAL.inv_cdf(p1), _STANDARD_NORMAL.inv_cdf(p2)
    sigma = (math.log(x2 - shift) - math.log(x1 - shift)) / (z2 - z1)
    mu = math.log(x1 - shift) - sigma * z1
    return mu, sigma


def shifted_lognormal(shift, mu, sigma):
    return Delay(f"shift={shift}+lognormal:mu={mu},sigma={sigma}", "lognormal", shift=shift, mu=mu, sigma=sigma)


def write_quantile_file(path, delay, count, header):
    """Writes `count` quantiles of `delay`, at (i + 0.5) / count, one per line:
    an empirical:file for the injector, which draws one uniformly — the
    distribution discretised on equal-probability steps, no sampling noise."""
    q = (np.arange(count) + 0.5) / count
    values = delay.ppf(q)
    with open(path, "w") as f:
        for line in header.strip().splitlines():
            f.write(f"# {line}\n")
        for v in values:
            f.write(f"{v:.3f}\n")
