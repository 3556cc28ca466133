"""Benchmark: Monte Carlo correlators over random networks, physbook vs a naive numpy loop.

``pb.finite_width.mc_correlators`` (JAX, chunked, layer-wise Gaussian sampling) and
``sample_outputs`` (numpy, chunked) against the obvious code: a Python loop over networks that
draws each network's weights and evaluates it at the inputs. All three estimate the same
connected four-point function; the table prints networks per second (median of repeats, after a
warm-up that includes JIT compilation) and the speed-up over the loop.

Run alone: ``python benchmarks/bench_finite_width.py``.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402

XS = np.array([-1.0, -0.3, 0.4, 1.2])
HYP = dict(sigma_w2=1.0, sigma_b2=0.5, sigma_a2=1.0)


def naive_loop(width, n_networks, seed=0):
    """One network at a time: explicit weights, evaluate, accumulate f_a f_b f_c f_d."""
    rng = np.random.default_rng(seed)
    m2 = np.zeros((4, 4))
    m4 = np.zeros((4, 4, 4, 4))
    for _ in range(n_networks):
        w = rng.normal(size=width)
        bi = rng.normal(size=width) * np.sqrt(HYP["sigma_b2"])
        a = rng.normal(size=width)
        h = np.maximum(np.outer(XS, w) + bi, 0.0)             # (4, N)
        f = h @ a / np.sqrt(width) + rng.normal() * np.sqrt(HYP["sigma_b2"])
        m2 += np.outer(f, f)
        m4 += np.einsum("a,b,c,d->abcd", f, f, f, f)
    m2, m4 = m2 / n_networks, m4 / n_networks
    return m4 - (np.einsum("ab,cd->abcd", m2, m2) + np.einsum("ac,bd->abcd", m2, m2)
                 + np.einsum("ad,bc->abcd", m2, m2))


def vectorised_numpy(width, n_networks, seed=0):
    f = pb.finite_width.sample_outputs(XS, width, n_networks, "relu", **HYP, seed=seed)
    m2 = f.T @ f / n_networks
    m4 = np.einsum("ma,mb,mc,md->abcd", f, f, f, f, optimize=True) / n_networks
    return m4 - (np.einsum("ab,cd->abcd", m2, m2) + np.einsum("ac,bd->abcd", m2, m2)
                 + np.einsum("ad,bc->abcd", m2, m2))


def physbook_mc(width, n_networks, seed=0):
    return pb.finite_width.mc_correlators(XS, width, n_networks, "relu", **HYP, max_order=4,
                                          seed=seed).g4.mean


def main():
    print(f"{'width':>6} {'method':<28} {'networks/s':>12} {'speed-up':>9}")
    for width in (16, 256):
        n_loop, n_fast = 5_000, 200_000
        t_loop = median_time(lambda: naive_loop(width, n_loop), repeats=3, warmup=0) / n_loop
        rows = [("naive numpy loop", t_loop),
                ("sample_outputs (numpy)", median_time(lambda: vectorised_numpy(width, n_fast), repeats=3) / n_fast),
                ("mc_correlators (JAX)", median_time(lambda: physbook_mc(width, n_fast), repeats=3) / n_fast)]
        for name, t in rows:
            print(f"{width:>6} {name:<28} {1 / t:>12.3g} {t_loop / t:>9.1f}")
    theory = pb.finite_width.four_point_connected(XS, 16, "relu", **HYP)[0, 1, 2, 3]
    mc = pb.finite_width.mc_correlators(XS, 16, 200_000, "relu", **HYP, max_order=4, seed=1)
    print(f"check at N = 16: G4c(x1..x4) MC {mc.g4.mean[0, 1, 2, 3]:.4f} ± {mc.g4.error[0, 1, 2, 3]:.4f},"
          f" theory {theory:.4f}")


if __name__ == "__main__":
    main()
