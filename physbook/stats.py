r"""Error bars for Monte Carlo data: binning, autocorrelation times, jackknife, bootstrap.

Conventions: time series run along the **last** axis; leading axes are independent chains
(or independent observables, for the functions that say so).
The integrated autocorrelation time follows Sokal's convention

.. math:: \tau_\mathrm{int} = \tfrac12 + \sum_{t\ge1} \rho(t),

so that the error of the mean of :math:`n` correlated samples is
:math:`\sqrt{2\tau_\mathrm{int}\,\mathrm{Var}(x)/n}` and a chain produces one
effectively independent sample every :math:`2\tau_\mathrm{int}` steps.

References: A. D. Sokal, "Monte Carlo methods in statistical mechanics" (1997);
H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import json
import os

import numpy as np

from ._validate import check_array, check_choice, check_int, check_positive, check_real
from .random import Seed, as_generator

__all__ = [
    "Estimate",
    "autocorrelation",
    "integrated_time",
    "binning",
    "BinningResult",
    "mean_error",
    "jackknife",
    "bootstrap",
    "PCA",
    "pca",
    "PowerLawFit",
    "power_law_fit",
    "crossing",
    "CrossingPoint",
    "crossing_point",
    "N_SIGMA",
    "check_close",
    "check_bound",
    "check_exact",
    "CheckTooWeak",
]

#: Default width of a statistical check, in standard errors. With Gaussian errors a two-sided
#: 5-sigma check fails by chance with probability 5.7e-7; with a few hundred such checks per build
#: a false alarm is expected about once in 10^4 builds -- for checks whose estimator is close to
#: Gaussian. Heavy-tailed estimators (ratios of small means, variances of variances) need a larger
#: sample or a robust estimator to keep that rate; ``make robustness`` measures it on fresh seeds.
N_SIGMA = 5.0


class Estimate(NamedTuple):
    """A value with its one-standard-error bar.

    ``mean`` and ``error`` are floats, or arrays of one shape for an array-valued estimate
    (a correlation function with its error bars, one estimate per coupling, ...).
    """

    mean: float
    error: float

    def __str__(self) -> str:
        if np.ndim(self.mean) or np.ndim(self.error):
            m, e = np.broadcast_arrays(np.asarray(self.mean, float), np.asarray(self.error, float))
            flat = [_pm(a, b) for a, b in zip(m.ravel(), e.ravel())]
            if len(flat) > 8:
                flat = flat[:3] + ["..."] + flat[-3:]
            return f"[{', '.join(flat)}] (shape {m.shape})" if m.ndim > 1 else f"[{', '.join(flat)}]"
        return _pm(float(self.mean), float(self.error))

    def contains(self, value: float, n_sigma: float = 3.0) -> bool:
        """True if ``value`` lies within ``n_sigma`` error bars of the mean."""
        return bool(abs(self.mean - value) <= n_sigma * self.error)


def _pm(mean: float, error: float) -> str:
    """``mean +/- error`` with the error to two significant digits."""
    if not np.isfinite(error) or error <= 0:
        return f"{mean:.6g} +/- {error:.2g}"
    digits = max(0, -int(np.floor(np.log10(error))) + 1)
    return f"{mean:.{digits}f} +/- {error:.{digits}f}"


def _series(name: str, x) -> np.ndarray:
    arr = check_array(name, x, min_ndim=1, dtype="float")
    if arr.shape[-1] < 2:
        raise ValueError(f"{name} must have at least 2 samples along the last axis, got {arr.shape[-1]}")
    return arr


def autocorrelation(x) -> np.ndarray:
    r"""Normalised autocorrelation function :math:`\rho(t)` along the last axis (FFT, O(n log n)).

    Parameters
    ----------
    x : array_like, shape (..., n)
        Time series; leading axes are independent series.

    Returns
    -------
    numpy.ndarray, shape (..., n)
        :math:`\rho(t) = C(t)/C(0)` with :math:`C(t)` the biased autocovariance;
        a constant series gives :math:`\rho = 1` at t = 0 and 0 elsewhere.

    Example
    -------
    >>> rho = autocorrelation(np.random.default_rng(0).normal(size=1000))
    >>> float(rho[0])
    1.0
    """
    arr = _series("x", x)
    n = arr.shape[-1]
    d = arr - arr.mean(axis=-1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(d, n=size, axis=-1)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=-1)[..., :n]
    c0 = acov[..., :1]
    safe = np.where(c0 > 0, c0, 1.0)
    rho = np.where(c0 > 0, acov / safe, 0.0)
    rho[..., 0] = 1.0
    return rho


def integrated_time(x, *, c: float = 5.0, pool_chains: bool = False) -> np.ndarray | float:
    r"""Integrated autocorrelation time with Sokal's automatic window.

    :math:`\tau(M) = \tfrac12 + \sum_{t=1}^{M}\rho(t)`, with the smallest window
    :math:`M \ge c\,\tau(M)`.

    Parameters
    ----------
    x : array_like, shape (..., n)
        Time series along the last axis.
    c : float
        Window factor (5 is standard; larger is safer for slowly decaying tails).
    pool_chains : bool
        If True, leading axes are chains of the same process: their
        autocorrelation functions are averaged before windowing and one
        number is returned.

    Returns
    -------
    float or numpy.ndarray
        :math:`\tau_\mathrm{int}` (>= 1/2 for positively correlated data), one per
        leading index unless ``pool_chains``.

    Example
    -------
    >>> tau = integrated_time(np.random.default_rng(1).normal(size=10000))
    >>> abs(tau - 0.5) < 0.1
    True
    """
    c = check_positive("c", c)
    rho = autocorrelation(x)
    if pool_chains:
        rho = rho.reshape(-1, rho.shape[-1]).mean(axis=0)
    n = rho.shape[-1]
    taus = 0.5 + np.concatenate(
        [np.zeros(rho.shape[:-1] + (1,)), np.cumsum(rho[..., 1:], axis=-1)], axis=-1)
    windows = np.arange(n)
    ok = windows >= c * taus
    first = np.where(ok.any(axis=-1), ok.argmax(axis=-1), n - 1)
    tau = np.take_along_axis(taus, first[..., None], axis=-1)[..., 0]
    return float(tau) if tau.ndim == 0 else tau


class BinningResult(NamedTuple):
    """Outcome of a binning (blocking) analysis of one time series.

    ``estimate`` is the mean with its plateau error; ``errors`` the naive error at each level.
    """

    estimate: Estimate
    block_sizes: np.ndarray
    errors: np.ndarray
    tau: float


def binning(x, *, min_blocks: int = 32) -> BinningResult:
    r"""Binning analysis of one time series (Flyvbjerg-Petersen blocking).

    Consecutive samples are averaged in blocks of size 1, 2, 4, ...; the naive
    error of the block means grows and plateaus once blocks are longer than
    the correlation time. The reported error is the largest over levels with
    at least ``min_blocks`` blocks, and
    :math:`\tau = \tfrac12(\sigma_k/\sigma_0)^2`.

    Parameters
    ----------
    x : array_like, shape (n,)
        One time series.
    min_blocks : int
        Fewest blocks a level may have to be trusted.

    Returns
    -------
    BinningResult
        estimate (mean and plateau error), block_sizes, errors per level, tau.

    Example
    -------
    >>> r = binning(np.random.default_rng(0).normal(size=4096))
    >>> 0.012 < r.estimate.error < 0.02
    True
    """
    arr = _series("x", x)
    if arr.ndim != 1:
        raise ValueError(f"x must be one time series (1-D), got shape {arr.shape}")
    min_blocks = check_int("min_blocks", min_blocks, minimum=2)
    mean = float(arr.mean())
    sizes, errors = [], []
    block, data = 1, arr
    while data.size >= min_blocks:
        errors.append(float(data.std(ddof=1) / np.sqrt(data.size)))
        sizes.append(block)
        m = data.size // 2
        data = 0.5 * (data[: 2 * m : 2] + data[1 : 2 * m : 2])
        block *= 2
    if not errors:
        errors, sizes = [float(arr.std(ddof=1) / np.sqrt(arr.size))], [1]
    errors_arr = np.array(errors)
    err = float(errors_arr.max())
    tau = 0.5 * (err / errors_arr[0]) ** 2 if errors_arr[0] > 0 else 0.5
    return BinningResult(Estimate(mean, err), np.array(sizes), errors_arr, float(tau))


def mean_error(x, *, method: str = "binning") -> Estimate:
    r"""Mean and its error bar from correlated samples, pooling independent chains.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_chains, n)
        Samples along the last axis; any leading axes are independent chains.
    method : {"binning", "tau", "naive"}
        ``"binning"``: blocking per chain; ``"tau"``: :math:`\sqrt{2\tau\,\sigma^2/n}`
        per chain with :func:`integrated_time`; ``"naive"``: treat samples as
        independent.

    Returns
    -------
    Estimate
        Grand mean and :math:`\sqrt{\sum_c \sigma_c^2}/n_\mathrm{chains}`.

    Example
    -------
    >>> mean_error(np.ones((4, 100)) + np.arange(100) % 2).mean
    1.5
    """
    from ._validate import check_choice
    check_choice("method", method, ("binning", "tau", "naive"))
    arr = _series("x", x)
    chains = arr.reshape(-1, arr.shape[-1])
    n = chains.shape[-1]
    if method == "binning":
        errs = np.array([binning(c).estimate.error for c in chains])
    elif method == "tau":
        tau = np.atleast_1d(integrated_time(chains))
        errs = np.sqrt(2 * tau * chains.var(axis=-1, ddof=1) / n)
    else:
        errs = chains.std(axis=-1, ddof=1) / np.sqrt(n)
    return Estimate(float(chains.mean()), float(np.sqrt(np.sum(errs**2)) / len(chains)))


def jackknife(statistic: Callable[..., float], *arrays, n_blocks: int = 20) -> Estimate:
    r"""Blocked jackknife estimate of a (nonlinear) statistic of time series.

    The samples (last axis, shared by all ``arrays``) are cut into
    ``n_blocks`` consecutive blocks; block b is left out to give
    :math:`\theta_b`, and
    :math:`\sigma^2 = \frac{B-1}{B}\sum_b(\theta_b-\bar\theta)^2`.
    Blocks longer than the autocorrelation time make the error honest for
    correlated data (specific heat, susceptibility, Binder cumulant).

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays) -> float or array``; receives the arrays with samples
        along the last axis (leading axes untouched). An array-valued statistic
        (a correlation function, say) gets an array-valued Estimate, element by element.
    *arrays : array_like, shape (..., n)
        Time series with a common last axis.
    n_blocks : int
        Number of jackknife blocks (>= 2).

    Returns
    -------
    Estimate
        The statistic on all data and its jackknife error (floats, or arrays of the
        statistic's shape).

    Example
    -------
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> est = jackknife(lambda a: a.var(), x)
    >>> abs(est.mean - 1) < 4 * est.error
    True
    >>> jackknife(lambda a: np.array([a.mean(), a.var()]), x).error.shape
    (2,)
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    if not arrays:
        raise ValueError("jackknife needs at least one array of samples")
    data = [_series(f"arrays[{i}]", a) for i, a in enumerate(arrays)]
    n = data[0].shape[-1]
    if any(d.shape[-1] != n for d in data):
        raise ValueError("all arrays must have the same number of samples along the last axis")
    n_blocks = check_int("n_blocks", n_blocks, minimum=2, maximum=n)
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    idx = np.arange(n)
    thetas = np.array([
        statistic(*[d[..., (idx < lo) | (idx >= hi)] for d in data])
        for lo, hi in zip(edges[:-1], edges[1:])
    ], dtype=float)
    full = np.asarray(statistic(*data), dtype=float)
    err = np.sqrt((n_blocks - 1) / n_blocks * np.sum((thetas - thetas.mean(axis=0)) ** 2, axis=0))
    if full.ndim == 0:
        return Estimate(float(full), float(err))
    return Estimate(full, err)


def bootstrap(data, statistic: Callable[[np.ndarray], float] = np.mean, *,
              n_boot: int = 1000, seed: Seed = None) -> Estimate:
    r"""Bootstrap error of ``statistic`` over independent samples along the first axis.

    Parameters
    ----------
    data : array_like, shape (n, ...)
        Independent samples (rows). Use :func:`jackknife` with blocks for
        correlated time series.
    statistic : callable
        Maps an array shaped like ``data`` to a float.
    n_boot : int
        Number of resamples.
    seed : int, numpy.random.Generator or None
        Randomness for the resampling.

    Returns
    -------
    Estimate
        ``statistic(data)`` and the standard deviation over resamples.

    Example
    -------
    >>> est = bootstrap(np.arange(10.0), np.mean, seed=0)
    >>> est.mean
    4.5
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    arr = check_array("data", data, min_ndim=1, dtype="float")
    if arr.shape[0] < 2:
        raise ValueError(f"data must have at least 2 samples along the first axis, got {arr.shape[0]}")
    n_boot = check_int("n_boot", n_boot, minimum=2)
    rng = as_generator(seed)
    picks = rng.integers(0, arr.shape[0], size=(n_boot, arr.shape[0]))
    values = np.array([statistic(arr[p]) for p in picks], dtype=float)
    return Estimate(float(statistic(arr)), float(values.std(ddof=1)))


# --------------------------------------------------------------------------- data analysis

class PCA(NamedTuple):
    """Principal components of a data set (see :func:`pca`)."""

    #: Unit principal directions as rows, largest-magnitude entry positive, shape (..., k, n_features).
    components: np.ndarray
    #: Variances along them (eigenvalues of the sample covariance), descending, shape (..., k).
    variances: np.ndarray
    #: Fraction of the total variance each component carries, shape (..., k).
    explained_variance_ratio: np.ndarray
    #: Projections of the centred data on the components, shape (..., n_samples, k).
    scores: np.ndarray
    #: The data mean, shape (..., n_features).
    mean: np.ndarray


def pca(X, n_components: int | None = None) -> PCA:
    r"""Principal component analysis by the singular-value decomposition.

    With centred data :math:`X_c = X - \bar x` (samples as rows) and
    :math:`X_c = U S V^{\mathsf T}`, the sample covariance is

    .. math::

        \Sigma = \frac{X_c^{\mathsf T} X_c}{n - 1}
        = V\,\frac{S^2}{n-1}\,V^{\mathsf T},

    so the principal directions (rows of :math:`V^{\mathsf T}`) are the
    eigenvectors of :math:`\Sigma` and the variances :math:`s_k^2/(n-1)` its
    eigenvalues: PCA modes are the normal modes of the data covariance.
    The SVD never forms :math:`\Sigma`, which keeps its accuracy when the
    spectrum spans many orders of magnitude. The sign of each direction is
    fixed so that its largest-magnitude entry is positive.

    Parameters
    ----------
    X : array_like, shape (..., n_samples, n_features)
        Data, one sample per row (leading axes: independent data sets). Flatten
        configurations first, e.g. ``spins.reshape(len(spins), -1)``.
    n_components : int, optional
        Keep the leading components (default: all, ``min(n_samples, n_features)``).

    Returns
    -------
    PCA
        ``components``, ``variances``, ``explained_variance_ratio``, ``scores``, ``mean``
        (numpy arrays).

    Example
    -------
    >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])
    >>> np.round(pca(X).variances, 12).tolist()
    [2.0, 0.0]

    References
    ----------
    K. Pearson, Phil. Mag. 2, 559 (1901); H. Hotelling, J. Educ. Psychol. 24, 417 (1933).
    """
    X = check_array("X", X, min_ndim=2, dtype="float")
    n, p = X.shape[-2:]
    if n < 2:
        raise ValueError(f"X must have at least 2 samples (rows), got {n}")
    k_max = min(n, p)
    k = k_max if n_components is None else check_int("n_components", n_components, minimum=1,
                                                      maximum=k_max)
    mean = X.mean(axis=-2)
    centred = X - mean[..., None, :]
    _, s, Vt = np.linalg.svd(centred, full_matrices=False)
    total = np.sum(s ** 2, axis=-1, keepdims=True)
    Vt = Vt[..., :k, :]
    idx = np.argmax(np.abs(Vt), axis=-1)[..., None]
    Vt = Vt * np.sign(np.take_along_axis(Vt, idx, axis=-1))
    ratio = np.divide(s[..., :k] ** 2, total, out=np.zeros_like(s[..., :k]), where=total > 0)
    return PCA(Vt, s[..., :k] ** 2 / (n - 1), ratio, centred @ np.swapaxes(Vt, -1, -2), mean)


class PowerLawFit(NamedTuple):
    r"""A fitted power law :math:`y = A\,x^{p}` (see :func:`power_law_fit`)."""

    #: The exponent :math:`p` with its standard error.
    exponent: Estimate
    #: The amplitude :math:`A` with its standard error.
    amplitude: Estimate


def power_law_fit(x, y, *, error=None) -> PowerLawFit:
    r"""Fit :math:`y = A\,x^{p}` by (weighted) least squares on :math:`\log y = \log A + p \log x`.

    With error bars :math:`\sigma_i` on :math:`y_i`, the points are weighted by
    :math:`(y_i/\sigma_i)^2` (the error of :math:`\log y_i` is :math:`\sigma_i/y_i`) and the
    standard errors come from the covariance of the weighted fit, scaled by the reduced
    :math:`\chi^2` when it exceeds one (errors never claimed smaller than the scatter shows).
    Without error bars the errors come from the residual scatter (needs at least 3 points).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive abscissae and ordinates, n >= 2.
    error : array_like, shape (n,), optional
        Standard errors of ``y``.

    Returns
    -------
    PowerLawFit
        ``exponent`` and ``amplitude`` as :class:`Estimate` (error ``inf`` for two points
        fitted without ``error``: no error bar can be had from them).

    Example
    -------
    >>> fit = power_law_fit([1.0, 2.0, 4.0, 8.0], [3.0, 0.75, 0.1875, 0.046875])
    >>> round(fit.exponent.mean, 12), round(fit.amplitude.mean, 12)
    (-2.0, 3.0)
    """
    x = check_array("x", x, ndim=1, dtype="float")
    y = check_array("y", y, ndim=1, dtype="float")
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of equal length >= 2, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive for a power-law (log-log) fit")
    lx, ly = np.log(x), np.log(y)
    if error is None:
        w = np.ones_like(ly)
    else:
        e = check_array("error", error, ndim=1, dtype="float")
        if e.shape != y.shape or np.any(e <= 0):
            raise ValueError(f"error must be {y.size} positive standard errors, one per point")
        w = (y / e) ** 2
    A = np.stack([np.ones_like(lx), lx], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ (A.T @ (w * ly))
    resid = ly - A @ coef
    dof = x.size - 2
    chi2 = float(np.sum(w * resid ** 2))
    if error is None:
        cov = cov * (chi2 / dof if dof > 0 else np.inf)  # two points, no errors: no error bar
    elif dof > 0:
        cov = cov * max(1.0, chi2 / dof)
    p_err = float(np.sqrt(cov[1, 1]))
    amp = float(np.exp(coef[0]))
    return PowerLawFit(Estimate(float(coef[1]), p_err), Estimate(amp, amp * float(np.sqrt(cov[0, 0]))))


def crossing(x, y, *, level: float = 0.0, error=None, degree: int = 1, window=None,
             which: str = "first", direction: str = "any", n_boot: int = 400,
             seed: Seed = None) -> Estimate:
    r"""Where a sampled curve :math:`y(x)` crosses ``level``, with a bootstrap error bar.

    The bracket :math:`[x_k, x_{k+1}]` is the first (or last) sign change of
    :math:`d = y - \text{level}` (optionally only falling or rising); the crossing is the
    linear interpolation

    .. math:: x_\times = x_k - d_k\,\frac{x_{k+1} - x_k}{d_{k+1} - d_k}

    (``degree=1``), or the real root nearest to it of a weighted polynomial fit of ``d``
    (``degree >= 2``). Two curves cross where their difference crosses 0: pass
    ``y = y1 - y2`` (Binder cumulants of two sizes; a classifier's probability against 1/2).
    With ``error`` (standard errors of ``y``) the error bar is a parametric bootstrap: every
    point is redrawn within its error bar ``n_boot`` times and the crossing recomputed.

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing abscissae.
    y : array_like, shape (n,)
        The curve.
    level : float
        The level to cross.
    error : array_like, shape (n,), optional
        Standard errors of ``y``; without them there is no error bar and the returned error
        is ``inf`` (never a silent NaN).
    degree : int
        1 for linear interpolation in the bracket, >= 2 for a polynomial fit (weights
        ``1/error``) over the points in ``window``.
    window : (float, float), optional
        Use only points with ``lo < x < hi`` (default: all).
    which : {"first", "last"}
        Which sign change, if there are several.
    direction : {"any", "down", "up"}
        Only crossings where ``y`` falls through (``"down"``) or rises through (``"up"``) the level.
    n_boot : int
        Bootstrap redraws.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    Estimate
        The crossing and its bootstrap error (``inf`` without ``error``).

    Example
    -------
    >>> crossing([2.0, 2.5], [0.8, 0.2], level=0.5).mean
    2.25
    """
    x = check_array("x", x, ndim=1, dtype="float")
    y = check_array("y", y, ndim=1, dtype="float")
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of equal length >= 2, got {x.shape} and {y.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must be strictly increasing")
    level = check_real("level", level)
    degree = check_int("degree", degree, minimum=1)
    which = check_choice("which", which, ("first", "last"))
    direction = check_choice("direction", direction, ("any", "down", "up"))
    if window is None:
        keep = np.ones(x.size, bool)
    else:
        lo, hi = (check_real("window", w) for w in window)
        keep = (x > lo) & (x < hi)
    if degree > 1 and keep.sum() <= degree:
        raise ValueError(f"window must hold more than degree={degree} points, got {int(keep.sum())}")
    sd = None
    if error is not None:
        sd = check_array("error", error, ndim=1, dtype="float")
        if sd.shape != y.shape or np.any(sd <= 0):
            raise ValueError(f"error must be {y.size} positive standard errors, one per point")
        n_boot = check_int("n_boot", n_boot, minimum=2)

    def bracket(d):
        s0, s1 = np.sign(d[:-1]), np.sign(d[1:])
        change = keep[:-1] & (s0 != s1)
        if direction == "down":
            change &= (d[:-1] >= 0) & (d[1:] < 0)
        elif direction == "up":
            change &= (d[:-1] < 0) & (d[1:] >= 0)
        k = np.flatnonzero(change)
        if k.size == 0:
            return None
        return int(k[0] if which == "first" else k[-1])

    def solve(d, k, near):
        guess = x[k] - d[k] * (x[k + 1] - x[k]) / (d[k + 1] - d[k])
        if degree == 1:
            return float(guess)
        w = None if sd is None else 1.0 / sd[keep]
        roots = np.roots(np.polyfit(x[keep], d[keep], degree, w=w))
        real = [r.real for r in roots if abs(r.imag) < 1e-12]
        target = guess if near is None else near
        return float(min(real, key=lambda r: abs(r - target))) if real else np.nan  # boot only

    d0 = y - level
    k0 = bracket(d0)
    if k0 is None:
        raise ValueError(f"y never crosses level={level} ({direction}) on the points given")
    value = solve(d0, k0, None)
    if not np.isfinite(value):
        raise ValueError(f"the degree-{degree} fit has no real crossing of level={level} near "
                         f"x = {x[k0]:.6g}; use a lower degree or a narrower window")
    if sd is None:
        return Estimate(value, float("inf"))
    rng = as_generator(seed)
    boot = []
    for _ in range(n_boot):       # loop over bootstrap redraws of a short curve, not over samples
        d = d0 + sd * rng.normal(size=x.size)
        boot.append(solve(d, k0, value))
    return Estimate(value, float(np.nanstd(boot)))


class CrossingPoint(NamedTuple):
    """Where two sampled curves cross, and their common value there (:func:`crossing_point`)."""

    #: The abscissa of the crossing (Estimate).
    x: Estimate
    #: The curves' common value at the crossing (Estimate).
    y: Estimate
    #: Fraction of the bootstrap redraws in which the curves cross inside the grid.
    rate: float


def crossing_point(x, a: Estimate, b: Estimate, *, n_boot: int = 1000, seed: Seed = None) -> CrossingPoint:
    r"""Where curve ``b`` falls through curve ``a``, and the value of the curves there.

    The bracket :math:`[x_k, x_{k+1}]` is the first one where :math:`d = b - a` changes from
    positive to non-positive; inside it both curves are interpolated linearly,
    :math:`t = d_k/(d_k - d_{k+1})`, :math:`x_\times = x_k + t\,(x_{k+1}-x_k)` and
    :math:`y_\times = \tfrac12[(1-t)(a_k+b_k) + t\,(a_{k+1}+b_{k+1})]`. Errors come from a parametric
    bootstrap, every point of both curves redrawn within its error bar (vectorised over redraws);
    redraws without a crossing inside the grid are dropped and counted in ``rate``. The typical use is
    the Binder-cumulant crossing of two lattice sizes, whose value is the universal :math:`U^*`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing abscissae (a temperature, a coupling).
    a, b : Estimate
        The two curves with their standard errors, arrays of shape (n,); ``b`` is the one that
        starts above (the larger lattice, on the ordered side).
    n_boot : int
        Bootstrap redraws.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    CrossingPoint
        ``x`` and ``y`` (Estimates, the measured curves' crossing with the bootstrap spread) and ``rate``.

    Example
    -------
    >>> a = Estimate(np.array([0.60, 0.58, 0.56]), np.full(3, 1e-3))
    >>> b = Estimate(np.array([0.64, 0.58, 0.52]), np.full(3, 1e-3))
    >>> round(float(crossing_point([1.0, 2.0, 3.0], a, b, seed=0).y.mean), 3)
    0.58
    """
    x = check_array("x", x, ndim=1, dtype="float")
    if x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be strictly increasing with at least 2 points, got {x}")
    curves = []
    for name, c in (("a", a), ("b", b)):
        if not isinstance(c, Estimate):
            raise TypeError(f"{name} must be an Estimate(mean, error) of arrays, got {type(c).__name__}")
        m = check_array(f"{name}.mean", c.mean, ndim=1, dtype="float")
        e = check_array(f"{name}.error", c.error, ndim=1, dtype="float")
        if m.shape != x.shape or e.shape != x.shape or np.any(e < 0):
            raise ValueError(f"{name} must hold {x.size} values and non-negative errors, one per x")
        curves.append((m, e))
    n_boot = check_int("n_boot", n_boot, minimum=2)
    rng = as_generator(seed)
    (ma, ea), (mb, eb) = curves
    ya = np.vstack([ma, ma + ea * rng.standard_normal((n_boot, x.size))])     # row 0: the measurement
    yb = np.vstack([mb, mb + eb * rng.standard_normal((n_boot, x.size))])
    d = yb - ya
    falls = (d[:, :-1] > 0) & (d[:, 1:] <= 0)
    ok = falls.any(axis=1)
    if not ok[0]:
        raise ValueError("b never falls through a on the points given (no crossing inside the grid)")
    k, r = np.argmax(falls, axis=1), np.arange(len(d))
    t = d[r, k] / (d[r, k] - d[r, k + 1])
    xc = x[k] + t * (x[k + 1] - x[k])
    yc = 0.5 * ((1 - t) * (ya[r, k] + yb[r, k]) + t * (ya[r, k + 1] + yb[r, k + 1]))
    good = ok[1:]
    return CrossingPoint(Estimate(float(xc[0]), float(xc[1:][good].std())),
                         Estimate(float(yc[0]), float(yc[1:][good].std())), float(good.mean()))


def _scalar(name: str, value) -> float:
    """A finite float from a Python/numpy/JAX scalar (0-d arrays accepted), else a clear error."""
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray):
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())
    return check_real(name, value)


class CheckTooWeak(AssertionError):
    """A check whose acceptance window is wider than the precision its sentence claims.

    Raised whatever the data: a check that would pass a result twice as far from the claim as
    the sentence allows is a defect of the chapter, not bad luck.
    """


def _log_check(record: dict) -> None:
    """Append one check record to the JSON-lines file named by ``PHYSBOOK_CHECK_LOG`` (if set).

    Every record has ``name``, ``kind`` (close / bound / exact), ``value``, ``threshold`` (text),
    ``passed``, ``detected`` (whether the mutated claim fails, see :func:`check_close`),
    ``claim`` (text) and the slack before failure: ``margin_sigma`` in standard errors when the
    check has an error bar (``unit`` = "sigma"), else ``margin_relative`` (``unit`` = "relative",
    the slack as a fraction of the claimed precision).
    """
    path = os.environ.get("PHYSBOOK_CHECK_LOG")
    if not path:
        return
    clean = {k: (float(v) if isinstance(v, (float, np.floating, np.integer)) and
                 not isinstance(v, bool) else v) for k, v in record.items()}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(clean) + "\n")


def _claim(name: str, expected: float, within, within_abs) -> tuple[float, str]:
    """The claimed precision as an absolute half-width, and its text."""
    if (within is None) == (within_abs is None):
        raise TypeError(f"check {name!r} needs the precision its sentence claims: give exactly one "
                        f"of within= (relative to the expected value) or within_abs= (absolute), "
                        f"got within={within!r}, within_abs={within_abs!r}")
    if within is not None:
        within = check_positive("within", _scalar("within", within))
        if expected == 0:
            raise ValueError(f"check {name!r}: within= is relative to the expected value, which "
                             f"is 0; state the precision with within_abs= instead")
        return within * abs(expected), f"+-{100 * within:.3g} %"
    within_abs = check_positive("within_abs", _scalar("within_abs", within_abs))
    return within_abs, f"+-{within_abs:.3g}"


def check_close(name: str, value, expected, error, *, within=None, within_abs=None,
                n_sigma: float = N_SIGMA) -> float:
    r"""Assert that a measured ``value`` agrees with ``expected`` within ``n_sigma`` error bars,
    and that this window is no wider than the precision the sentence claims.

    The check of a chapter's claim "simulation = theory to within 2 %": it passes when
    :math:`|\mathrm{value} - \mathrm{expected}| \le n_\sigma\,\mathrm{error}`. The claimed
    precision :math:`c` is ``within`` x ``|expected|`` (relative) or ``within_abs``; a window
    :math:`n_\sigma\,\mathrm{error} > c` raises :class:`CheckTooWeak` whatever the data, because
    such a check would pass results the sentence rules out.

    Mutation (``make check-power``): the check is evaluated a second time against the expected
    value moved by :math:`\pm 2c`; it *detects* the mutation when both moved values fail. The
    result is logged as ``detected`` when ``PHYSBOOK_CHECK_LOG`` names a file.

    With Gaussian errors and the default :data:`N_SIGMA` = 5 a correct claim fails with
    probability 5.7e-7 per check; estimators with heavy tails need a larger sample or a robust
    estimator to keep that rate (``make robustness`` measures it).

    Parameters
    ----------
    name : str
        What is checked (appears in the failure message and the reports).
    value, expected : float
        Measurement and theory.
    error : float
        One standard error of ``value - expected`` (> 0, finite).
    within, within_abs : float
        The precision the text claims, relative to ``|expected|`` or absolute (exactly one).
    n_sigma : float
        Allowed deviation in standard errors.

    Returns
    -------
    float
        The deviation in standard errors, :math:`|\mathrm{value}-\mathrm{expected}|/\mathrm{error}`.

    Raises
    ------
    CheckTooWeak
        When ``n_sigma * error`` exceeds the claimed precision.
    AssertionError
        When the value is outside the window.

    Example
    -------
    >>> round(check_close("mean", 0.51, 0.5, 0.01, within=0.2), 6)
    1.0
    """
    value = _scalar("value", value)
    expected = _scalar("expected", expected)
    error = check_positive("error", _scalar("error", error))
    n_sigma = check_positive("n_sigma", n_sigma)
    claim, claim_text = _claim(name, expected, within, within_abs)
    window = n_sigma * error
    z = abs(value - expected) / error
    passed = z <= n_sigma
    detected = all(abs(value - (expected + s * 2 * claim)) > window for s in (-1.0, 1.0))
    weak = window > claim * (1 + 1e-9)
    _log_check({"name": name, "kind": "close", "value": value, "expected": expected,
                "error": error, "window": window, "claim_abs": claim, "claim": claim_text,
                "threshold": f"{expected:.6g} +/- {n_sigma:g} x {error:.3g}",
                "unit": "sigma", "margin_sigma": n_sigma - z, "margin_relative": None,
                "z": z, "n_sigma": n_sigma, "passed": bool(passed and not weak),
                "too_weak": bool(weak), "detected": bool(detected)})
    if weak:
        raise CheckTooWeak(f"{name}: window +-{window:.3g} ({n_sigma:g} x error {error:.3g}) is "
                           f"wider than the claimed precision {claim_text} (+-{claim:.3g} of "
                           f"{expected:.6g}); measure more precisely or claim less")
    if not passed:
        raise AssertionError(f"{name}: measured {value:.6g}, expected {expected:.6g}; "
                             f"|deviation| = {z:.2f} sigma > {n_sigma:g} sigma (sigma = {error:.3g})")
    return float(z)


def check_exact(name: str, value, expected, *, within=None, within_abs=None) -> float:
    r"""Assert an identity or a deterministic fact: :math:`|\mathrm{value}-\mathrm{expected}|\le c`.

    For quantities without sampling noise (exact enumeration against a closed form, a symmetry
    to rounding, a count that must be zero). ``c`` is ``within`` x ``|expected|`` or
    ``within_abs``, the precision the text claims; the mutation run moves ``expected`` by
    :math:`\pm 2c` and expects the check to fail.

    Returns
    -------
    float
        The deviation as a fraction of ``c``.

    Example
    -------
    >>> check_exact("fixed points that move", 0, 0, within_abs=0.5)
    0.0
    """
    value = _scalar("value", value)
    expected = _scalar("expected", expected)
    claim, claim_text = _claim(name, expected, within, within_abs)
    dev = abs(value - expected)
    passed = dev <= claim
    detected = all(abs(value - (expected + s * 2 * claim)) > claim for s in (-1.0, 1.0))
    _log_check({"name": name, "kind": "exact", "value": value, "expected": expected,
                "error": None, "window": claim, "claim_abs": claim, "claim": claim_text,
                "threshold": f"{expected:.6g} {claim_text}", "unit": "relative",
                "margin_sigma": None, "margin_relative": 1 - dev / claim, "z": None,
                "n_sigma": None, "passed": bool(passed), "too_weak": False,
                "detected": bool(detected)})
    if not passed:
        raise AssertionError(f"{name}: got {value:.10g}, expected {expected:.10g} {claim_text} "
                             f"(off by {dev:.3g})")
    return float(dev / claim)


def check_bound(name: str, value, *, lower=None, upper=None, error=None,
                n_sigma: float = 0.0, margin=None) -> float:
    r"""Assert ``lower < value < upper`` (either bound optional), optionally by ``n_sigma`` errors.

    With ``error`` given, the bound must hold by ``n_sigma`` standard errors
    (:math:`\mathrm{value} - n_\sigma\,\mathrm{error} > \mathrm{lower}`). ``margin`` (> 0, required)
    is the precision of the claim, in the units of ``value``: the sentence says the bound is
    sharp to within ``margin``. The mutation run moves each bound by ``margin`` towards the
    value (``lower + margin``, ``upper - margin``) and expects the check to fail there; a bound
    far from the data (a check that cannot fail) is reported as undetected.

    Returns
    -------
    float
        The distance to the nearest bound in units of ``error``, or, without ``error``, as a
        fraction of ``margin``.

    Example
    -------
    >>> round(check_bound("ratio", 3.0, lower=2.0, error=0.25, margin=2.0), 6)
    4.0
    """
    value = _scalar("value", value)
    if lower is None and upper is None:
        raise ValueError("check_bound needs lower, upper or both, got neither")
    if margin is None:
        raise TypeError(f"check_bound {name!r} needs margin= (> 0): how sharp the claimed bound "
                        f"is, in the units of the value; the mutation run moves the bound by it")
    margin = check_positive("margin", _scalar("margin", margin))
    scale = check_positive("error", _scalar("error", error)) if error is not None else None
    n_sigma = check_positive("n_sigma", n_sigma, allow_zero=True)
    need = n_sigma * scale if scale is not None else 0.0
    sides, texts = [], []
    if lower is not None:
        lower = _scalar("lower", lower)
        sides.append((value - lower, value - lower - margin))
        texts.append(f"> {lower:.6g}")
    if upper is not None:
        upper = _scalar("upper", upper)
        sides.append((upper - value, upper - value - margin))
        texts.append(f"< {upper:.6g}")
    gap = min(g for g, _ in sides)
    passed = gap > need
    detected = all(g_mut <= need for _, g_mut in sides)
    result = gap / scale if scale is not None else gap / margin
    threshold = " and ".join(texts) + (f" by {n_sigma:g} x {scale:.3g}" if scale else "")
    _log_check({"name": name, "kind": "bound", "value": value, "expected": None,
                "error": scale, "window": need, "claim_abs": margin,
                "claim": f"bound sharp to {margin:.3g}", "threshold": threshold,
                "unit": "sigma" if scale is not None else "relative",
                "margin_sigma": (gap - need) / scale if scale is not None else None,
                "margin_relative": None if scale is not None else gap / margin,
                "z": result if scale is not None else None,
                "n_sigma": n_sigma if scale is not None else None, "passed": bool(passed),
                "too_weak": False, "detected": bool(detected)})
    if not passed:
        unit = f" ({result:.2f} sigma, sigma = {scale:.3g}, {n_sigma:g} required)" if scale else ""
        raise AssertionError(f"{name}: measured {value:.6g}, required {' and '.join(texts)}{unit}")
    return float(result)
