"""Langevin dynamics of many walkers on a double well: physbook (JAX jit + scan) vs peers.

Peers: a numpy loop over time steps, vectorised over walkers (the natural way to write it), and a
numba ``@njit`` double loop (walkers x steps, scalar code). All run the same update,
x <- x - lr * L'(x) + sqrt(2 lr T) xi with L = (x^2 - 1)^2, and record only the final state.
Printed: walker-steps per microsecond (medians of repeats, after a warm-up that absorbs JIT
compilation) and the ratio physbook / peer. Check of equal physics: the variance of the final
positions agrees between all three within 5 standard errors.

Run alone: ``python benchmarks/bench_landscape.py``.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time  # noqa: E402

from physbook import landscape  # noqa: E402

T, LR = 0.5, 2e-3


def double_well(x):
    return (x[0] ** 2 - 1.0) ** 2


def numpy_langevin(x0, n_steps, seed):
    rng = np.random.default_rng(seed)
    x = x0.copy()
    scale = np.sqrt(2 * LR * T)
    for _ in range(n_steps):
        x = x - LR * 4 * x * (x * x - 1) + scale * rng.standard_normal(x.shape)
    return x


def make_numba():
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def run(x0, n_steps, seed):
        np.random.seed(seed)
        x = x0.copy()
        scale = np.sqrt(2 * LR * T)
        for i in range(x.shape[0]):
            xi = x[i]
            for _ in range(n_steps):
                xi = xi - LR * 4 * xi * (xi * xi - 1) + scale * np.random.standard_normal()
            x[i] = xi
        return x

    return run


def main():
    numba_run = make_numba()
    print(f"{'walkers':>8} {'steps':>6} {'physbook':>10} {'numpy':>10} {'numba':>10} "
          f"{'pb/numpy':>9} {'pb/numba':>9}   (walker-steps per microsecond)")
    for walkers, steps in [(100, 4000), (4000, 1000), (50_000, 200)]:
        x0 = np.zeros((walkers, 1))
        work = walkers * steps / 1e6

        def pb_run():
            return landscape.langevin(double_well, x0, T=T, learning_rate=LR, n_steps=steps, thin=steps, seed=0)

        t_pb = median_time(pb_run, repeats=3)
        t_np = median_time(lambda: numpy_langevin(x0[:, 0], steps, 0), repeats=3)
        finals = {"physbook": pb_run()[:, -1, 0], "numpy": numpy_langevin(x0[:, 0], steps, 0)}
        if numba_run is not None:
            t_nb = median_time(lambda: numba_run(x0[:, 0].copy(), steps, 0), repeats=3)
            finals["numba"] = numba_run(x0[:, 0].copy(), steps, 0)
        else:
            t_nb = float("nan")
        var = {k: v.var() for k, v in finals.items()}
        err = var["numpy"] * np.sqrt(2 / walkers)
        agree = all(abs(v - var["numpy"]) < 5 * np.sqrt(2) * err for v in var.values())
        print(f"{walkers:>8} {steps:>6} {work / t_pb:>10.1f} {work / t_np:>10.1f} {work / t_nb:>10.1f} "
              f"{t_np / t_pb:>9.2f} {t_nb / t_pb:>9.2f}   variances agree: {agree}")


if __name__ == "__main__":
    main()
