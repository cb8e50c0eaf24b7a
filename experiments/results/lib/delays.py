"""Straggler delay models in Python, mirroring framework/fault/delay.hpp.

The same spec strings as `cdcnn run --straggler` (none, exp:mean=MS,
shifted-exp:shift=MS,mean=MS, pareto:scale=MS,shape=A, lognormal:mu=M,sigma=S,
empirical:file=PATH), each with its CDF, quantile function and sampler, so
that figure scripts can draw the analytic prediction beside a measurement.
Also the fit of the seed's Figure 1 (a shifted log-normal through two points
of its CDF) and the quantile files that feed it to the injector.
"""

import math
import os

import numpy as np
from scipy import stats


class Delay:
    """A delay distribution in milliseconds."""

    def __init__(self, spec, dist=None, shift=0.0, values=None):
        self.spec = spec
        self._dist = dist            # a frozen scipy distribution, or None
        self._shift = shift
        self._values = values        # sorted samples (empirical), or None

    def cdf(self, x_ms):
        x = np.asarray(x_ms, dtype=float)
        if self._values is not None:
            return np.searchsorted(self._values, x, side="right") / len(self._values)
        if self._dist is None:
            return (x >= 0).astype(float)
        return self._dist.cdf(x - self._shift)

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        if self._values is not None:
            # The injector draws one of the values uniformly: the smallest
            # value whose CDF reaches q.
            idx = np.clip(np.ceil(q * len(self._values)).astype(int) - 1, 0, len(self._values) - 1)
            return self._values[idx]
        if self._dist is None:
            return np.zeros_like(q)
        return self._shift + self._dist.ppf(q)

    def sample(self, rng, size):
        if self._values is not None:
            return self._values[rng.integers(0, len(self._values), size=size)]
        if self._dist is None:
            return np.zeros(size)
        return self._shift + self._dist.rvs(size=size, random_state=rng)

    def mean(self):
        if self._values is not None:
            return float(np.mean(self._values))
        if self._dist is None:
            return 0.0
        return self._shift + float(self._dist.mean())


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
        return Delay(spec, stats.expon(scale=float(p["mean"])))
    if name == "shifted-exp":
        p = _parameters(spec, ["shift", "mean"])
        return Delay(spec, stats.expon(scale=float(p["mean"])), shift=float(p["shift"]))
    if name == "pareto":
        p = _parameters(spec, ["scale", "shape"])
        return Delay(spec, stats.pareto(b=float(p["shape"]), scale=float(p["scale"])))
    if name == "lognormal":
        p = _parameters(spec, ["mu", "sigma"])
        return Delay(spec, stats.lognorm(s=float(p["sigma"]), scale=math.exp(float(p["mu"]))))
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
    z1, z2 = stats.norm.ppf(p1), stats.norm.ppf(p2)
    sigma = (math.log(x2 - shift) - math.log(x1 - shift)) / (z2 - z1)
    mu = math.log(x1 - shift) - sigma * z1
    return mu, sigma


def shifted_lognormal(shift, mu, sigma):
    return Delay(f"shift={shift}+lognormal:mu={mu},sigma={sigma}",
                 stats.lognorm(s=sigma, scale=math.exp(mu)), shift=shift)


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
