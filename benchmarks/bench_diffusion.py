"""Diffusion sampling: sample quality per second of the trained score network vs the exact score.

The data are the six-blob mixture of chapter 5. Quality is the sliced 2-Wasserstein distance of
4000 samples to 4000 held-out data points (lower is better; the distance between two independent
data sets of that size is the floor). Both samplers run the same reverse-time SDE
(``physbook.diffusion.sample_sde``, 200 Euler-Maruyama steps) from the same starting points and
noise; the exact score is the closed-form mixture score, the physical limit of any learned one.
Printed: median wall time per call (after a warm-up compile), the distances, "quality per second"
as 1 / (SW x seconds), and the ratios trained / exact, over three seeds. One-off costs (training,
compile) are reported apart.

Run alone: ``.venv/bin/python benchmarks/bench_diffusion.py``.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_time  # noqa: E402

from physbook import diffusion as D  # noqa: E402

SEEDS = (0, 1, 2)
N = 4000


def mixture():
    ring = 2 * np.pi * np.arange(6) / 6
    means = 2.5 * np.stack([np.cos(ring), np.sin(ring)], axis=1)
    rot = lambda a: np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    covs = np.array([rot(a) @ np.diag([0.04, 0.16]) @ rot(a).T for a in ring])
    return means, covs, np.array([0.3, 0.1, 0.2, 0.1, 0.2, 0.1])


def main():
    mix = mixture()
    exact = lambda x, t: D.gmm_score(x, t, *mix)
    print(f"reverse SDE, 200 steps, {N} samples in 2-D; SW = sliced Wasserstein to {N} held-out points")
    print(f"{'seed':>4} {'floor':>7} {'SW exact':>9} {'SW net':>8} {'t exact':>9} {'t net':>8} "
          f"{'quality/s ratio (net/exact)':>28}")
    ratios, sw_ratios = [], []
    for seed in SEEDS:
        data = D.sample_gmm(4096, *mix, seed=seed)
        held = D.sample_gmm(N, *mix, seed=seed + 100)
        start = time.perf_counter()
        params = D.train_score(data, width=64, depth=2, n_steps=5000, batch_size=512, seed=seed).params
        train_s = time.perf_counter() - start
        net = lambda x, t: D.score_net(params, x, t)
        timings, sw = {}, {}
        for name, fn in (("exact", exact), ("net", net)):
            timings[name] = median_time(lambda: D.sample_sde(fn, N, 2, seed=seed + 1), repeats=3)
            sw[name] = D.sliced_wasserstein(D.sample_sde(fn, N, 2, seed=seed + 1), held, seed=seed + 2)
        floor = D.sliced_wasserstein(data[:N], held, seed=seed + 2)
        quality = {k: 1.0 / (sw[k] * timings[k]) for k in sw}
        ratios.append(quality["net"] / quality["exact"])
        sw_ratios.append(sw["net"] / sw["exact"])
        print(f"{seed:4d} {floor:7.3f} {sw['exact']:9.3f} {sw['net']:8.3f} {timings['exact']:8.3f}s "
              f"{timings['net']:7.3f}s {ratios[-1]:28.2f}   (training {train_s:.1f} s)")
    print(f"quality per second, trained / exact: {np.mean(ratios):.2f} (seeds {min(ratios):.2f}-{max(ratios):.2f}); "
          f"SW trained / exact: {np.mean(sw_ratios):.2f} (the chapter requires < 2)")


if __name__ == "__main__":
    main()
