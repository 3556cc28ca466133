"""Scaling chapter speed: measured learning curves and Monte Carlo RG, against plain numpy/scipy loops.

1. Learning curve: ``pb.scaling.learning_curve`` with ``pb.scaling.sphere_kernel`` (the ReLU NTK of
   ``pb.nngp`` tabulated in the angle) against a plain loop that evaluates the closed-form arc-cosine
   NTK with numpy for every training set and solves with ``scipy.linalg.solve`` (what one writes by
   hand). Same sizes and trials (independent random draws); the two test errors are printed side
   by side and agree within their trial-to-trial scatter.
2. MCRG: configurations per second through ``pb.scaling.mcrg`` (4 blocking levels of a 64 x 64
   lattice, 5 operators, jackknife) against a per-configuration Python loop (majority blocks and
   operators one configuration at a time, then the same RG matrices); and the rate at which
   ``pb.scaling.ising_configurations`` produces critical configurations (Wolff).

Everything runs on one core (the process is pinned before numpy and JAX start).
Run alone: ``python benchmarks/bench_scaling.py`` (add ``--quick`` for a short run).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from _timing import median_time  # noqa: E402

SW2, SB2, D = 2.0, 0.1, 4


# ----------------------------------------------------------------- peers

def ntk_numpy(a, b):
    """Closed-form depth-1 ReLU NTK (arc-cosine kernels) for unit-norm inputs, plain numpy."""
    k0 = SB2 + SW2 * (a @ b.T) / D
    q = SB2 + SW2 / D
    theta = np.arccos(np.clip(k0 / q, -1.0, 1.0))
    k1 = SB2 + SW2 * q / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta))
    return k1 + SW2 * (np.pi - theta) / (2 * np.pi) * k0


def learning_curve_loop(sampler, target, ns, ridge, n_test, n_trials, rng):
    out = []
    for n in ns:
        errs = []
        for _ in range(n_trials):
            x, xt = sampler(n, rng), sampler(n_test, rng)
            alpha = scipy.linalg.solve(ntk_numpy(x, x) + ridge * np.eye(n), target(x), assume_a="pos")
            errs.append(np.mean((ntk_numpy(xt, x) @ alpha - target(xt)) ** 2))
        out.append(np.mean(errs))
    return np.array(out)


def mcrg_loop(spins, n_levels, rng):
    """The MCRG measurement written one configuration at a time."""
    def block(s):
        L = s.shape[0] // 2
        out = np.sign(s.reshape(L, 2, L, 2).sum(axis=(1, 3)))
        ties = out == 0
        out[ties] = rng.choice([-1, 1], size=ties.sum())
        return out

    def operators(s):
        r, dn = np.roll(s, -1, 1), np.roll(s, -1, 0)
        dr, dl = np.roll(dn, -1, 1), np.roll(dn, 1, 1)
        p = s * r * dn * dr
        return [np.sum(s * (r + dn)), np.sum(s * (dr + dl)), p.sum(), s.sum(), np.sum(p * (s + r + dn + dr))]

    ops = np.zeros((n_levels + 1, len(spins), 5))
    for c, s in enumerate(spins):
        s = s.astype(np.int64)
        for n in range(n_levels + 1):
            ops[n, c] = operators(s)
            if n < n_levels:
                s = block(s)
    ys = []
    for n in range(1, n_levels + 1):
        for idx in ([0, 1, 2], [3, 4]):
            a = ops[n][:, idx] - ops[n][:, idx].mean(0)
            c = ops[n - 1][:, idx] - ops[n - 1][:, idx].mean(0)
            ys.append(np.log(np.max(np.linalg.eigvals(np.linalg.solve(a.T @ a, a.T @ c)).real)) / np.log(2))
    return ys


# ----------------------------------------------------------------- main

def main(quick: bool = False) -> None:
    import physbook as pb
    sc = pb.scaling
    rng = np.random.default_rng(0)
    repeats = 1 if quick else 3

    def relu_ntk(a, b):
        return pb.nngp.ntk_kernel(a, b, depth=1, activation="relu", sigma_w2=SW2, sigma_b2=SB2)

    x = sc.sample_sphere(50, D, seed=1)
    assert np.allclose(ntk_numpy(x, x), np.asarray(relu_ntk(x, x)), atol=1e-10), "peer kernel differs"
    deg = np.arange(61)
    target = sc.harmonic_target(np.where(deg > 0, np.maximum(deg, 1) ** -2.0, 0.0), D, n_directions=64, seed=2)
    sampler = lambda n, seed: sc.sample_sphere(n, D, seed=seed)
    ns = [10, 50, 200] if quick else [10, 20, 50, 100, 200, 500]
    n_trials, n_test, ridge = 8, 400, 1e-4
    kernel = sc.sphere_kernel(relu_ntk, D)

    ours = median_time(lambda: sc.learning_curve(kernel, sampler, target, ns, ridge=ridge, n_test=n_test,
                                                 n_trials=n_trials, seed=3), repeats=repeats)
    peer = median_time(lambda: learning_curve_loop(sampler, target, ns, ridge, n_test, n_trials,
                                                   np.random.default_rng(3)), repeats=repeats)
    e_ours = sc.learning_curve(kernel, sampler, target, ns, ridge=ridge, n_test=n_test, n_trials=n_trials, seed=3)
    e_peer = learning_curve_loop(sampler, target, ns, ridge, n_test, n_trials, np.random.default_rng(3))
    print(f"Learning curve, ReLU NTK on S^{D - 1}, n = {ns}, {n_trials} trials, {n_test} test points (one core)")
    print(f"  physbook {ours:.2f} s, numpy/scipy loop {peer:.2f} s: ratio {peer / ours:.2f}x "
          "(independent draws; test errors below)")
    print("  n:        " + " ".join(f"{n:>9d}" for n in ns))
    print("  physbook: " + " ".join(f"{e:9.3g}" for e in e_ours.error.mean))
    print("  loop:     " + " ".join(f"{e:9.3g}" for e in e_peer))

    Tc = pb.ising.critical_temperature()
    n_cfg = 256 if quick else 1024
    sc.ising_configurations(64, Tc, 128, n_chains=128, n_between=10, n_burn=10, seed=4)   # compile
    gen = median_time(lambda: sc.ising_configurations(64, Tc, n_cfg, n_chains=128, n_between=10, n_burn=0,
                                                      seed=5), repeats=repeats, warmup=0)
    spins = sc.ising_configurations(64, Tc, n_cfg, n_chains=128, n_between=10, n_burn=50, seed=6)
    t_ours = median_time(lambda: sc.mcrg(spins, 4, n_blocks=16, seed=7), repeats=repeats)
    t_loop = median_time(lambda: mcrg_loop(spins, 4, np.random.default_rng(7)), repeats=repeats)
    print(f"MCRG, 64 x 64 at Tc, 4 levels, {n_cfg} configurations (one core)")
    print(f"  pb.scaling.mcrg {n_cfg / t_ours:9.0f} configs/s (with 16-block jackknife), "
          f"per-configuration loop {n_cfg / t_loop:9.0f} configs/s (no error bars): ratio {t_loop / t_ours:.1f}x")
    print(f"  critical configurations from pb.scaling.ising_configurations (Wolff, 10 clusters apart): "
          f"{n_cfg / gen:.0f} configs/s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
