r"""Gaussian-process regression: posterior, evidence and kernel hyperparameters.

A Gaussian process with covariance (kernel) :math:`K` and Gaussian observation noise
:math:`\Sigma` gives, for targets :math:`y` at training inputs :math:`X`,

.. math::

    m_* = K_{*X}\,(K_{XX} + \Sigma)^{-1} y,\qquad
    C_* = K_{**} - K_{*X}\,(K_{XX} + \Sigma)^{-1} K_{X*},

    \log p(y) = -\tfrac12\, y^\top (K_{XX} + \Sigma)^{-1} y - \tfrac12 \log\det(K_{XX} + \Sigma)
                - \tfrac{n}{2}\log 2\pi .

This module owns that inference, for every kernel of the book: the NNGP and NTK kernels of
:mod:`physbook.nngp` (an infinitely wide network *is* a GP), the RBF kernel, and the surrogate
of Bayesian optimisation in :mod:`physbook.apprentice`. Everything here is small dense linear
algebra by Cholesky factorisation, in numpy (float64), and returns numpy arrays;
:func:`log_marginal_likelihood` and :func:`fit_rbf` are vectorised over a batch of kernels
(a grid of hyperparameters) instead of looping over it.

References: C. E. Rasmussen and C. K. I. Williams, *Gaussian Processes for Machine Learning*
(MIT Press, 2006), ch. 2 and 5.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import check_array

__all__ = [
    "GPPosterior",
    "posterior",
    "log_marginal_likelihood",
    "RBFFit",
    "fit_rbf",
]


class GPPosterior(NamedTuple):
    """Posterior of GP regression (numpy arrays)."""

    #: Posterior mean, shape (n_test,) or (n_test, k).
    mean: np.ndarray
    #: Posterior covariance (n_test, n_test), or the variances (n_test,) if only the diagonal
    #: of the test kernel was given.
    cov: np.ndarray


def _noise(noise, n: int) -> np.ndarray:
    nz = check_array("noise", noise, dtype="float")
    if nz.ndim > 1 or (nz.ndim == 1 and nz.shape != (n,)):
        raise ValueError(f"noise must be a scalar or have shape ({n},), got {nz.shape}")
    if np.any(nz < 0):
        raise ValueError("noise must be a non-negative variance (scalar or per point)")
    return nz


def _cholesky(K: np.ndarray, nz: np.ndarray) -> np.ndarray:
    """Cholesky factor of K + diag(noise) (batched over leading axes), or a clear error."""
    n = K.shape[-1]
    A = K + np.broadcast_to(nz, (n,)) * np.eye(n) if nz.ndim <= 1 else K + nz
    try:
        return np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise ValueError("kernel_train + noise is not positive definite (Cholesky failed); "
                         "add observation noise or jitter to the diagonal") from None


def _train_system(kernel_train, y, noise, *, batched: bool = False):
    K, yy = _kernel_and_targets(kernel_train, y, batched)
    return K, _cholesky(K, _noise(noise, K.shape[-1])), yy


def _kernel_and_targets(kernel_train, y, batched: bool):
    K = check_array("kernel_train", kernel_train, min_ndim=2, dtype="float")
    if not batched and K.ndim != 2:
        raise ValueError(f"kernel_train must be a square matrix, got shape {K.shape}")
    n = K.shape[-1]
    if K.shape[-2] != n or n == 0:
        raise ValueError(f"kernel_train must be a non-empty square matrix, got shape {K.shape}")
    scale = max(float(np.max(np.abs(K))), 1e-300)
    if not np.allclose(K, np.swapaxes(K, -1, -2), rtol=1e-8, atol=1e-12 * scale):
        raise ValueError("kernel_train must be symmetric")
    yy = check_array("y", y, dtype="float")
    if yy.ndim not in (1, 2) or yy.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, k) to match kernel_train, got {yy.shape}")
    return K, yy


def _cho_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(L L^T)^{-1} b for a lower-triangular L (batched over leading axes of L)."""
    z = np.linalg.solve(L, b)
    return np.linalg.solve(np.swapaxes(L, -1, -2), z)


