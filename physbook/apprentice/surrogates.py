r"""Surrogate-driven discovery: Bayesian optimisation with a Gaussian-process surrogate, against a grid."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from .._validate import check_array, check_choice, check_int, check_positive, check_real
from ..random import Seed, as_generator
from .. import gp, stats

__all__ = [
    "BayesOptResult",
    "bayes_opt",
    "grid_calls",
]

# =============================================================================
# Surrogate-driven discovery: Bayesian optimisation with a GP surrogate
# =============================================================================
class BayesOptResult(NamedTuple):
    """Outcome of :func:`bayes_opt`; the history arrays have one row per surrogate fit."""

    x: np.ndarray
    y: np.ndarray
    x_best: np.ndarray | float
    y_best: float
    candidates: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    hyperparameters: np.ndarray


_LENGTHSCALES = np.geomspace(0.04, 1.0, 8)
_VARIANCES = np.array([0.3, 1.0, 3.0])
_NOISES = np.geomspace(1e-3, 0.3, 5)


def _bounds(bounds):
    arr = check_array("bounds", bounds, dtype="float")
    one_d = arr.shape == (2,)
    arr = arr.reshape(1, 2) if one_d else arr
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"bounds must be (low, high) or an array of shape (d, 2), got shape {arr.shape}")
    if np.any(arr[:, 0] >= arr[:, 1]):
        raise ValueError(f"bounds must have low < high in every dimension, got {arr.tolist()}")
    return arr, one_d


def _fit_gp(u, y, noise):
    """RBF hyperparameters (unit-cube inputs, standardised y) by the evidence on a grid."""
    fit = gp.fit_rbf(u, y, lengthscales=_LENGTHSCALES, variances=_VARIANCES,
                     noises=_NOISES if noise is None else [noise])
    return fit.lengthscale, fit.variance, fit.noise


def _posterior(u, y, cand, hyper):
    """GP posterior mean and standard deviation on the candidates."""
    from ..nngp import rbf_kernel

    ell, var, nz = hyper
    post = gp.posterior(np.asarray(rbf_kernel(u, lengthscale=ell, variance=var)),
                        np.asarray(rbf_kernel(cand, u, lengthscale=ell, variance=var)),
                        np.full(cand.shape[0], var), y, nz)
    return post.mean, np.sqrt(np.maximum(post.cov, 1e-12))


def _latin_hypercube(rng, d: int, n: int) -> np.ndarray:
    """n points in the unit cube, one uniform draw per stratum in every dimension."""
    return (np.argsort(rng.random((d, n)), axis=1).T + rng.random((n, d))) / n


class _Surrogate(NamedTuple):
    mean: np.ndarray            # posterior mean on the candidates, objective units
    std: np.ndarray             # posterior standard deviation, objective units
    hyper: tuple                # lengthscale, variance, noise (objective units)
    standardised: tuple         # (mean, std, incumbent) in standardised units, for the acquisition


def _surrogate(U, Y, cand, noise) -> _Surrogate:
    """Standardise the observations, fit the RBF hyperparameters, predict on the candidates."""
    shift, scale = Y.mean(), Y.std()
    scale = scale if scale > 0 else 1.0
    z = (Y - shift) / scale
    hyper = _fit_gp(U, z, None if noise is None else noise / scale**2)
    mu, s = _posterior(U, z, cand, hyper)
    incumbent = np.max(_posterior(U, z, U, hyper)[0])
    return _Surrogate(shift + scale * mu, scale * s, (hyper[0], hyper[1] * scale**2, hyper[2] * scale**2),
                      (mu, s, incumbent))


def _acquire(kind, mean, std, incumbent, xi, kappa):
    from scipy.special import ndtr

    if kind == "ucb":
        return mean + kappa * std
    z = (mean - incumbent - xi) / std
    return (mean - incumbent - xi) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def bayes_opt(objective: Callable, bounds, n_init: int, n_iter: int, acquisition: str = "ei",
              *, seed: Seed = None, n_candidates: int = 400, noise: float | None = None,
              xi: float = 0.01, kappa: float = 2.0) -> BayesOptResult:
    r"""Maximise a noisy, expensive function with a Gaussian-process surrogate (Bayesian optimisation).

    After ``n_init`` space-filling evaluations (one uniform draw per stratum,
    Latin-hypercube style), each step fits a GP with the RBF kernel
    (:func:`physbook.nngp.rbf_kernel`) to the standardised observations, choosing
    lengthscale, variance and noise on a grid by the log marginal likelihood
    (:func:`physbook.gp.fit_rbf`), and evaluates the objective
    where the acquisition is largest over a set of candidates. With posterior
    mean :math:`\mu`, standard deviation :math:`s`, incumbent
    :math:`\mu^+ = \max_i \mu(x_i)` and :math:`z = (\mu - \mu^+ - \xi)/s`,

    .. math::

        \mathrm{EI}(x) = (\mu - \mu^+ - \xi)\,\Phi(z) + s\,\varphi(z), \qquad
        \mathrm{UCB}(x) = \mu + \kappa\, s .

    The answer is the maximiser of the final posterior mean (not the largest
    noisy observation).

    Parameters
    ----------
    objective : callable
        ``objective(x) -> float``; ``x`` is a float for 1-D ``bounds`` and an
        array of shape (d,) otherwise. Called ``n_init + n_iter`` times.
    bounds : (low, high) or array_like, shape (d, 2)
        Box to search.
    n_init : int
        Initial space-filling evaluations (>= 2).
    n_iter : int
        Surrogate-guided evaluations (>= 0).
    acquisition : {"ei", "ucb"}
        Expected improvement or upper confidence bound.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the initial design (and of the candidates for d > 1).
    n_candidates : int
        Candidates on which the acquisition is maximised (a uniform grid in 1-D,
        uniform random points for d > 1).
    noise : float, optional
        Known observation-noise variance (in the objective's units squared);
        ``None`` learns it with the other hyperparameters.
    xi, kappa : float
        Exploration parameters of EI and UCB.

    Returns
    -------
    BayesOptResult
        ``x`` and ``y`` of every call in order; ``x_best`` and ``y_best`` (the
        final posterior-mean maximiser and its mean); ``candidates``; the GP
        ``mean`` and ``std`` on the candidates after each fit (shape
        (n_iter + 1, n_candidates)); ``hyperparameters`` (lengthscale, variance,
        noise in the objective's units) per fit.

    Example
    -------
    >>> res = bayes_opt(lambda x: -(x - 0.3) ** 2, (0.0, 1.0), 3, 5, seed=0)
    >>> abs(res.x_best - 0.3) < 0.05
    True

    References
    ----------
    D. R. Jones, M. Schonlau and W. J. Welch, J. Global Optim. 13, 455 (1998);
    N. Srinivas et al., ICML (2010); C. E. Rasmussen and C. K. I. Williams (2006).
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    box, one_d = _bounds(bounds)
    n_init = check_int("n_init", n_init, minimum=2)
    n_iter = check_int("n_iter", n_iter, minimum=0)
    acquisition = check_choice("acquisition", acquisition, ("ei", "ucb"))
    n_candidates = check_int("n_candidates", n_candidates, minimum=2)
    if noise is not None:
        noise = check_positive("noise", noise)
    xi = check_positive("xi", xi, allow_zero=True)
    kappa = check_positive("kappa", kappa, allow_zero=True)
    rng = as_generator(seed)
    d = box.shape[0]
    lo, width = box[:, 0], box[:, 1] - box[:, 0]
    # work in the unit cube: u = (x - low) / (high - low)
    strata = _latin_hypercube(rng, d, n_init)
    cand = np.linspace(0.0, 1.0, n_candidates)[:, None] if d == 1 else rng.random((n_candidates, d))

    def call(u):
        x = lo + width * u
        return check_real("objective(x)", objective(float(x[0]) if one_d else x.copy()))

    us = list(strata)
    ys = [call(u) for u in us]
    means, stds, hypers = [], [], []
    for it in range(n_iter + 1):           # one surrogate fit per call of the objective
        fit = _surrogate(np.array(us), np.array(ys), cand, noise)
        means.append(fit.mean)
        stds.append(fit.std)
        hypers.append(fit.hyper)
        if it == n_iter:
            break
        u_next = cand[int(np.argmax(_acquire(acquisition, *fit.standardised, xi, kappa)))]
        us.append(u_next)
        ys.append(call(u_next))
    X = lo + width * np.array(us)
    best = int(np.argmax(means[-1]))
    x_best = lo + width * cand[best]
    return BayesOptResult(
        x=X[:, 0] if one_d else X, y=np.array(ys),
        x_best=float(x_best[0]) if one_d else x_best, y_best=float(means[-1][best]),
        candidates=(lo + width * cand)[:, 0] if one_d else lo + width * cand,
        mean=np.array(means), std=np.array(stds), hyperparameters=np.array(hypers))


def grid_calls(objective: Callable, bounds, x_target: float, *, rtol: float = 0.02,
               n_max: int = 200) -> int:
    r"""Calls a uniform grid needs to locate a maximum within a relative tolerance.

    The smallest :math:`n` such that, for every :math:`n' \in [n, n_\max]`, the
    best point of the grid ``numpy.linspace(low, high, n')`` lies within
    :math:`|x - x^*| \le r\,|x^*|` of the target; evaluate a noiseless
    ``objective`` here, which flatters the grid.

    Parameters
    ----------
    objective : callable
        Vectorised 1-D function ``objective(x_array) -> y_array``.
    bounds : (float, float)
        Search interval.
    x_target : float
        The true maximiser :math:`x^*` (nonzero).
    rtol : float
        Relative tolerance :math:`r`.
    n_max : int
        Largest grid tried.

    Returns
    -------
    int
        The number of calls; raises ``ValueError`` if even ``n_max`` fails.

    Example
    -------
    >>> grid_calls(lambda x: -(x - 0.5) ** 2, (0.0, 1.0), 0.5, rtol=0.1)
    11
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    box, one_d = _bounds(bounds)
    if not one_d:
        raise ValueError(f"bounds must be one (low, high) pair, got shape {box.shape}")
    x_target = check_real("x_target", x_target)
    if x_target == 0:
        raise ValueError("x_target must be nonzero (the tolerance is relative)")
    rtol = check_positive("rtol", rtol)
    n_max = check_int("n_max", n_max, minimum=2)
    ok = []
    for n in range(2, n_max + 1):
        grid = np.linspace(box[0, 0], box[0, 1], n)
        values = np.asarray(objective(grid), dtype=float)
        ok.append(abs(grid[int(np.argmax(values))] - x_target) <= rtol * abs(x_target))
    ok = np.array(ok)
    if not ok[-1]:
        raise ValueError(f"no grid up to n_max = {n_max} points reaches rtol = {rtol}")
    failing = np.flatnonzero(~ok)
    return int(2 + (failing[-1] + 1 if failing.size else 0))
