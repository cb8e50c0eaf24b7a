#!/usr/bin/python3
"""Fits the straggler model of the paper's Figure 1 and writes it for the injector.

Hadidi et al. (DAC '19, Fig. 1): a master and three Raspberry Pi 3s on WiFi, each
computing a 2048-wide dense layer that alone takes 50 ms; "around 34% of the
arrival times is within 100 ms, and 42% is within 150 ms".

Family: a shifted log-normal for the arrival time after dispatch,
    A = 50 ms + exp(N(mu, sigma)),
the 50 ms being the Pi's compute (nothing can arrive before it) and the
log-normal the WiFi round trip and its stragglers. Two numbers fix the two
parameters exactly (delays.fit_shifted_lognormal). The paper's two numbers
read two ways:

  cumulative  P(A <= 100) = 0.34, P(A <= 150) = 0.42   (the text, literally)
  bars        P(50 < A <= 100) = 0.34, P(100 < A <= 150) = 0.42,
              i.e. P(A <= 100) = 0.34, P(A <= 150) = 0.76 (the histogram's bars;
              the extended paper, arXiv 2104.04447: the plot shows ~75% by 150 ms,
              a peak at 90-110 ms and a tail to ~500 ms)

Writes fit.csv (both fits) and pi-wifi-arrivals.txt: 4000 equal-probability
quantiles of the *bars* fit, which the runs inject (--straggler
empirical:file=...). The worker sleeps the injected delay after computing,
and this machine computes the block in well under the Pi's 50 ms, so the
file holds A minus what this machine itself takes from dispatch to arrival
(its compute and the messages): the median of that over a run with no
injected delay (calibrate.suite), given by --calibration SWEEP_DIR, clipped
at 0. Measured arrivals then follow the Pi's A at the median, with this
machine's own spread on top.

Usage: fit.py [--calibration SWEEP_DIR] [--out DIR] (default: this directory).
"""

import argparse
import csv
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import delays  # noqa: E402
import runs  # noqa: E402

PI_COMPUTE_MS = 50.0
READINGS = {
    "cumulative": ((100.0, 0.34), (150.0, 0.42)),
    "bars": ((100.0, 0.34), (150.0, 0.34 + 0.42)),
}
INJECTED = "bars"
QUANTILES = 4000


def fits():
    out = {}
    for name, (p1, p2) in READINGS.items():
        mu, sigma = delays.fit_shifted_lognormal(PI_COMPUTE_MS, p1, p2)
        out[name] = (mu, sigma, delays.shifted_lognormal(PI_COMPUTE_MS, mu, sigma))
    return out


def own_time_ms(sweep):
    """Median dispatch-to-arrival time with no injected delay, over the runs
    of a sweep of calibrate.suite."""
    rows = runs.ok_rows(sweep)
    times = np.concatenate([runs.arrivals_ms(runs.read_trace(os.path.join(sweep, r["trace"]))) for r in rows])
    return runs.percentile(times, 50)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--calibration", help="sweep of calibrate.suite (default: no offset)")
    args = parser.parse_args()
    offset = 0.0
    if args.calibration:
        offset = own_time_ms(args.calibration)
    rows = []
    for name, (mu, sigma, d) in fits().items():
        p50, p90, p99, p999 = d.ppf([0.5, 0.9, 0.99, 0.999])
        rows.append({
            "reading": name, "shift_ms": PI_COMPUTE_MS, "mu": f"{mu:.4f}", "sigma": f"{sigma:.4f}",
            "cdf_100ms": f"{float(d.cdf(100.0)):.4f}", "cdf_150ms": f"{float(d.cdf(150.0)):.4f}",
            "cdf_500ms": f"{float(d.cdf(500.0)):.4f}",
            "mode_ms": f"{PI_COMPUTE_MS + math.exp(mu - sigma ** 2):.1f}",
            "p50_ms": f"{p50:.1f}", "p90_ms": f"{p90:.1f}", "p99_ms": f"{p99:.1f}", "p99.9_ms": f"{p999:.1f}",
            "mean_ms": f"{d.mean():.1f}", "injected": "yes" if name == INJECTED else "no",
        })
    with open(os.path.join(args.out, "fit.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    mu, sigma, d = fits()[INJECTED]
    header = (f"The paper's Figure 1 arrival times on Raspberry Pi 3s over WiFi, fitted (experiments/results/figure1/fit.py):\n"
              f"A = {PI_COMPUTE_MS:g} ms + exp(N(mu={mu:.4f}, sigma={sigma:.4f})) ms, P(A<=100)=0.34, P(A<=150)=0.76,\n"
              f"minus {offset:.2f} ms (this machine's own median dispatch-to-arrival time, calibrate.suite), at least 0;\n"
              f"{QUANTILES} quantiles at (i+0.5)/{QUANTILES}, for --straggler empirical:file=THIS")
    injected = delays.Delay(d.spec, values=np.maximum(d.ppf((np.arange(QUANTILES) + 0.5) / QUANTILES) - offset, 0.0))
    delays.write_quantile_file(os.path.join(args.out, "pi-wifi-arrivals.txt"), injected, QUANTILES, header)
    with open(os.path.join(args.out, "offset.txt"), "w") as f:
        f.write(f"{offset:.3f}\n")
    print(f"offset {offset:.2f} ms (this machine's median dispatch-to-arrival time)")
    for r in rows:
        print(", ".join(f"{k} {v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