def posterior(kernel_train, kernel_cross, kernel_test, y, noise) -> GPPosterior:
    r"""Gaussian-process regression posterior by Cholesky solves.

    .. math::

        m_* = K_{*X}\,(K_{XX} + \Sigma)^{-1} y,\qquad
        C_* = K_{**} - K_{*X}\,(K_{XX} + \Sigma)^{-1} K_{X*},

    with :math:`\Sigma` = diag(``noise``) the observation-noise variances.

    Parameters
    ----------
    kernel_train : array_like, shape (n, n)
        :math:`K_{XX}`, symmetric positive semi-definite.
    kernel_cross : array_like, shape (n_test, n)
        :math:`K_{*X}` (test by train).
    kernel_test : array_like, shape (n_test, n_test) or (n_test,)
        :math:`K_{**}` or just its diagonal (then only variances are returned).
    y : array_like, shape (n,) or (n, k)
        Targets (k independent outputs share the kernel).
    noise : float or array_like, shape (n,)
        Observation-noise variance(s) >= 0 (0 gives exact interpolation).

    Returns
    -------
    GPPosterior
        ``mean`` of shape (n_test,) or (n_test, k); ``cov`` of shape (n_test, n_test), or the
        variances (n_test,) if a diagonal was given (numpy arrays).

    Example
    -------
    >>> from physbook.nngp import rbf_kernel
    >>> x = np.linspace(0, 1, 4)
    >>> post = posterior(rbf_kernel(x), rbf_kernel(x), np.ones(4), np.sin(x), 0.0)
    >>> np.allclose(post.mean, np.sin(x)) and np.allclose(post.cov, 0, atol=1e-8)
    True

    References
    ----------
    C. E. Rasmussen and C. K. I. Williams (2006), algorithm 2.1.
    """
    _, L, yy = _train_system(kernel_train, y, noise)
    n = L.shape[0]
    Kx = check_array("kernel_cross", kernel_cross, ndim=2, dtype="float")
    if Kx.shape[1] != n:
        raise ValueError(f"kernel_cross must have shape (n_test, {n}) (test by train), got {Kx.shape}")
    m = Kx.shape[0]
    Kt = check_array("kernel_test", kernel_test, dtype="float")
    if Kt.shape not in ((m, m), (m,)):
        raise ValueError(f"kernel_test must have shape ({m}, {m}) or ({m},), got {Kt.shape}")
    alpha = _cho_solve(L, yy)
    V = np.linalg.solve(L, Kx.T)
    cov = Kt - np.sum(V * V, axis=0) if Kt.ndim == 1 else Kt - V.T @ V
    return GPPosterior(Kx @ alpha, cov)


def log_marginal_likelihood(kernel_train, y, noise) -> float | np.ndarray:
    r"""Log marginal likelihood (evidence) of GP regression.

    .. math::

        \log p(y) = -\tfrac12\, y^\top (K + \Sigma)^{-1} y - \tfrac12 \log\det(K + \Sigma)
                    - \tfrac{n}{2}\log 2\pi,

    summed over the k columns of ``y`` when it has shape (n, k).

    Parameters
    ----------
    kernel_train : array_like, shape (..., n, n)
        One kernel, or a batch of kernels (e.g. a grid of hyperparameters) evaluated at once.
    y : array_like, shape (n,) or (n, k)
    noise : float or array_like, shape (n,) or (..., 1, 1)
        Observation-noise variance(s) >= 0; for a batch, an array broadcastable against the
        batch of kernels such as ``noises[:, None, None] * np.eye(n)`` is also accepted.

    Returns
    -------
    float, or numpy.ndarray of the batch shape

    Example
    -------
    >>> lml = log_marginal_likelihood(np.eye(2), np.zeros(2), 0.0)
    >>> bool(np.isclose(lml, -np.log(2 * np.pi)))
    True

    References
    ----------
    C. E. Rasmussen and C. K. I. Williams (2006), eq. 2.30.
    """
    K, yy = _kernel_and_targets(kernel_train, y, batched=True)
    nz = check_array("noise", noise, dtype="float")
    if nz.ndim >= 2:                           # a per-kernel noise matrix for a batch
        if np.any(nz < 0):
            raise ValueError("noise must be a non-negative variance")
        L = _cholesky(K, nz)
    else:
        L = _cholesky(K, _noise(nz, K.shape[-1]))
    Y = yy if yy.ndim == 2 else yy[:, None]
    alpha = _cho_solve(L, np.broadcast_to(Y, L.shape[:-2] + Y.shape))
    k, n = Y.shape[1], L.shape[-1]
    logdet = np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    out = -0.5 * np.sum(Y * alpha, axis=(-2, -1)) - k * logdet - 0.5 * k * n * np.log(2.0 * np.pi)
    return float(out) if np.ndim(out) == 0 else out


