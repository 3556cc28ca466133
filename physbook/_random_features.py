r"""The joint scaling law L(N, D) of linear random-feature ridge regression, and compute-optimal allocation.

A solvable model of neural scaling laws (Maloney, Roberts and Sully 2022; Bach 2024; Atanasov,
Zavatone-Veth and Pehlevan 2024). Inputs :math:`x \in \mathbb R^M` are Gaussian with covariance
:math:`\mathrm{diag}(\lambda_1, \dots, \lambda_M)`; the teacher is linear,
:math:`y = w\cdot x + \epsilon` with :math:`\mathrm{Var}\,\epsilon = \sigma^2` and power
:math:`p_k = \lambda_k w_k^2` in mode :math:`k`; the student sees :math:`N` random features
:math:`z = F x` (:math:`F_{ik} \sim \mathcal N(0, 1/N)`, so :math:`\mathbb E\,F^\top F = I`) and
fits its readout by ridge regression on :math:`D` samples,
:math:`\hat v = (Z^\top Z + \delta I)^{-1} Z^\top y`. Its test error against the clean teacher is
:math:`\mathcal E(N, D) = \mathbb E_x[(\hat v\cdot F x - w\cdot x)^2]`.

:func:`random_feature_theory` is the deterministic equivalent of :math:`\mathcal E(N, D)`: two
successive renormalizations of the ridge, one by the finite data, one by the finite features.
:func:`random_feature_simulation` measures the same error. :func:`scaling_law_fit` fits the
Chinchilla form :math:`\mathcal E = E_0 + A N^{-a} + B D^{-b}` (Hoffmann et al. 2022);
:func:`compute_optimal` turns a fit into the compute-optimal frontier for the cost
:math:`C = N D`, and :func:`compute_optimal_theory` finds the frontier of the theory itself.
:func:`random_feature_exponents` gives the asymptotic exponents :math:`a, b` of power-law spectra.

References
----------
A. Maloney, D. A. Roberts and J. Sully, arXiv:2210.16859 (2022); F. Bach, SIAM J. Math. Data
Sci. 6, 26 (2024); A. Atanasov, J. A. Zavatone-Veth and C. Pehlevan, arXiv:2405.00592 (2024);
Y. Bahri, E. Dyer, J. Kaplan, J. Lee and U. Sharma, PNAS 121, e2311878121 (2024);
E. Paquette, C. Paquette, L. Xiao and J. Pennington, NeurIPS (2024); J. Hoffmann et al.,
NeurIPS (2022); J. Kaplan et al., arXiv:2001.08361 (2020).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._blas import one_blas_thread
from ._validate import check_array, check_int, check_positive, check_real
from .random import Seed, as_generator
from .stats import Estimate

__all__ = [
    "RandomFeatureTheory",
    "random_feature_theory",
    "random_feature_simulation",
    "random_feature_exponents",
    "ScalingLawFit",
    "scaling_law_fit",
    "ComputeOptimal",
    "compute_optimal",
    "compute_optimal_theory",
]

_CHUNK = 2_000_000          # modes x grid points per array in the mode sums (memory, not speed)


# ----------------------------------------------------------------------------- theory

class RandomFeatureTheory(NamedTuple):
    """Deterministic-equivalent prediction per (N, D) (numpy arrays of the broadcast shape)."""

    #: Test error against the clean teacher, :math:`\mathcal E(N, D)`.
    error: np.ndarray
    #: Test error against noisy labels, :math:`\mathcal E + \sigma^2`.
    test_mse: np.ndarray
    #: The renormalized ridge :math:`\kappa` in input space: mode k is learned to
    #: :math:`\lambda_k/(\lambda_k+\kappa)`.
    kappa: np.ndarray
    #: The ridge seen by the N features, :math:`\kappa_F = \kappa(1 - \mathrm{df}_1/N)`.
    kappa_features: np.ndarray
    #: The variance amplification :math:`\mathcal E_0 = 1/(1 - \mathrm{df}_F/D)`.
    overfitting: np.ndarray


def _modes(eigenvalues, target_power):
    lam = check_array("eigenvalues", eigenvalues, ndim=1, dtype="float")
    p = check_array("target_power", target_power, ndim=1, dtype="float")
    if lam.size == 0 or np.any(lam < 0) or not np.any(lam > 0):
        raise ValueError("eigenvalues must be non-negative with at least one positive value")
    if p.shape != lam.shape or np.any(p < 0):
        raise ValueError(f"target_power must be non-negative with the shape of eigenvalues "
                         f"{lam.shape}, got shape {p.shape}")
    keep = lam > 0
    return lam[keep], p[keep], float(p[~keep].sum())


def _sizes(name, value):
    arr = check_array(name, value, dtype="float", finite=False)
    if np.any(np.isnan(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must contain positive numbers (np.inf for the infinite limit), "
                         f"got {value!r}")
    return arr


def _sums(lam, p, kappa, which):
    """Mode sums at each kappa (flat array): df1, df2 and, with which="all", also
    sum p kappa^2/(lam+kappa)^2 and sum p lam/(lam+kappa)^2."""
    out = np.empty((4 if which == "all" else 2, kappa.size))
    step = max(1, _CHUNK // lam.size)
    for s in range(0, kappa.size, step):
        k = kappa[s:s + step, None]
        r = lam / (lam + k)
        out[0, s:s + step] = r.sum(axis=1)
        out[1, s:s + step] = (r * r).sum(axis=1)
        if which == "all":
            q = p / (lam + k)
            out[2, s:s + step] = (q * k * k / (lam + k)).sum(axis=1)
            out[3, s:s + step] = (q * r).sum(axis=1)
    return out


def _h(u, df1, df2, N, D, target, ridgeless):
    """An increasing function of u = log kappa whose root is kappa, and its derivative.

    With a ridge: kappa (1 - df1/N)(1 - df1/D) / target - 1, which is linear near the ridgeless
    point where a factor vanishes (its logarithm is not, and Newton stalls there); ridgeless:
    1 - df1/min(N, D). Where a factor is negative (below the branch) the value is -1.
    """
    c = df1 - df2                                    # = -d df1 / d log kappa
    if ridgeless:
        m = np.minimum(N, D)
        return 1.0 - df1 / m, c / m
    with np.errstate(divide="ignore", invalid="ignore"):
        fN, fD = 1.0 - df1 / N, 1.0 - df1 / D
        ok = (fN > 0) & (fD > 0)
        g = np.exp(u) * fN * fD / target
        dg = g * (1.0 + c / (N - df1) + c / (D - df1))
    return np.where(ok, g - 1.0, -1.0), np.where(ok, dg, 0.0)


def _solve(lam, N, D, target, ridgeless):
    """kappa per point: bracket from a table of df1 in log kappa, then safeguarded Newton."""
    M, tr, m = lam.size, lam.sum(), np.minimum(N, D)
    if ridgeless:
        lo = np.log(lam.min() * (M - m) / m) - 1.0
        hi = np.log(tr / m) + 1.0
    else:
        lo, hi = np.log(target), np.log(2 * target + 4 * tr)
    table = np.linspace(lo.min(), hi.max(), 513)
    d_tab = _sums(lam, None, np.exp(table), "df")
    h_tab = _h(table[None, :], d_tab[0][None, :], d_tab[1][None, :], N[:, None], D[:, None],
               None if ridgeless else target[:, None], ridgeless)[0]
    j = np.clip(np.sum(h_tab < 0, axis=1), 1, table.size - 1)
    lo, hi = table[j - 1], table[j]
    u = 0.5 * (lo + hi)
    for _ in range(100):
        df1, df2 = _sums(lam, None, np.exp(u), "df")
        h, dh = _h(u, df1, df2, N, D, target, ridgeless)
        lo, hi = np.where(h < 0, u, lo), np.where(h < 0, hi, u)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = u - h / dh
        new = np.where(np.isfinite(new) & (new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        done = np.all((np.abs(new - u) < 1e-12) | (np.abs(h) < 1e-13))
        u = new
        if done:
            break
    return np.exp(u)


def random_feature_theory(eigenvalues, target_power, n_features, n_samples, *, ridge: float = 0.0,
                          noise: float = 0.0) -> RandomFeatureTheory:
    r"""Deterministic-equivalent test error of ridge regression on N linear random features and D samples.

    The model is the one of this module: Gaussian inputs with covariance eigenvalues
    :math:`\lambda_k`, a linear teacher with power :math:`p_k` in mode :math:`k` and label-noise
    variance :math:`\sigma^2`, :math:`N` Gaussian random features, ridge :math:`\delta` on
    :math:`D` samples (:math:`\hat v = (Z^\top Z + \delta I)^{-1}Z^\top y`, the convention of
    :func:`physbook.scaling.learning_curve_theory`). With
    :math:`\mathrm{df}_j(\kappa) = \sum_k \lambda_k^j/(\lambda_k+\kappa)^j`, the renormalized
    ridge :math:`\kappa` solves

    .. math:: \kappa\Big(1 - \frac{\mathrm{df}_1(\kappa)}{N}\Big)
              \Big(1 - \frac{\mathrm{df}_1(\kappa)}{D}\Big) = \frac{\delta}{D}

    (for :math:`\delta = 0`: :math:`\mathrm{df}_1(\kappa) = \min(N, D)`, and :math:`\kappa = 0`
    once that exceeds the number of modes): the bare ridge :math:`\delta/D` is renormalized once
    by the data, to :math:`\kappa_F = \delta/(D - \mathrm{df}_1)`, and once by the features, to
    :math:`\kappa = \kappa_F/(1 - \mathrm{df}_1/N)`. Then, with
    :math:`\mathrm{df}_F = \mathrm{df}_2 + (\mathrm{df}_1-\mathrm{df}_2)^2/(N-\mathrm{df}_2)`,

    .. math:: \mathcal E = \frac{B + \sigma^2}{1 - \mathrm{df}_F/D} - \sigma^2, \qquad
              B = \sum_k \frac{\kappa^2 p_k}{(\lambda_k+\kappa)^2}
              + \frac{\kappa\,(\mathrm{df}_1 - \mathrm{df}_2)}{N - \mathrm{df}_2}
                \sum_k \frac{\lambda_k p_k}{(\lambda_k+\kappa)^2} .

    :math:`B` is the bias of the population ridge fit in feature space (its second term the
    variance of the random projection), :math:`1/(1-\mathrm{df}_F/D)` the amplification of bias
    and noise by the finite sample. Limits: :math:`N\to\infty` is kernel ridge regression
    (:func:`physbook.scaling.learning_curve_theory` with coefficients :math:`\sqrt{p_k}`);
    :math:`D\to\infty` is the projection (approximation) error
    :math:`\sum_k p_k\kappa/(\lambda_k+\kappa)`, :math:`\mathrm{df}_1(\kappa) = N`; at
    :math:`\delta\to 0` the error diverges at :math:`N = D` (double descent).

    Parameters
    ----------
    eigenvalues : array_like, shape (M,)
        Input covariance eigenvalues :math:`\lambda_k \ge 0` (zero modes carry no signal).
    target_power : array_like, shape (M,)
        Teacher power per mode, :math:`p_k = \lambda_k w_k^2 \ge 0`.
    n_features, n_samples : array_like
        :math:`N` and :math:`D` (> 0, ``np.inf`` for the limit), broadcast against each other.
    ridge : float
        :math:`\delta \ge 0`.
    noise : float
        Label-noise variance :math:`\sigma^2 \ge 0`.

    Returns
    -------
    RandomFeatureTheory
        ``error``, ``test_mse``, ``kappa``, ``kappa_features``, ``overfitting``, numpy arrays of
        the broadcast shape of ``n_features`` and ``n_samples`` (``inf`` at the ridgeless peak).

    Example
    -------
    >>> lam = np.arange(1, 1001) ** -1.5
    >>> th = random_feature_theory(lam, lam, [10, 100, np.inf], 1000, ridge=1e-3)
    >>> bool(np.all(np.diff(th.error) < 0))
    True

    References
    ----------
    F. Bach, SIAM J. Math. Data Sci. 6, 26 (2024); A. Atanasov, J. A. Zavatone-Veth and
    C. Pehlevan, arXiv:2405.00592 (2024), section on linear random features;
    A. Maloney, D. A. Roberts and J. Sully, arXiv:2210.16859 (2022).
    """
    lam, p, lost = _modes(eigenvalues, target_power)
    N0, D0 = np.broadcast_arrays(_sizes("n_features", n_features), _sizes("n_samples", n_samples))
    ridge = check_positive("ridge", ridge, allow_zero=True)
    noise = check_positive("noise", noise, allow_zero=True)
    shape, N, D = N0.shape, N0.reshape(-1).astype(float), D0.reshape(-1).astype(float)
    kappa = np.zeros(N.size)
    bare = ridge / D                                   # 0 where D is infinite
    with_ridge = bare > 0
    ridgeless = ~with_ridge & (np.minimum(N, D) < lam.size)
    if with_ridge.any():
        kappa[with_ridge] = _solve(lam, N[with_ridge], D[with_ridge], bare[with_ridge], False)
    if ridgeless.any():
        kappa[ridgeless] = _solve(lam, N[ridgeless], D[ridgeless], None, True)
    df1, df2, bias0, tilt = _sums(lam, p, kappa, "all")
    with np.errstate(divide="ignore", invalid="ignore"):
        zero = kappa == 0                             # every mode learned: N, D >= M, no ridge
        dfF = np.where(zero, df1, df2 + (df1 - df2) ** 2 / (N - df2))
        bias = np.where(zero, 0.0, bias0 + kappa * (df1 - df2) * tilt / (N - df2)) + lost
        gap = 1.0 - dfF / D
        e0 = np.where(gap > 1e-14, 1.0 / gap, np.inf)
        err = np.where(np.isfinite(e0), e0 * (bias + noise) - noise, np.inf)
        kf = kappa * (1.0 - df1 / N)
    return RandomFeatureTheory(err.reshape(shape), (err + noise).reshape(shape), kappa.reshape(shape),
                               kf.reshape(shape), e0.reshape(shape))


# ----------------------------------------------------------------------------- simulation

@one_blas_thread
def random_feature_simulation(eigenvalues, target_power, n_features, n_samples, *,
                              ridge: float = 0.0, noise: float = 0.0, n_draws: int = 32,
                              seed: Seed = None) -> Estimate:
    r"""Measured test error of ridge regression on N linear random features and D samples.

    Each draw samples the features :math:`F` (:math:`F_{ik}\sim\mathcal N(0,1/N)`), a training
    set :math:`x_\mu \sim \mathcal N(0, \mathrm{diag}\,\lambda)`, labels
    :math:`y_\mu = w\cdot x_\mu + \epsilon_\mu` with :math:`w_k = \sqrt{p_k/\lambda_k}`, fits
    :math:`\hat v = (Z^\top Z + \delta I)^{-1}Z^\top y` (:math:`Z = X F^\top`; the dual form
    when :math:`D < N`) and evaluates the test error exactly, without a test set:

    .. math:: \mathcal E = (F^\top \hat v - w)^\top \mathrm{diag}(\lambda)\,(F^\top\hat v - w).

    The sizes are nested inside one draw (the first N features and the first D samples of
    ``max(N)`` and ``max(D)``), so a whole grid costs about one fit of the largest sizes;
    draws are independent. The estimate is the mean over draws, its error bar the standard
    error over draws. Compare with :func:`random_feature_theory`.

    Parameters
    ----------
    eigenvalues, target_power : array_like, shape (M,)
        :math:`\lambda_k > 0` and :math:`p_k \ge 0`, as in :func:`random_feature_theory`.
    n_features, n_samples : array_like of int
        :math:`N` and :math:`D` (>= 1), broadcast against each other (e.g. ``N[:, None]`` and
        ``D[None, :]`` for a grid).
    ridge : float
        :math:`\delta \ge 0` (> 0 where N = D).
    noise : float
        Label-noise variance :math:`\sigma^2 \ge 0`.
    n_draws : int
        Independent draws of features and data (>= 2).
    seed : int, numpy.random.Generator, JAX key or None
        Randomness.

    Returns
    -------
    Estimate
        ``mean`` and ``error`` (standard error over draws), numpy arrays of the broadcast shape.

    Example
    -------
    >>> lam = np.arange(1, 201) ** -1.5
    >>> est = random_feature_simulation(lam, lam, [8, 32], 64, ridge=1e-3, n_draws=4, seed=0)
    >>> bool(est.mean[1] < est.mean[0])
    True

    References
    ----------
    F. Bach, SIAM J. Math. Data Sci. 6, 26 (2024); A. Atanasov, J. A. Zavatone-Veth and
    C. Pehlevan, arXiv:2405.00592 (2024).
    """
    lam = check_array("eigenvalues", eigenvalues, ndim=1, dtype="float")
    p = check_array("target_power", target_power, ndim=1, dtype="float")
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError("eigenvalues must be positive (a zero mode carries no signal: drop it)")
    if p.shape != lam.shape or np.any(p < 0):
        raise ValueError(f"target_power must be non-negative with the shape of eigenvalues "
                         f"{lam.shape}, got shape {p.shape}")
    N0, D0 = np.broadcast_arrays(check_array("n_features", n_features, dtype="int"),
                                 check_array("n_samples", n_samples, dtype="int"))
    if N0.size == 0 or np.any(N0 < 1) or np.any(D0 < 1):
        raise ValueError(f"n_features and n_samples must be positive integers, got {n_features!r} "
                         f"and {n_samples!r}")
    ridge = check_positive("ridge", ridge, allow_zero=True)
    noise = check_positive("noise", noise, allow_zero=True)
    if ridge == 0 and np.any(N0 == D0):
        raise ValueError("ridge = 0 with n_features == n_samples is the interpolation peak "
                         "(infinite mean error): give ridge > 0")
    n_draws = check_int("n_draws", n_draws, minimum=2)
    rng = as_generator(seed)
    pairs, where = np.unique(np.stack([N0.ravel(), D0.ravel()], axis=1), axis=0, return_inverse=True)
    where = where.reshape(-1)
    n_max, d_max, M = int(pairs[:, 0].max()), int(pairs[:, 1].max()), lam.size
    v = np.sqrt(p)                                    # the teacher in whitened coordinates
    root = np.sqrt(lam)
    d_cuts = np.unique(np.concatenate([[0], pairs[:, 1]]))
    dual = pairs[:, 1] < pairs[:, 0]                 # D < N: solve in sample space
    n_cuts = np.unique(np.concatenate([[0], pairs[dual, 0]]))
    d_dual = int(pairs[dual, 1].max()) if dual.any() else 0
    errors = np.empty((n_draws, len(pairs)))
    for r in range(n_draws):
        # G = F Sigma^1/2 with unit-variance F (1/sqrt(N) is applied per size below)
        G = rng.standard_normal((n_max, M), dtype=np.float32).astype(np.float64) * root
        C, b = G @ G.T, G @ v
        # the training rows (z, y) given F are Gaussian, Cov z = C, Cov(z, y) = b, Var y = v.v:
        # sample z from C's Cholesky factor and y given z (no n_samples x M inputs needed)
        if n_max < M:
            Z = rng.standard_normal((d_max, n_max)) @ np.linalg.cholesky(C).T
            beta = np.linalg.solve(C, b)               # y = Z beta + the unresolved part
            y = Z @ beta + np.sqrt(max(v @ v - b @ beta, 0.0)) * rng.standard_normal(d_max)
        else:
            g = rng.standard_normal((d_max, M))
            y, Z = g @ v, g @ G.T
        y = y + np.sqrt(noise) * rng.standard_normal(d_max)
        # Gram matrices of nested sizes, accumulated block by block
        gram_d, proj_d, acc, acc_y = {}, {}, np.zeros((n_max, n_max)), np.zeros(n_max)
        for lo_, hi_ in zip(d_cuts[:-1], d_cuts[1:]):
            acc = acc + Z[lo_:hi_].T @ Z[lo_:hi_]
            acc_y = acc_y + Z[lo_:hi_].T @ y[lo_:hi_]
            gram_d[hi_], proj_d[hi_] = acc, acc_y
        kern_n, acc = {}, np.zeros((d_dual, d_dual))
        for lo_, hi_ in zip(n_cuts[:-1], n_cuts[1:]):
            acc = acc + Z[:d_dual, lo_:hi_] @ Z[:d_dual, lo_:hi_].T
            kern_n[hi_] = acc
        for i, (n, d) in enumerate(pairs):
            if not dual[i]:   # primal: (Z'Z/n + ridge) u = Z'y/sqrt(n), coefficients u/sqrt(n) on raw G
                A = gram_d[d][:n, :n] / n + ridge * np.eye(n)
                coef = np.linalg.solve(A, proj_d[d][:n]) / n
            else:        # dual: (ZZ'/n + ridge) a = y, coefficients Z'a/n on raw G
                A = kern_n[n][:d, :d] / n + ridge * np.eye(d)
                coef = Z[:d, :n].T @ np.linalg.solve(A, y[:d]) / n
            resid = G[:n].T @ coef - v                 # (F' v_hat - w) in whitened coordinates
            errors[r, i] = resid @ resid
    mean = errors.mean(axis=0)[where].reshape(N0.shape)
    sem = (errors.std(axis=0, ddof=1) / np.sqrt(n_draws))[where].reshape(N0.shape)
    return Estimate(mean, sem)


def random_feature_exponents(alpha, gamma) -> tuple[np.ndarray, np.ndarray]:
    r"""Asymptotic exponents of :math:`\mathcal E(N, \infty) \sim N^{-a}` and
    :math:`\mathcal E(\infty, D) \sim D^{-b}` for power-law spectrum and target.

    For :math:`\lambda_k \propto k^{-\alpha}` (:math:`\alpha > 1`) and target power
    :math:`p_k \propto k^{-\gamma}` (:math:`\gamma > 1`), at vanishing ridge and noise,
    :math:`\kappa \sim N^{-\alpha}` (resp. :math:`D^{-\alpha}`), and the two limits of
    :func:`random_feature_theory` give

    .. math:: a = \min(\gamma - 1,\ \alpha), \qquad b = \min(\gamma - 1,\ 2\alpha):

    the unlearned tail :math:`\sum_{k > N} p_k \sim N^{1-\gamma}` unless the projection's
    leakage :math:`\kappa\sum_k p_k/\lambda_k \sim N^{-\alpha}` (linear in :math:`\kappa`)
    dominates, resp. the data's shrinkage :math:`\kappa^2\sum_k p_k/\lambda_k^2 \sim
    D^{-2\alpha}` (quadratic in :math:`\kappa`).

    Parameters
    ----------
    alpha, gamma : float or array_like
        Spectral and target exponents (> 1), broadcast.

    Returns
    -------
    tuple of numpy.ndarray
        ``(a, b)``.

    Example
    -------
    >>> [float(x) for x in random_feature_exponents(1.5, 3.0)]
    [1.5, 2.0]

    References
    ----------
    Y. Bahri et al., PNAS 121, e2311878121 (2024); A. Maloney, D. A. Roberts and J. Sully,
    arXiv:2210.16859 (2022); A. Atanasov, J. A. Zavatone-Veth and C. Pehlevan,
    arXiv:2405.00592 (2024).
    """
    al = check_array("alpha", alpha, dtype="float")
    ga = check_array("gamma", gamma, dtype="float")
    if np.any(al <= 1) or np.any(ga <= 1):
        raise ValueError(f"alpha and gamma must be > 1 (summable spectrum and target power), "
                         f"got alpha={alpha!r}, gamma={gamma!r}")
    al, ga = np.broadcast_arrays(al, ga)
    return np.minimum(ga - 1, al), np.minimum(ga - 1, 2 * al)


# ----------------------------------------------------------------------------- the joint law

_NAMES = ("irreducible", "amplitude_features", "exponent_features", "amplitude_samples",
          "exponent_samples")


class ScalingLawFit(NamedTuple):
    r"""A fitted joint law :math:`E(N, D) = E_0 + A N^{-a} + B D^{-b}` (see :func:`scaling_law_fit`)."""

    #: :math:`E_0`, the error left at infinite N and D.
    irreducible: Estimate
    #: :math:`A`.
    amplitude_features: Estimate
    #: :math:`a`.
    exponent_features: Estimate
    #: :math:`B`.
    amplitude_samples: Estimate
    #: :math:`b`.
    exponent_samples: Estimate
    #: Covariance of :math:`(E_0, A, a, B, b)` (zero rows and columns for a held parameter).
    covariance: np.ndarray
    #: :math:`\chi^2` per degree of freedom of the fit (residuals in log E).
    chi2_dof: float

    def predict(self, n_features, n_samples) -> np.ndarray:
        """The fitted law at (N, D) (broadcast)."""
        N = _sizes("n_features", n_features)
        D = _sizes("n_samples", n_samples)
        return (self.irreducible.mean + self.amplitude_features.mean * N ** -self.exponent_features.mean
                + self.amplitude_samples.mean * D ** -self.exponent_samples.mean)


def _law(theta, lN, lD):
    e0, lA, a, lB, b = theta
    tN, tD = np.exp(lA - a * lN), np.exp(lB - b * lD)
    return e0 + tN + tD, tN, tD


def scaling_law_fit(n_features, n_samples, test_error, *, error=None,
                    irreducible: float | None = None) -> ScalingLawFit:
    r"""Fit the Chinchilla form :math:`E(N, D) = E_0 + A N^{-a} + B D^{-b}` to measured errors.

    Least squares on :math:`\log E` (each point weighted by :math:`(E_i/\sigma_i)^2` when error
    bars :math:`\sigma_i` are given, the relative error of :math:`E_i`), as Hoffmann et al. fit
    their third approach (without the Huber loss). The start comes from a grid over the
    exponents with :math:`(E_0, A, B)` solved linearly for each; Gauss-Newton with bounds
    (:math:`E_0 \ge 0`) then refines all five. Standard errors come from the covariance of the
    weighted fit, scaled by :math:`\chi^2/\mathrm{dof}` when it exceeds one (as
    :func:`physbook.stats.power_law_fit` does; without error bars, by the residual scatter).

    Parameters
    ----------
    n_features, n_samples, test_error : array_like, shape (n,)
        N, D and the error at each point (positive), n >= 6 (n >= 5 with ``irreducible``).
    error : array_like, shape (n,), optional
        Standard errors of ``test_error``.
    irreducible : float, optional
        Hold :math:`E_0` at this value (>= 0) instead of fitting it.

    Returns
    -------
    ScalingLawFit
        The five parameters as :class:`~physbook.stats.Estimate`, their covariance,
        :math:`\chi^2/\mathrm{dof}`; ``.predict(N, D)`` evaluates the law.

    Example
    -------
    >>> N, D = np.meshgrid([10.0, 20, 40, 80], [10.0, 30, 90, 270])
    >>> E = 0.1 + 2.0 * N ** -0.5 + 5.0 * D ** -0.8
    >>> fit = scaling_law_fit(N.ravel(), D.ravel(), E.ravel())
    >>> round(fit.exponent_features.mean, 6), round(fit.exponent_samples.mean, 6)
    (0.5, 0.8)

    References
    ----------
    J. Hoffmann et al., NeurIPS (2022); J. Kaplan et al., arXiv:2001.08361 (2020).
    """
    from scipy import optimize
    N = check_array("n_features", n_features, ndim=1, dtype="float")
    D = check_array("n_samples", n_samples, ndim=1, dtype="float")
    E = check_array("test_error", test_error, ndim=1, dtype="float")
    if not (N.shape == D.shape == E.shape):
        raise ValueError(f"n_features, n_samples and test_error must have one length, got "
                         f"{N.shape}, {D.shape}, {E.shape}")
    if np.any(N <= 0) or np.any(D <= 0) or np.any(E <= 0):
        raise ValueError("n_features, n_samples and test_error must be positive")
    held = irreducible is not None
    if held:
        irreducible = check_positive("irreducible", irreducible, allow_zero=True)
    n_par = 4 if held else 5
    if E.size < n_par + 1:
        raise ValueError(f"test_error needs at least {n_par + 1} points to fit {n_par} "
                         f"parameters with an error bar, got {E.size}")
    if error is None:
        w = np.ones_like(E)
    else:
        s = check_array("error", error, ndim=1, dtype="float")
        if s.shape != E.shape or np.any(s <= 0):
            raise ValueError(f"error must be {E.size} positive standard errors, one per point")
        w = (E / s) ** 2
    sw, lN, lD, lE = np.sqrt(w), np.log(N), np.log(D), np.log(E)
    # start: a grid of exponents, the linear parameters (E0, A, B) by weighted least squares in E
    grid = np.linspace(0.05, 4.0, 80)
    a_g, b_g = [x.ravel() for x in np.meshgrid(grid, grid, indexing="ij")]
    cols = [np.exp(-a_g[:, None] * lN), np.exp(-b_g[:, None] * lD)]
    X = np.stack(([np.ones_like(cols[0])] if not held else []) + cols, axis=-1) / E[:, None]
    rhs = (E - (irreducible if held else 0.0)) / E
    Xw = X * sw[:, None]
    coef = np.linalg.solve(np.swapaxes(Xw, 1, 2) @ Xw + 1e-12 * np.eye(X.shape[-1]),
                           np.swapaxes(Xw, 1, 2) @ (sw * rhs)[:, None])[..., 0]
    pos = np.all(coef[:, -2:] > 0, axis=1) & ((coef[:, 0] >= 0) if not held else True)
    res = np.sum((sw * (rhs - (X @ coef[..., None])[..., 0])) ** 2, axis=1)
    res = np.where(pos, res, np.inf)
    if not np.isfinite(res).any():
        raise ValueError("no positive start for A and B: the errors do not fall with N and D")
    k = int(np.argmin(res))
    e0_0 = irreducible if held else coef[k, 0]
    A0, B0 = coef[k, -2], coef[k, -1]

    def resid(t):
        full = np.array([irreducible, *t]) if held else t
        return sw * (np.log(_law(full, lN, lD)[0]) - lE)

    start = np.array([e0_0, np.log(A0), a_g[k], np.log(B0), b_g[k]])
    lower = np.array([0.0, -np.inf, 0.0, -np.inf, 0.0])
    if held:
        start, lower = start[1:], lower[1:]
    sol = optimize.least_squares(resid, start, bounds=(lower, np.inf), method="trf",
                                 x_scale="jac", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=2000)
    theta = np.concatenate([[irreducible], sol.x]) if held else sol.x
    # covariance in (E0, A, a, B, b): Jacobian of the weighted log residuals
    _, tN, tD = _law(theta, lN, lD)
    model = theta[0] + tN + tD
    J = np.stack([np.ones_like(tN), tN / np.exp(theta[1]), -tN * lN, tD / np.exp(theta[3]),
                  -tD * lD], axis=1) / model[:, None]
    free = np.arange(1, 5) if held else np.arange(5)
    Jw = J[:, free] * sw[:, None]
    r = sw * (np.log(model) - lE)
    dof = E.size - free.size
    chi2 = float(r @ r)
    cov_f = np.linalg.pinv(Jw.T @ Jw)
    cov_f = cov_f * (chi2 / dof if error is None else max(1.0, chi2 / dof))
    cov = np.zeros((5, 5))
    cov[np.ix_(free, free)] = cov_f
    A, B = np.exp(theta[1]), np.exp(theta[3])
    values = (theta[0], A, theta[2], B, theta[4])
    ests = [Estimate(float(v), float(np.sqrt(max(cov[i, i], 0.0)))) for i, v in enumerate(values)]
    return ScalingLawFit(*ests, cov, chi2 / dof)


# ----------------------------------------------------------------------------- compute-optimal

class ComputeOptimal(NamedTuple):
    r"""The compute-optimal frontier for the cost :math:`C = N D` (see :func:`compute_optimal`)."""

    #: The budgets :math:`C`.
    compute: np.ndarray
    #: :math:`N^*(C)`.
    n_features: np.ndarray
    #: :math:`D^*(C) = C/N^*`.
    n_samples: np.ndarray
    #: The error on the frontier.
    error: np.ndarray
    #: :math:`N^* \propto C^{e_N}`.
    exponent_features: Estimate
    #: :math:`D^* \propto C^{e_D}`, :math:`e_N + e_D = 1`.
    exponent_samples: Estimate


def compute_optimal(fit: ScalingLawFit, compute) -> ComputeOptimal:
    r"""The compute-optimal allocation of a fitted law for the cost :math:`C = N D`.

    Minimising :math:`A N^{-a} + B D^{-b}` on :math:`N D = C` gives

    .. math:: N^* = \Big(\frac{aA}{bB}\Big)^{1/(a+b)} C^{b/(a+b)}, \qquad
              D^* = C/N^* \propto C^{a/(a+b)},

    and :math:`E^* - E_0 \propto C^{-ab/(a+b)}`. The exponents' error bars propagate the fit's
    covariance of :math:`(a, b)`. (The cost of one pass of stochastic gradient descent over
    :math:`D` samples with :math:`N` parameters is :math:`\propto N D`; Kaplan et al. and
    Hoffmann et al. use :math:`C \approx 6 N D`, which only moves the prefactor.)

    Parameters
    ----------
    fit : ScalingLawFit
        From :func:`scaling_law_fit`.
    compute : array_like
        Budgets :math:`C > 0`.

    Returns
    -------
    ComputeOptimal

    Example
    -------
    >>> N, D = np.meshgrid([10.0, 20, 40, 80], [10.0, 30, 90, 270])
    >>> fit = scaling_law_fit(N.ravel(), D.ravel(), (N ** -1.0 + D ** -2.0).ravel(), irreducible=0.0)
    >>> round(compute_optimal(fit, [1e4, 1e6]).exponent_features.mean, 6)
    0.666667

    References
    ----------
    J. Hoffmann et al., NeurIPS (2022); J. Kaplan et al., arXiv:2001.08361 (2020).
    """
    if not isinstance(fit, ScalingLawFit):
        raise TypeError(f"fit must be a ScalingLawFit, got {type(fit).__name__}")
    C = _sizes("compute", compute)
    A, a, B, b = (fit.amplitude_features.mean, fit.exponent_features.mean,
                  fit.amplitude_samples.mean, fit.exponent_samples.mean)
    n = (a * A / (b * B)) ** (1.0 / (a + b)) * C ** (b / (a + b))
    d = C / n
    e = fit.irreducible.mean + A * n ** -a + B * d ** -b
    grad = np.array([-b, a]) / (a + b) ** 2               # d e_N / d(a, b)
    cov = fit.covariance[np.ix_([2, 4], [2, 4])]
    err = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    return ComputeOptimal(C, n, d, e, Estimate(b / (a + b), err), Estimate(a / (a + b), err))


def compute_optimal_theory(eigenvalues, target_power, compute, *, ridge: float = 0.0,
                           noise: float = 0.0, n_grid: int = 48) -> ComputeOptimal:
    r"""The compute-optimal frontier of :func:`random_feature_theory` for the cost :math:`C = N D`.

    For each budget the theory is evaluated at ``n_grid`` log-spaced :math:`N` from 1 to
    :math:`C` (:math:`D = C/N`), the best grid point and its neighbours bracket the minimum,
    and a parabola in :math:`\log N` through them, then a second grid around its vertex,
    locate it (relative precision of :math:`N^*` about :math:`10^{-3}` for the default grid).
    The exponents come from a straight line through :math:`\log N^*` against :math:`\log C`
    (:func:`physbook.stats.power_law_fit`; the error bar is the scatter about the line, i.e.
    the curvature of the frontier over the range of budgets given).

    Parameters
    ----------
    eigenvalues, target_power : array_like, shape (M,)
        As in :func:`random_feature_theory`.
    compute : array_like, shape (n,)
        Budgets :math:`C` (> 1), n >= 3 for the exponents' error bars.
    ridge, noise : float
        As in :func:`random_feature_theory`.
    n_grid : int
        Grid points per budget (>= 8).

    Returns
    -------
    ComputeOptimal

    Example
    -------
    >>> lam = np.arange(1, 2001) ** -1.5
    >>> front = compute_optimal_theory(lam, lam, [1e3, 1e4, 1e5], ridge=1e-4)
    >>> bool(np.all(np.diff(front.n_features) > 0))
    True
    """
    from .stats import power_law_fit
    C = check_array("compute", compute, ndim=1, dtype="float")
    if C.size == 0 or np.any(C <= 1):
        raise ValueError(f"compute must be a non-empty list of budgets > 1, got {compute!r}")
    n_grid = check_int("n_grid", n_grid, minimum=8)
    lC = np.log(C)[:, None]
    t = np.linspace(0.0, 1.0, n_grid)[None, :]
    lo, hi = np.zeros_like(lC), lC
    for _ in range(2):                               # a coarse scan, then a finer one around it
        lN = lo + (hi - lo) * t
        E = random_feature_theory(eigenvalues, target_power, np.exp(lN), np.exp(lC - lN),
                                  ridge=ridge, noise=noise).error
        E = np.where(np.isfinite(E), E, np.nanmax(np.where(np.isfinite(E), E, -np.inf)) * 10)
        j = np.clip(np.argmin(E, axis=1), 1, n_grid - 2)
        r = np.arange(C.size)
        x0, x1, x2 = lN[r, j - 1], lN[r, j], lN[r, j + 1]
        y0, y1, y2 = np.log(E[r, j - 1]), np.log(E[r, j]), np.log(E[r, j + 1])
        h = x1 - x0
        curv = y0 - 2 * y1 + y2
        vert = np.where(curv > 0, x1 + 0.5 * h * (y0 - y2) / np.where(curv > 0, curv, 1.0), x1)
        lo, hi = (vert - 2 * h)[:, None], (vert + 2 * h)[:, None]
    n = np.exp(vert)
    e = random_feature_theory(eigenvalues, target_power, n, C / n, ridge=ridge, noise=noise).error
    if C.size >= 3:
        ex = power_law_fit(C, n).exponent
    else:
        ex = Estimate(float(np.log(n[-1] / n[0]) / np.log(C[-1] / C[0])), float("inf"))
    return ComputeOptimal(C, n, C / n, e, ex, Estimate(1.0 - ex.mean, ex.error))
