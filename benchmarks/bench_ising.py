"""Ising Metropolis speed: physbook against a naive Python loop and a numba scalar checkerboard.

Prints spin-flip attempts per nanosecond (medians of repeats) and the ratios,
for L = 64, 256, 1024 and a batch of 64 lattices of 64 x 64, at T = Tc.
Everything runs on one core: the process is pinned to one CPU before JAX and
numba start (XLA then has one thread to use). numba is a benchmark-only
dependency and is imported only here.

Run alone: ``python benchmarks/bench_ising.py`` (add ``--quick`` for a short run).
"""
from __future__ import annotations

import math
import os
import random
import sys
from pathlib import Path

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from _timing import median_time  # noqa: E402

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))
CASES = (("L=64", (64, 64)), ("L=256", (256, 256)), ("L=1024", (1024, 1024)),
         ("64 x 64^2", (64, 64, 64)))


# ----------------------------------------------------------------- peers

def naive_sweep(s, beta, rand):
    """One Metropolis sweep as a plain Python double loop over a list of lists."""
    L = len(s)
    exp = math.exp
    for i in range(L):
        row, up, down = s[i], s[i - 1], s[(i + 1) % L]
        for j in range(L):
            dE = 2 * row[j] * (up[j] + down[j] + row[j - 1] + row[(j + 1) % L])
            if dE <= 0 or rand() < exp(-beta * dE):
                row[j] = -row[j]


def make_numba():
    from numba import njit

    @njit(cache=False)
    def sweeps(s, beta, n_sweeps, state):
        """Checkerboard Metropolis on (n, L, L) int8 spins, xorshift64 random words.

        Scalar code as one would write it by hand: neighbour indices without
        modulo in the inner loop, acceptance as an integer comparison of the
        raw random word with a threshold table (no float conversion, no exp).
        """
        n, L, _ = s.shape
        thr = np.empty(9, dtype=np.uint64)
        for y in range(-4, 5):
            p = min(1.0, math.exp(-2.0 * beta * y))
            thr[y + 4] = np.uint64(0xFFFFFFFFFFFFFFFF) if p >= 1.0 else np.uint64(p * 18446744073709551616.0)
        x = state
        for _ in range(n_sweeps):
            for color in range(2):
                for c in range(n):
                    for i in range(L):
                        ip = i + 1 if i + 1 < L else 0
                        im = i - 1 if i > 0 else L - 1
                        for j in range((i + color) & 1, L, 2):
                            jp = j + 1 if j + 1 < L else 0
                            jm = j - 1 if j > 0 else L - 1
                            nb = s[c, ip, j] + s[c, im, j] + s[c, i, jp] + s[c, i, jm]
                            x ^= x << np.uint64(13)
                            x ^= x >> np.uint64(7)
                            x ^= x << np.uint64(17)
                            if x < thr[s[c, i, j] * nb + 4]:
                                s[c, i, j] = -s[c, i, j]
        return x

    return sweeps


# ----------------------------------------------------------------- runs

def flips_per_ns(fn, n_flips, repeats):
    return n_flips / median_time(fn, repeats=repeats, warmup=1) / 1e9


def main(quick: bool = False) -> None:
    import physbook as pb

    beta = 1.0 / TC
    sweeps_numba = make_numba()
    repeats = 3 if quick else 5
    budget = 2e6 if quick else 2e7
    rows = []
    for name, shape in CASES:
        n_sites = int(np.prod(shape))
        n_sweeps = max(2, int(budget // n_sites))
        spins = pb.ising.random_spins(shape, seed=0)

        def run_physbook():
            pb.ising.metropolis(spins, TC, n_sweeps, seed=1).block_until_ready()

        batch = spins.reshape((-1,) + shape[-2:]).copy()

        def run_numba():
            sweeps_numba(batch, beta, n_sweeps, np.uint64(88172645463325252))

        ours = flips_per_ns(run_physbook, n_sites * n_sweeps, repeats)
        numba = flips_per_ns(run_numba, n_sites * n_sweeps, repeats)
        lat = spins.reshape((-1,) + shape[-2:])[0].astype(int).tolist()
        rand = random.Random(0).random
        naive = flips_per_ns(lambda: naive_sweep(lat, beta, rand), len(lat) ** 2,
                             1 if n_sites > 1e5 else 3)
        rows.append((name, ours, numba, naive))

    print("Metropolis spin-flip attempts per ns (one core, T = Tc, median of repeats)")
    print(f"{'case':>10} {'physbook':>9} {'numba':>8} {'naive py':>9} {'/numba':>8} {'/naive':>8}")
    for name, ours, numba, naive in rows:
        print(f"{name:>10} {ours:9.3f} {numba:8.3f} {naive:9.4f} {ours / numba:7.2f}x {ours / naive:7.0f}x")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
