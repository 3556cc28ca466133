"""Benchmarks of physbook.apprentice.lensing against simple peers; prints ratios (medians of repeats).

1. Ray tracing a batch of sources: physbook (bilinear gather, all images at once) vs
   ``scipy.ndimage.map_coordinates`` (order 1) called per image; the two agree to rounding.
2. The evidence-regularized inversion: physbook (one generalized eigendecomposition for every
   lambda, image and noise level) vs the direct method, a dense solve of
   ``(L^T L / sigma^2 + lambda R) s = L^T d / sigma^2`` for every lambda of the same grid (both with
   BLAS on one thread, as physbook runs it).

Run alone: ``python benchmarks/bench_lensing.py``. Never asserts on time.
"""
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time  # noqa: E402

import physbook as pb  # noqa: E402

ap = pb.apprentice
IN, IW, SN, SW = 40, 3.2, 20, 1.2
LENS = ap.Lens(1.06, "sis", gamma1=0.05, gamma2=0.02)


def _scipy_trace(sources):
    bx, by = ap.lens_equation(LENS, *ap.pixel_grid(IN, IW))
    h = SW / SN
    rows, cols = (by + SW / 2) / h - 0.5, (bx + SW / 2) / h - 0.5
    return np.stack([ndimage.map_coordinates(s, [rows, cols], order=1, mode="grid-constant", cval=0.0)
                     for s in sources])


def bench_ray_trace():
    print("ray tracing 40 x 40 images of 20 x 20 sources")
    print(f"{'images':>7} {'physbook s':>11} {'scipy s':>9} {'scipy/physbook':>15}")
    for n in (10, 300):
        src = ap.random_sources(n, SN, SW, seed=0)
        ours = median_time(lambda: ap.ray_trace(src, LENS, image_n=IN, image_width=IW, source_width=SW))
        peer = median_time(lambda: _scipy_trace(src))
        np.testing.assert_allclose(ap.ray_trace(src, LENS, image_n=IN, image_width=IW, source_width=SW),
                                   _scipy_trace(src), atol=1e-12)
        print(f"{n:>7} {ours:>11.4f} {peer:>9.4f} {peer / ours:>15.2f}")


def _direct(data, op, sigma, reg, lams):
    with threadpool_limits(1, user_api="blas"):                    # the same threads as physbook
        a = op.T @ op / sigma ** 2
        rhs = data.reshape(len(data), -1) @ op / sigma ** 2
        return [np.linalg.solve(a + lam * reg, rhs.T) for lam in lams]


def bench_inversion():
    op = ap.lensing_operator(LENS, image_n=IN, image_width=IW, source_n=SN, source_width=SW)
    src = ap.random_sources(100, SN, SW, seed=1)
    data = ap.observe((src.reshape(100, -1) @ op.T).reshape(100, IN, IN), 0.03, seed=2)
    reg = ap.regularization_matrix(SN, "gradient")
    lams = np.geomspace(1e-2, 1e4, 97)
    ours = median_time(lambda: ap.invert(data, op, 0.03), repeats=3)
    peer = median_time(lambda: _direct(data, op, 0.03, reg, lams), repeats=3)
    inv = ap.invert(data, op, 0.03, lam=10.0)
    direct = _direct(data, op, 0.03, reg, [10.0])[0].T.reshape(100, SN, SN)
    np.testing.assert_allclose(inv.source.mean, direct, atol=1e-8)
    print("inversion of 100 images over a grid of 97 lambdas (physbook also returns the evidence "
          "and the posterior errors)")
    print(f"physbook {ours:.3f} s, direct solves {peer:.3f} s, ratio {peer / ours:.1f}")


def main():
    bench_ray_trace()
    bench_inversion()


if __name__ == "__main__":
    main()