class RBFFit(NamedTuple):
    """Hyperparameters of an RBF-kernel GP chosen by the evidence (see :func:`fit_rbf`)."""

    #: Lengthscale :math:`\ell`.
    lengthscale: float
    #: Signal variance :math:`\sigma^2`.
    variance: float
    #: Observation-noise variance.
    noise: float
    #: The log marginal likelihood at the chosen point.
    log_marginal_likelihood: float


def fit_rbf(x, y, *, lengthscales, variances, noises) -> RBFFit:
    r"""Type-II maximum likelihood on a grid: the RBF hyperparameters with the largest evidence.

    Every combination :math:`(\ell, \sigma^2, \sigma_n^2)` of the three grids is scored by
    :func:`log_marginal_likelihood` with the kernel
    :math:`\sigma^2 \exp(-\lVert x - x'\rVert^2 / 2\ell^2)` (:func:`physbook.nngp.rbf_kernel`);
    all kernels of the grid are factorised in one batched call.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Training inputs.
    y : array_like, shape (n,)
        Targets (standardise them first if the grids assume unit scale).
    lengthscales, variances, noises : array_like, 1-D
        Positive grid values (noise variances may be 0 only if the kernel is well conditioned).

    Returns
    -------
    RBFFit

    Example
    -------
    >>> x = np.linspace(0, 1, 12)
    >>> fit = fit_rbf(x, np.sin(6 * x), lengthscales=[0.02, 0.2, 2.0], variances=[1.0], noises=[1e-4])
    >>> fit.lengthscale
    0.2

    References
    ----------
    C. E. Rasmussen and C. K. I. Williams (2006), sec. 5.4.
    """
    from .nngp import rbf_kernel

    grids = []
    for name, values in (("lengthscales", lengthscales), ("variances", variances), ("noises", noises)):
        arr = check_array(name, values, ndim=1, dtype="float")
        if arr.size == 0 or np.any(arr < 0) or (name != "noises" and np.any(arr == 0)):
            raise ValueError(f"{name} must be a non-empty 1-D array of positive values")
        grids.append(arr)
    ells, vars_, nzs = grids
    yy = check_array("y", y, ndim=1, dtype="float")
    k0 = np.stack([np.asarray(rbf_kernel(x, lengthscale=float(ell), variance=1.0)) for ell in ells])
    if k0.shape[-1] != yy.shape[0]:
        raise ValueError(f"y must have one target per input ({k0.shape[-1]}), got {yy.shape[0]}")
    n = yy.shape[0]
    K = vars_[None, :, None, None, None] * k0[:, None, None]            # (ell, var, 1, n, n)
    K = np.broadcast_to(K, (ells.size, vars_.size, nzs.size, n, n))
    noise = nzs[None, None, :, None, None] * np.eye(n)
    lml = log_marginal_likelihood(K, yy, noise)
    i, j, k = np.unravel_index(int(np.argmax(lml)), lml.shape)
    return RBFFit(float(ells[i]), float(vars_[j]), float(nzs[k]), float(lml[i, j, k]))
