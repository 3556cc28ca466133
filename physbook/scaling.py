r"""Scale: block-spin renormalization, Monte Carlo RG exponents, kernel learning curves, width scaling.

Two halves of one idea, that a few numbers survive a change of scale.

Renormalization. :func:`block_spin` coarse-grains a batch of Ising configurations
``spins[..., L, L]`` by a factor ``b`` (majority rule with a random tie-break, or decimation).
:func:`mcrg` is Swendsen's Monte Carlo renormalization group: from configurations at
:math:`T_c` blocked :math:`n` times it builds the linearised RG matrix

.. math:: T^{(n)} = \big[C^{(n,n)}\big]^{-1} C^{(n,n-1)}, \qquad
          C^{(m,k)}_{\alpha\beta} = \langle S^{(m)}_\alpha S^{(k)}_\beta\rangle
          - \langle S^{(m)}_\alpha\rangle\langle S^{(k)}_\beta\rangle,

over a few even and odd operators :math:`S_\alpha` (:data:`EVEN_OPERATORS`,
:data:`ODD_OPERATORS`); its leading eigenvalues are :math:`b^{y_t}` and :math:`b^{y_h}`.
Configurations come from :mod:`physbook.ising` (:func:`ising_configurations`).

Scaling laws. For inputs uniform on the sphere :math:`S^{d-1}` a dot-product kernel
(the NNGP and NTK kernels of :mod:`physbook.nngp`) is diagonal in spherical harmonics;
:func:`sphere_eigenvalues` returns its eigenvalue for each degree (Funk-Hecke).
:func:`learning_curve_theory` is the spectral theory of kernel ridge regression
(Bordelon, Canatar and Pehlevan 2020; Canatar et al. 2021; Simon et al. 2023), and
:func:`learning_curve` measures the same test error. :func:`random_feature_error` is the
finite-width (random-feature) model whose excess error over the infinite-width kernel falls
like :math:`1/N` (Bahri et al. 2021).

The joint law in model size and data. :func:`random_feature_theory` is the deterministic
equivalent (renormalized ridge) of ridge regression on :math:`N` random features with :math:`D`
samples of power-law data; :func:`random_feature_simulation` measures it;
:func:`scaling_law_fit` fits :math:`E = E_0 + A N^{-a} + B D^{-b}` and :func:`compute_optimal` /
:func:`compute_optimal_theory` give the compute-optimal allocation for the cost :math:`C = ND`
(implemented in the private module ``physbook._random_features``; Atanasov, Zavatone-Veth and
Pehlevan 2024; Hoffmann et al. 2022).

Arrays returned to users are numpy arrays; estimates with error bars are
:class:`physbook.stats.Estimate` (with array fields where one value per point is returned).

References
----------
L. P. Kadanoff, Physics 2, 263 (1966); K. G. Wilson and J. Kogut, Phys. Rep. 12, 75 (1974);
R. H. Swendsen, Phys. Rev. Lett. 42, 859 (1979); B. Bordelon, A. Canatar and C. Pehlevan,
ICML (2020); A. Canatar, B. Bordelon and C. Pehlevan, Nat. Commun. 12, 2914 (2021);
J. B. Simon, M. Dickens, D. Karkada and M. R. DeWeese, TMLR (2023);
Y. Bahri, E. Dyer, J. Kaplan, J. Lee and U. Sharma, PNAS 121, e2311878121 (2024).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from scipy import special

from . import ising
from ._validate import check_array, check_choice, check_int, check_positive, check_real, check_spins
from .random import Seed, as_generator, spins as random_signs
from .stats import Estimate, jackknife, power_law_fit
from . import _random_features as _joint_law
from ._random_features import *  # noqa: F401,F403 - the joint law L(N, D), listed in __all__

__all__ = [
    "block_spin",
    "coarse_grain",
    "EVEN_OPERATORS",
    "ODD_OPERATORS",
    "mcrg_operators",
    "ising_configurations",
    "MCRGResult",
    "mcrg",
    "multiplicity",
    "gegenbauer",
    "SphereSpectrum",
    "sphere_eigenvalues",
    "sphere_kernel",
    "sample_sphere",
    "harmonic_target",
    "TheoryCurve",
    "learning_curve_theory",
    "LearningCurve",
    "learning_curve",
    "WidthScaling",
    "random_feature_error",
    *_joint_law.__all__,
]

#: Even operators of :func:`mcrg_operators`: nearest-neighbour, next-nearest-neighbour, plaquette.
EVEN_OPERATORS = ("nn", "nnn", "plaquette")
#: Odd operators: magnetization, three-spin products on a plaquette.
ODD_OPERATORS = ("magnetization", "three_spin")


# ----------------------------------------------------------------------------- block spins

def _lattice(name: str, spins, b: int) -> np.ndarray:
    s = check_spins(name, spins, min_ndim=2)
    Lx, Ly = s.shape[-2:]
    if Lx % b or Ly % b:
        raise ValueError(f"{name} must have sides divisible by b = {b}, got shape {s.shape}")
    return s


def block_spin(spins, b: int = 2, rule: str = "majority", *, seed: Seed = None) -> np.ndarray:
    r"""Kadanoff block-spin transformation of a batch of Ising configurations.

    The lattice is cut into :math:`b \times b` blocks :math:`B`. The majority rule gives
    each block the sign of its total spin,

    .. math:: s'_B = \operatorname{sign}\Big(\sum_{i\in B} s_i\Big),

    with a fair coin for ties (possible for even :math:`b`); decimation keeps the spin at the
    block's first corner, :math:`s'_B = s_{(b I, b J)}`.

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (..., Lx, Ly)
        Configurations, batch dimensions first; Lx and Ly divisible by ``b``.
    b : int
        Block side (>= 2).
    rule : {"majority", "decimation"}
        Blocking rule.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the tie-breaks (unused for odd ``b`` and for decimation).

    Returns
    -------
    numpy.ndarray of int8, shape (..., Lx/b, Ly/b)

    Example
    -------
    >>> s = np.array([[1, 1, -1, -1], [1, -1, -1, -1], [1, 1, 1, -1], [1, 1, 1, 1]])
    >>> block_spin(s, 2).tolist()
    [[1, -1], [1, 1]]

    References
    ----------
    L. P. Kadanoff, Physics 2, 263 (1966).
    """
    b = check_int("b", b, minimum=2)
    check_choice("rule", rule, ("majority", "decimation"))
    s = _lattice("spins", spins, b)
    if rule == "decimation":
        return np.ascontiguousarray(s[..., ::b, ::b])
    Lx, Ly = s.shape[-2:]
    blocks = s.reshape(s.shape[:-2] + (Lx // b, b, Ly // b, b)).sum(axis=(-3, -1), dtype=np.int32)
    out = np.sign(blocks).astype(np.int8)
    ties = out == 0
    if ties.any():
        coins = random_signs(int(ties.sum()), seed=seed)
        out[ties] = coins
    return out


def coarse_grain(spins, n_levels: int, b: int = 2, rule: str = "majority", *,
                 seed: Seed = None) -> list[np.ndarray]:
    r"""The configurations blocked 0, 1, ..., ``n_levels`` times with :func:`block_spin`.

    Returns
    -------
    list of numpy.ndarray of int8
        ``n_levels + 1`` arrays; entry :math:`n` has sides :math:`L/b^n`.

    Example
    -------
    >>> [x.shape for x in coarse_grain(np.ones((3, 8, 8), dtype=np.int8), 2)]
    [(3, 8, 8), (3, 4, 4), (3, 2, 2)]
    """
    n_levels = check_int("n_levels", n_levels, minimum=0)
    b = check_int("b", b, minimum=2)
    s = _lattice("spins", spins, b ** n_levels)
    rng = as_generator(seed)
    levels = [s]
    for _ in range(n_levels):
        levels.append(block_spin(levels[-1], b, rule, seed=rng))
    return levels


# ----------------------------------------------------------------------------- Monte Carlo RG

def mcrg_operators(spins) -> np.ndarray:
    r"""Values of the MCRG operators :math:`S_\alpha` (sums over the periodic lattice).

    Even: :math:`S_1 = \sum_i s_i(s_{i+\hat x} + s_{i+\hat y})` (nearest neighbours),
    :math:`S_2 = \sum_i s_i(s_{i+\hat x+\hat y} + s_{i+\hat x-\hat y})` (next-nearest),
    :math:`S_3 = \sum_\square s_1 s_2 s_3 s_4` (plaquettes). Odd: :math:`S_4 = \sum_i s_i`,
    :math:`S_5 = \sum_\square \sum_{c\in\square} \prod_{j\in\square, j\ne c} s_j`
    (the four three-spin products of each plaquette).

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (..., Lx, Ly)

    Returns
    -------
    numpy.ndarray of float64, shape (..., 5)
        Columns in the order ``EVEN_OPERATORS + ODD_OPERATORS``.

    Example
    -------
    >>> mcrg_operators(np.ones((4, 4), dtype=np.int8)).tolist()
    [32.0, 32.0, 16.0, 16.0, 64.0]
    """
    s = check_spins("spins", spins, min_ndim=2).astype(np.int32)
    right, down = np.roll(s, -1, -1), np.roll(s, -1, -2)
    diag, anti = np.roll(down, -1, -1), np.roll(down, 1, -1)
    plaq = s * right * down * diag
    axes = (-2, -1)
    return np.stack([np.sum(s * (right + down), axis=axes),
                     np.sum(s * (diag + anti), axis=axes),
                     np.sum(plaq, axis=axes),
                     np.sum(s, axis=axes),
                     np.sum(plaq * (s + right + down + diag), axis=axes)], axis=-1).astype(np.float64)


def ising_configurations(L: int, T: float, n_configs: int, *, n_chains: int = 64,
                         algorithm: str = "wolff", n_between: int = 10, n_burn: int = 100,
                         seed: Seed = None) -> np.ndarray:
    r"""Equilibrium configurations of the L x L Ising torus from :mod:`physbook.ising` samplers.

    ``n_chains`` independent chains start ordered, run ``n_burn`` updates, then record a
    configuration every ``n_between`` updates (Wolff cluster flips or Metropolis sweeps,
    :func:`physbook.ising.wolff` / :func:`physbook.ising.metropolis`) until ``n_configs`` are
    collected. Samples are ordered chain by chain, so that consecutive blocks of the sample axis
    are independent runs (what :func:`mcrg` jackknifes over).

    Parameters
    ----------
    L : int
        Lattice side (even).
    T : float
        Temperature (> 0).
    n_configs : int
        Number of configurations (a multiple of ``n_chains``).
    n_chains : int
        Independent chains run as one batch.
    algorithm : {"wolff", "metropolis"}
        Update; Wolff is the efficient choice at :math:`T_c` and below.
    n_between, n_burn : int
        Updates between records and before the first.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness.

    Returns
    -------
    numpy.ndarray of int8, shape (n_configs, L, L)

    Example
    -------
    >>> ising_configurations(8, 2.5, 8, n_chains=4, seed=0).shape
    (8, 8, 8)
    """
    L = check_int("L", L, minimum=2)
    T = check_real("T", T, low=0.0, low_inclusive=False)
    n_chains = check_int("n_chains", n_chains, minimum=1)
    n_configs = check_int("n_configs", n_configs, minimum=n_chains)
    if n_configs % n_chains:
        raise ValueError(f"n_configs must be a multiple of n_chains = {n_chains}, got {n_configs}")
    check_choice("algorithm", algorithm, ("wolff", "metropolis"))
    n_between = check_int("n_between", n_between, minimum=1)
    n_burn = check_int("n_burn", n_burn, minimum=0)
    update = ising.wolff if algorithm == "wolff" else ising.metropolis
    rng = as_generator(seed)
    s = np.ones((n_chains, L, L), dtype=np.int8)
    if n_burn:
        s = np.asarray(update(s, T, n_burn, seed=rng))
    records = []
    for _ in range(n_configs // n_chains):
        s = np.asarray(update(s, T, n_between, seed=rng))
        records.append(s)
    return np.ascontiguousarray(np.stack(records, axis=1).reshape(n_configs, L, L))


class MCRGResult(NamedTuple):
    """Outcome of :func:`mcrg`: exponents per blocking level, with jackknife error bars."""

    levels: np.ndarray
    y_t: Estimate
    y_h: Estimate
    even_matrices: np.ndarray
    odd_matrices: np.ndarray


def _rg_matrix(upper, lower, idx):
    """T = C(n,n)^-1 C(n,n-1) over the operators idx; samples along the last axis."""
    a, c = upper[idx], lower[idx]
    a = a - a.mean(axis=-1, keepdims=True)
    c = c - c.mean(axis=-1, keepdims=True)
    n = a.shape[-1]
    return np.linalg.solve(a @ a.T / n, a @ c.T / n)


def _exponent(upper, lower, idx, b):
    lam = np.linalg.eigvals(_rg_matrix(upper, lower, idx))
    return float(np.log(np.max(lam.real)) / np.log(b))


def mcrg(spins, n_levels: int, *, b: int = 2, rule: str = "majority", n_blocks: int = 16,
         seed: Seed = None) -> MCRGResult:
    r"""Monte Carlo renormalization group exponents from critical configurations (Swendsen 1979).

    The configurations are blocked ``n_levels`` times. Writing the blocked Hamiltonian as
    :math:`\mathcal H^{(n)} = \sum_\alpha K^{(n)}_\alpha S^{(n)}_\alpha`, the chain rule on
    :math:`\langle S^{(n)}_\alpha\rangle` gives the linearised RG matrix
    :math:`T_{\gamma\beta} = \partial K^{(n)}_\gamma / \partial K^{(n-1)}_\beta` from correlations
    measured on the same configurations,

    .. math:: C^{(n,n-1)} = C^{(n,n)}\, T , \qquad y = \frac{\ln \lambda_\mathrm{max}(T)}{\ln b},

    separately for the even operators (:math:`y_t`, exact 1 in two dimensions) and the odd ones
    (:math:`y_h`, exact 15/8). Truncation to a few operators and the finite lattice bias the
    estimates; both shrink with the level until the blocked lattice gets too small.

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (n_samples, L, L)
        Equilibrium configurations at (or near) :math:`T_c`, ordered so that consecutive blocks
        of samples are independent runs (as :func:`ising_configurations` returns them).
    n_levels : int
        Blocking steps (>= 1); the last blocked lattice must have side >= 4.
    b : int
        Block side.
    rule : {"majority", "decimation"}
        Blocking rule of :func:`block_spin`.
    n_blocks : int
        Jackknife blocks over the sample axis (independent runs).
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the tie-breaks.

    Returns
    -------
    MCRGResult
        ``levels`` (1..n_levels); ``y_t`` and ``y_h``, each an :class:`~physbook.stats.Estimate`
        of arrays (one value per level); the RG matrices per level, ``even_matrices`` (n, 3, 3)
        and ``odd_matrices`` (n, 2, 2).

    Example
    -------
    >>> s = ising_configurations(16, ising.critical_temperature(), 64, n_chains=16, seed=0)
    >>> mcrg(s, 2, n_blocks=4, seed=1).y_t.mean.shape
    (2,)

    References
    ----------
    R. H. Swendsen, Phys. Rev. Lett. 42, 859 (1979); K. G. Wilson and J. Kogut, Phys. Rep. 12,
    75 (1974).
    """
    n_levels = check_int("n_levels", n_levels, minimum=1)
    b = check_int("b", b, minimum=2)
    s = _lattice("spins", spins, b ** n_levels)
    if s.ndim != 3:
        raise ValueError(f"spins must have shape (n_samples, L, L), got {s.shape}")
    if min(s.shape[-2:]) // b ** n_levels < 4:
        raise ValueError(f"n_levels = {n_levels} blocks a lattice of shape {s.shape[-2:]} below side 4")
    n_blocks = check_int("n_blocks", n_blocks, minimum=2, maximum=s.shape[0])
    ops = [mcrg_operators(x).T for x in coarse_grain(s, n_levels, b, rule, seed=seed)]
    even, odd = np.arange(len(EVEN_OPERATORS)), len(EVEN_OPERATORS) + np.arange(len(ODD_OPERATORS))
    yt, yh = [], []
    for n in range(1, n_levels + 1):
        yt.append(jackknife(lambda u, v: _exponent(u, v, even, b), ops[n], ops[n - 1], n_blocks=n_blocks))
        yh.append(jackknife(lambda u, v: _exponent(u, v, odd, b), ops[n], ops[n - 1], n_blocks=n_blocks))
    mats_e = np.array([_rg_matrix(ops[n], ops[n - 1], even) for n in range(1, n_levels + 1)])
    mats_o = np.array([_rg_matrix(ops[n], ops[n - 1], odd) for n in range(1, n_levels + 1)])
    return MCRGResult(np.arange(1, n_levels + 1), Estimate(*np.array(yt).T), Estimate(*np.array(yh).T),
                      mats_e, mats_o)


# ----------------------------------------------------------------------------- sphere harmonics

def multiplicity(d: int, k) -> np.ndarray:
    r"""Number of degree-k spherical harmonics on :math:`S^{d-1}`.

    .. math:: N(d, k) = \frac{2k + d - 2}{k}\binom{k + d - 3}{k - 1}, \qquad N(d, 0) = 1.

    Example
    -------
    >>> multiplicity(3, [0, 1, 2, 3]).tolist()
    [1, 3, 5, 7]
    """
    d = check_int("d", d, minimum=3)
    k = check_array("k", k, dtype="int")
    if np.any(k < 0):
        raise ValueError("k must contain non-negative integers")
    kk = np.maximum(k, 1).astype(np.float64)
    out = np.where(k == 0, 1.0, (2 * kk + d - 2) / kk * special.comb(kk + d - 3, kk - 1))
    return np.rint(out).astype(np.int64)


def gegenbauer(k: int, d: int, t) -> np.ndarray:
    r"""Gegenbauer (Legendre) polynomial of degree k in dimension d, normalised to :math:`P_k(1) = 1`.

    .. math:: P_{k,d}(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1);

    for d = 3 the Legendre polynomials. Orthogonality:
    :math:`\mathbb{E}_{x}[P_k(x\cdot u)P_l(x\cdot u)] = \delta_{kl}/N(d, k)` for x uniform on the sphere.

    Example
    -------
    >>> float(gegenbauer(2, 3, 0.5))
    -0.125
    """
    k = check_int("k", k, minimum=0)
    d = check_int("d", d, minimum=3)
    t = check_array("t", t, dtype="float")
    alpha = (d - 2) / 2
    return special.eval_gegenbauer(k, alpha, t) / special.eval_gegenbauer(k, alpha, 1.0)


class SphereSpectrum(NamedTuple):
    """Eigenvalues of a dot-product kernel on :math:`S^{d-1}` per degree, multiplicities, and the tail trace."""

    eigenvalues: np.ndarray
    multiplicities: np.ndarray
    tail: float


def _kernel_on_t(kernel_fn, d, t):
    """k(t): the kernel between e_1 and unit vectors at cosine t."""
    x2 = np.zeros((t.size, d))
    x2[:, 0], x2[:, 1] = t, np.sqrt(np.clip(1 - t * t, 0.0, None))
    e1 = np.zeros((1, d))
    e1[0, 0] = 1.0
    return np.asarray(kernel_fn(e1, x2), dtype=np.float64).reshape(-1)


def sphere_eigenvalues(kernel_fn: Callable, d: int, k_max: int, *, n_quad: int | None = None) -> SphereSpectrum:
    r"""Mercer eigenvalues of a dot-product kernel for inputs uniform on the unit sphere :math:`S^{d-1}`.

    A kernel :math:`K(x, x') = k(x\cdot x')` is diagonal in spherical harmonics (Funk-Hecke): every
    harmonic of degree :math:`k` is an eigenfunction with

    .. math:: \lambda_k = \frac{\int_0^\pi k(\cos\theta)\,P_{k,d}(\cos\theta)\,\sin^{d-2}\theta\,d\theta}
                               {\int_0^\pi \sin^{d-2}\theta\,d\theta}, \qquad
              k(t) = \sum_{k\ge 0} N(d,k)\,\lambda_k\,P_{k,d}(t),

    with :func:`gegenbauer` :math:`P_{k,d}` and :func:`multiplicity` :math:`N(d,k)`. The integral
    runs over the angle with Gauss-Legendre nodes (the ReLU kernels' :math:`\sqrt{1-t}` cusp at
    :math:`t = 1` is smooth in :math:`\theta`). The modes above ``k_max`` are summarised by their
    trace, ``tail`` :math:`= k(1) - \sum_{k\le k_\max} N(d,k)\lambda_k`: modes far below the
    effective ridge act on kernel regression like an extra ridge of that size.

    Parameters
    ----------
    kernel_fn : callable
        ``kernel_fn(x1, x2)`` -> matrix (n1, n2), e.g.
        ``lambda a, b: pb.nngp.ntk_kernel(a, b, depth=1)``; evaluated on unit vectors.
    d : int
        Input dimension (>= 3).
    k_max : int
        Highest degree.
    n_quad : int, optional
        Quadrature nodes (default ``2 k_max + 200``).

    Returns
    -------
    SphereSpectrum
        ``eigenvalues`` (k_max + 1,) per degree, ``multiplicities`` N(d, k), ``tail``.

    Example
    -------
    >>> spec = sphere_eigenvalues(lambda a, b: (a @ b.T) ** 2, 3, 3)
    >>> (np.round(spec.eigenvalues, 6) + 0.0).tolist()
    [0.333333, 0.0, 0.133333, 0.0]

    References
    ----------
    C. Müller, *Spherical Harmonics* (1966); A. Bietti and J. Mairal, NeurIPS (2019).
    """
    if not callable(kernel_fn):
        raise TypeError(f"kernel_fn must be callable, got {type(kernel_fn).__name__}")
    d = check_int("d", d, minimum=3)
    k_max = check_int("k_max", k_max, minimum=0)
    n_quad = 2 * k_max + 200 if n_quad is None else check_int("n_quad", n_quad, minimum=k_max + 1)
    z, w = special.roots_legendre(n_quad)
    theta = 0.5 * np.pi * (z + 1.0)
    w = w * np.sin(theta) ** (d - 2)
    w = w / w.sum()
    t = np.cos(theta)
    kt = _kernel_on_t(kernel_fn, d, t)
    lam = _gegenbauer_all(k_max, d, t) @ (w * kt)
    lam[np.abs(lam) < 1e-13 * np.abs(lam).max()] = 0.0   # quadrature rounding of vanishing modes
    mult = multiplicity(d, np.arange(k_max + 1))
    tail = float(_kernel_on_t(kernel_fn, d, np.ones(1))[0] - mult @ lam)
    return SphereSpectrum(lam, mult, max(tail, 0.0))


def sphere_kernel(kernel_fn: Callable, d: int, *, n_grid: int = 20001) -> Callable:
    r"""A fast stand-in for a dot-product kernel on the unit sphere, tabulated in the angle.

    On unit vectors :math:`K(x, x') = k(\cos\theta)`. :math:`k` is evaluated once by ``kernel_fn`` on
    ``n_grid`` equally spaced angles in :math:`[0, \pi]` and interpolated linearly in
    :math:`\theta` (smooth there even where :math:`k(t)` has a :math:`\sqrt{1-t}` cusp, as ReLU
    kernels do; the error is :math:`\le h^2 \max|k''|/8` with :math:`h = \pi/(n_\mathrm{grid}-1)`),
    so that kernel matrices of any size cost no compilation. For inputs on the unit sphere only.

    Parameters
    ----------
    kernel_fn : callable
        ``kernel_fn(x1, x2)`` -> matrix, a dot-product kernel (e.g. :func:`physbook.nngp.ntk_kernel`).
    d : int
        Input dimension (>= 2).
    n_grid : int
        Angles tabulated.

    Returns
    -------
    callable
        ``K(x1, x2)`` -> numpy.ndarray (n1, n2) for unit-norm rows.

    Example
    -------
    >>> K = sphere_kernel(lambda a, b: np.exp(a @ b.T), 3)
    >>> x = sample_sphere(4, 3, seed=0)
    >>> bool(np.allclose(K(x, x), np.exp(x @ x.T), atol=1e-7))
    True
    """
    if not callable(kernel_fn):
        raise TypeError(f"kernel_fn must be callable, got {type(kernel_fn).__name__}")
    d = check_int("d", d, minimum=2)
    n_grid = check_int("n_grid", n_grid, minimum=16)
    h = np.pi / (n_grid - 1)
    table = _kernel_on_t(kernel_fn, d, np.cos(h * np.arange(n_grid)))
    slope = np.append(np.diff(table), 0.0)

    def kernel(x1, x2):
        t = np.clip(np.asarray(x1, dtype=np.float64) @ np.asarray(x2, dtype=np.float64).T, -1.0, 1.0)
        u = np.arccos(t) / h
        i = np.minimum(u.astype(np.intp), n_grid - 1)    # uniform grid: the cell index is arithmetic
        return table[i] + (u - i) * slope[i]

    return kernel


def sample_sphere(n: int, d: int, *, seed: Seed = None) -> np.ndarray:
    r"""``n`` points uniform on the unit sphere :math:`S^{d-1}` (normalised Gaussian vectors).

    Returns
    -------
    numpy.ndarray, shape (n, d)

    Example
    -------
    >>> x = sample_sphere(5, 3, seed=0)
    >>> np.allclose(np.linalg.norm(x, axis=1), 1)
    True
    """
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=2)
    z = as_generator(seed).normal(size=(n, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def _gegenbauer_all(k_max: int, d: int, t: np.ndarray) -> np.ndarray:
    """P_{k,d}(t) for k = 0..k_max by the recurrence (k+d-3) P_k = (2k+d-4) t P_{k-1} - (k-1) P_{k-2}."""
    out = np.empty((k_max + 1,) + t.shape)
    out[0] = 1.0
    if k_max >= 1:
        out[1] = t
    for k in range(2, k_max + 1):
        out[k] = ((2 * k + d - 4) * t * out[k - 1] - (k - 1) * out[k - 2]) / (k + d - 3)
    return out


def harmonic_target(coefficients, d: int, *, n_directions: int = 16,
                    seed: Seed = None) -> Callable[[np.ndarray], np.ndarray]:
    r"""A random target function on :math:`S^{d-1}` with prescribed power in each degree.

    With ``n_directions`` random unit vectors :math:`u_m`,

    .. math:: f^*(x) = \sum_k \frac{a_k}{\sqrt{G_k}} \sum_m P_{k,d}(x\cdot u_m), \qquad
              G_k = \frac{1}{N(d,k)}\sum_{m,m'} P_{k,d}(u_m\cdot u_{m'}),

    so that its power in the degree-k eigenspace of any dot-product kernel is exactly
    :math:`a_k^2` (the ``target_coefficients`` of :func:`learning_curve_theory` with multiplicities)
    and :math:`\mathbb{E}[f^{*2}] = \sum_k a_k^2`. Several directions spread each degree's power
    over the sphere (one zonal harmonic would concentrate it at two poles).

    Parameters
    ----------
    coefficients : array_like, shape (k_max + 1,)
        :math:`a_k`.
    d : int
        Input dimension (>= 3).
    n_directions : int
        Number of random directions :math:`u_m`.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the directions.

    Returns
    -------
    callable
        ``f(x)`` for unit vectors ``x`` of shape (n, d), returning shape (n,).

    Example
    -------
    >>> f = harmonic_target([0.0, 1.0, 1.0], 3, seed=0)
    >>> float(np.mean(f(sample_sphere(40000, 3, seed=1)) ** 2).round(1))
    2.0
    """
    a = check_array("coefficients", coefficients, ndim=1, dtype="float")
    d = check_int("d", d, minimum=3)
    n_directions = check_int("n_directions", n_directions, minimum=1)
    u = sample_sphere(n_directions, d, seed=seed)
    k_max = a.size - 1
    gram = _gegenbauer_all(k_max, d, np.clip(u @ u.T, -1.0, 1.0)).sum(axis=(1, 2))
    g = gram / multiplicity(d, np.arange(k_max + 1))
    scale = np.where(a != 0, a / np.sqrt(np.where(g > 0, g, 1.0)), 0.0)

    def target(x):
        x = check_array("x", x, ndim=2, dtype="float")
        p = _gegenbauer_all(k_max, d, np.clip(x @ u.T, -1.0, 1.0)).sum(axis=-1)
        return scale @ p

    return target


# ----------------------------------------------------------------------------- learning curves

class TheoryCurve(NamedTuple):
    """Eigenlearning prediction per training-set size n (numpy arrays of the shape of ``n``)."""

    error: np.ndarray
    test_mse: np.ndarray
    kappa: np.ndarray
    overfitting: np.ndarray


def _spectrum(eigenvalues, target_coefficients, multiplicities):
    lam = check_array("eigenvalues", eigenvalues, ndim=1, dtype="float")
    v = check_array("target_coefficients", target_coefficients, ndim=1, dtype="float")
    if np.any(lam < 0):
        raise ValueError("eigenvalues must be non-negative")
    if v.shape != lam.shape:
        raise ValueError(f"target_coefficients must have the shape of eigenvalues {lam.shape}, got {v.shape}")
    m = np.ones_like(lam) if multiplicities is None else check_array(
        "multiplicities", multiplicities, ndim=1, dtype="float")
    if m.shape != lam.shape or np.any(m < 0):
        raise ValueError(f"multiplicities must be non-negative with the shape {lam.shape}")
    keep = lam > 0
    return lam[keep], v[keep] ** 2, m[keep], float(np.sum(v[~keep] ** 2))


def learning_curve_theory(eigenvalues, target_coefficients, n, ridge: float = 0.0, noise: float = 0.0, *,
                          multiplicities=None) -> TheoryCurve:
    r"""Spectral (eigenlearning) theory of the test error of kernel ridge regression.

    With Mercer eigenvalues :math:`\lambda_i` of the kernel under the input distribution, target
    :math:`f^* = \sum_i v_i \phi_i` and labels :math:`y = f^*(x) + \epsilon`,
    :math:`\mathrm{Var}\,\epsilon = \sigma^2` (``noise``), the predictor
    :math:`\hat f(x) = k(x)^\top (K + \delta I)^{-1} y` trained on :math:`n` points has, for large
    n, an effective ridge :math:`\kappa` fixed by

    .. math:: n = \sum_i \frac{\lambda_i}{\lambda_i + \kappa} + \frac{\delta}{\kappa},

    learnabilities :math:`\mathcal L_i = \lambda_i/(\lambda_i + \kappa)` and

    .. math:: \mathbb{E}\,\|\hat f - f^*\|^2 = \mathcal E_0\Big(\sum_i (1 - \mathcal L_i)^2 v_i^2
              + \sigma^2\Big) - \sigma^2, \qquad
              \mathcal E_0 = \frac{n}{n - \sum_i \mathcal L_i^2}.

    Parameters
    ----------
    eigenvalues : array_like, shape (m,)
        :math:`\lambda_i` (>= 0); zero modes cannot be learned.
    target_coefficients : array_like, shape (m,)
        :math:`v_i`; with ``multiplicities`` :math:`v_i^2` is the target's total power in the
        eigenspace of :math:`\lambda_i`.
    n : int or array_like of int
        Training-set sizes.
    ridge : float
        :math:`\delta \ge 0`; with 0, n must be below the number of non-zero modes.
    noise : float
        Label-noise variance :math:`\sigma^2 \ge 0`.
    multiplicities : array_like, shape (m,), optional
        Degeneracy of each eigenvalue (e.g. :func:`multiplicity` on the sphere).

    Returns
    -------
    TheoryCurve
        ``error`` (against the clean target), ``test_mse`` (against noisy test labels),
        ``kappa`` and ``overfitting`` :math:`\mathcal E_0`, numpy arrays shaped like ``n``.

    Example
    -------
    >>> lam = 1.0 / np.arange(1, 2001) ** 2
    >>> th = learning_curve_theory(lam, np.sqrt(lam), [10, 100])
    >>> bool(th.error[1] < th.error[0])
    True

    References
    ----------
    B. Bordelon, A. Canatar and C. Pehlevan, ICML (2020);
    A. Canatar, B. Bordelon and C. Pehlevan, Nat. Commun. 12, 2914 (2021);
    J. B. Simon, M. Dickens, D. Karkada and M. R. DeWeese, TMLR (2023).
    """
    lam, v2, m, lost = _spectrum(eigenvalues, target_coefficients, multiplicities)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    noise = check_positive("noise", noise, allow_zero=True)
    n_arr = check_array("n", n, dtype="float")
    if np.any(n_arr < 1) or np.any(n_arr != np.round(n_arr)):
        raise ValueError("n must contain positive integers")
    if ridge == 0 and np.any(n_arr >= m.sum()):
        raise ValueError(f"with ridge = 0, n must be below the number of non-zero modes ({m.sum():.0f})")
    flat = n_arr.reshape(-1)

    def excess(log_kappa):
        kappa = np.exp(log_kappa)[:, None]
        return np.sum(m * lam / (lam + kappa), axis=1) + ridge / kappa[:, 0] - flat

    lo = np.full(flat.shape, np.log(lam.min()) - 60.0)
    hi = np.full(flat.shape, np.log(lam.max() * m.sum() + ridge + 1.0) + 5.0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        up = excess(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    kappa = np.exp(0.5 * (lo + hi))
    L = lam / (lam + kappa[:, None])
    e0 = flat / (flat - np.sum(m * L**2, axis=1))
    bias = np.sum((1 - L) ** 2 * v2, axis=1) + lost
    mse = e0 * (bias + noise)
    shape = n_arr.shape
    return TheoryCurve((mse - noise).reshape(shape), mse.reshape(shape), kappa.reshape(shape),
                       e0.reshape(shape))


class LearningCurve(NamedTuple):
    """Measured kernel-regression test error per training-set size (``error``: Estimate of arrays)."""

    n: np.ndarray
    error: Estimate


def _krr_error(kernel_fn, x, y, x_test, f_test, ridge):
    K = np.array(kernel_fn(x, x), dtype=np.float64)
    K[np.diag_indices_from(K)] += ridge
    alpha = np.linalg.solve(K, y)
    pred = np.asarray(kernel_fn(x_test, x), dtype=np.float64) @ alpha
    return float(np.mean((pred - f_test) ** 2))


def learning_curve(kernel_fn: Callable, sampler: Callable, target: Callable, ns: Sequence[int], *,
                   ridge: float = 0.0, noise: float = 0.0, n_test: int = 1000, n_trials=10,
                   seed: Seed = None) -> LearningCurve:
    r"""Measured test error of kernel ridge regression against the training-set size.

    For each n and each of ``n_trials`` independent draws of training and test sets, fit
    :math:`\hat f(x) = k(x)^\top (K + \delta I)^{-1} y` with :math:`y = f^*(x) + \epsilon`,
    :math:`\epsilon \sim \mathcal N(0, \sigma^2)`, and measure
    :math:`\frac{1}{n_\mathrm{test}}\sum_{x\in\mathrm{test}} (\hat f(x) - f^*(x))^2`. The
    estimate is the mean over trials; its error bar the standard error over trials.

    Parameters
    ----------
    kernel_fn : callable
        ``kernel_fn(x1, x2)`` -> matrix (n1, n2).
    sampler : callable
        ``sampler(n, seed)`` -> inputs of shape (n, d); ``seed`` is a numpy Generator.
    target : callable
        ``target(x)`` -> shape (n,).
    ns : sequence of int
        Training-set sizes.
    ridge : float
        :math:`\delta \ge 0` (a tiny value such as 1e-8 keeps the solve stable).
    noise : float
        Label-noise variance :math:`\sigma^2`.
    n_test : int
        Test points per trial.
    n_trials : int or sequence of int
        Independent trials (>= 2), one value or one per n (small n are cheap: give them more).
    seed : int, numpy.random.Generator, JAX key or None
        Randomness.

    Returns
    -------
    LearningCurve
        ``n`` and ``error`` (an :class:`~physbook.stats.Estimate` of numpy arrays).

    Example
    -------
    >>> lc = learning_curve(lambda a, b: (1 + a @ b.T) ** 2, lambda n, seed: sample_sphere(n, 3, seed=seed),
    ...                     lambda x: x[:, 0] ** 2, [20], ridge=1e-8, n_trials=2, seed=0)
    >>> bool(lc.error.mean[0] < 1e-10)
    True

    References
    ----------
    B. Bordelon, A. Canatar and C. Pehlevan, ICML (2020).
    """
    for name, fn in (("kernel_fn", kernel_fn), ("sampler", sampler), ("target", target)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    ns = check_array("ns", ns, ndim=1, dtype="int")
    if ns.size == 0 or np.any(ns < 1):
        raise ValueError(f"ns must be a non-empty list of positive integers, got {ns.tolist()}")
    ridge = check_positive("ridge", ridge, allow_zero=True)
    noise = check_positive("noise", noise, allow_zero=True)
    n_test = check_int("n_test", n_test, minimum=1)
    trials = np.broadcast_to(check_array("n_trials", n_trials, dtype="int"), ns.shape)
    if np.any(trials < 2):
        raise ValueError(f"n_trials must be >= 2 (one value or one per n), got {n_trials!r}")
    rng = as_generator(seed)
    mean, sem = np.empty(ns.size), np.empty(ns.size)
    for i, (n, n_tr) in enumerate(zip(ns, trials)):
        errors = np.empty(n_tr)
        for r in range(n_tr):
            x, x_test = sampler(int(n), rng), sampler(n_test, rng)
            y = np.asarray(target(x), dtype=np.float64) + np.sqrt(noise) * rng.normal(size=int(n))
            errors[r] = _krr_error(kernel_fn, x, y, x_test, np.asarray(target(x_test)), ridge)
        mean[i], sem[i] = errors.mean(), errors.std(ddof=1) / np.sqrt(n_tr)
    return LearningCurve(ns.astype(np.int64), Estimate(mean, sem))


# ----------------------------------------------------------------------------- width scaling

class WidthScaling(NamedTuple):
    """Outcome of :func:`random_feature_error` (Estimates of numpy arrays, one value per width)."""

    widths: np.ndarray
    error: Estimate
    excess: Estimate
    exponent: Estimate
    infinite_width_error: float


_ACTIVATIONS = {"relu": lambda u: np.maximum(u, 0.0), "erf": special.erf}


def random_feature_error(x_train, y_train, x_test, f_test, widths: Sequence[int], *,
                         activation: str = "relu", sigma_w2: float = 2.0, sigma_b2: float = 0.0,
                         ridge: float = 1e-3, n_draws: int = 32, seed: Seed = None) -> WidthScaling:
    r"""Test error of random-feature regression (a one-hidden-layer net, readout trained) against width.

    Features :math:`\phi_j(x) = \phi(u_j(x))`, :math:`u_j = \sqrt{\sigma_w^2/d}\,g_j\cdot x + \sigma_b\,c_j`
    with standard normal :math:`g_j, c_j`, give the width-N kernel

    .. math:: K_N(x, x') = \sigma_b^2 + \frac{\sigma_w^2}{N}\sum_{j=1}^{N}\phi_j(x)\phi_j(x'),

    whose mean is the depth-1 NNGP kernel of :func:`physbook.nngp.nngp_kernel`. Ridge regression
    with :math:`K_N` is the network with only its readout trained; as :math:`N\to\infty` it becomes
    kernel regression with the NNGP kernel. At fixed data the excess error
    :math:`\mathcal E_N - \mathcal E_\infty` falls like :math:`1/N` (the variance-limited regime).
    Widths reuse nested subsets of one draw of ``max(widths)`` features (hidden units are
    independent), so one draw gives the whole curve; error bars are over ``n_draws`` draws.

    The excess is estimated with a control variate: :math:`K_N = K + \delta K` with
    :math:`\mathbb{E}\,\delta K = 0` exactly, so the first-order change of the error,
    :math:`\frac{2}{n_t} r^\top\big(\delta K_{t}\,\alpha - K_{t}(K+\delta I)^{-1}\delta K\,\alpha\big)`
    (:math:`r` and :math:`\alpha` of the infinite-width fit), has mean zero; subtracting it removes
    the :math:`O(N^{-1/2})` fluctuation and leaves the :math:`O(1/N)` mean intact.

    Parameters
    ----------
    x_train, x_test : array_like, shape (n, d), (n_test, d)
        Inputs.
    y_train : array_like, shape (n,)
        Training labels.
    f_test : array_like, shape (n_test,)
        Clean target on the test inputs.
    widths : sequence of int
        Widths N.
    activation : {"relu", "erf"}
    sigma_w2, sigma_b2 : float
        Weight and bias variances (as in :mod:`physbook.nngp`).
    ridge : float
        :math:`\delta > 0`.
    n_draws : int
        Independent feature draws (>= 2).
    seed : int, numpy.random.Generator, JAX key or None
        Randomness of the features.

    Returns
    -------
    WidthScaling
        ``widths``; ``error`` and ``excess`` (Estimates of arrays over draws); ``exponent``,
        the fitted :math:`\alpha` of excess :math:`\propto N^{-\alpha}` with a jackknife error over
        draws (nan if an excess is not positive); ``infinite_width_error`` with the NNGP kernel.

    Example
    -------
    >>> x = sample_sphere(20, 3, seed=0); xt = sample_sphere(50, 3, seed=1)
    >>> ws = random_feature_error(x, x[:, 0], xt, xt[:, 0], [100, 1000], n_draws=4, seed=2)
    >>> bool(ws.excess.mean[1] < ws.excess.mean[0])
    True

    References
    ----------
    A. Rahimi and B. Recht, NeurIPS (2007); Y. Bahri, E. Dyer, J. Kaplan, J. Lee and U. Sharma,
    PNAS 121, e2311878121 (2024).
    """
    from . import nngp
    x = check_array("x_train", x_train, ndim=2, dtype="float")
    xt = check_array("x_test", x_test, ndim=2, dtype="float")
    y = check_array("y_train", y_train, ndim=1, dtype="float")
    ft = check_array("f_test", f_test, ndim=1, dtype="float")
    if y.size != x.shape[0] or ft.size != xt.shape[0] or xt.shape[1] != x.shape[1]:
        raise ValueError("x_train/y_train and x_test/f_test must have matching lengths and dimensions")
    widths = check_array("widths", widths, ndim=1, dtype="int")
    if widths.size == 0 or np.any(widths < 1):
        raise ValueError(f"widths must be a non-empty list of positive integers, got {widths.tolist()}")
    check_choice("activation", activation, tuple(_ACTIVATIONS))
    sigma_w2 = check_positive("sigma_w2", sigma_w2)
    sigma_b2 = check_positive("sigma_b2", sigma_b2, allow_zero=True)
    ridge = check_positive("ridge", ridge)
    n_draws = check_int("n_draws", n_draws, minimum=2)
    rng = as_generator(seed)
    phi = _ACTIVATIONS[activation]
    n, d = x.shape
    kern = dict(depth=1, activation=activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    K = np.asarray(nngp.nngp_kernel(x, **kern)) + ridge * np.eye(n)
    Kt = np.asarray(nngp.nngp_kernel(xt, x, **kern))
    alpha = np.linalg.solve(K, y)
    resid = Kt @ alpha - ft
    e_inf = float(np.mean(resid**2))
    w = np.linalg.solve(K, Kt.T @ resid)
    n_max = int(widths.max())
    order = np.argsort(widths)
    cuts = np.concatenate([[0], widths[order]])
    errs, lin = np.empty((n_draws, widths.size)), np.empty((n_draws, widths.size))
    both = np.concatenate([x, xt])
    for r in range(n_draws):
        g = rng.normal(size=(d, n_max)) * np.sqrt(sigma_w2 / d)
        c = rng.normal(size=n_max) * np.sqrt(sigma_b2)
        feats = phi(both @ g + c)
        gram = np.zeros((n + xt.shape[0], n))
        for j, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:])):
            gram += feats[:, lo:hi] @ feats[:n, lo:hi].T
            Kn = sigma_b2 + sigma_w2 * gram / hi
            a_n = np.linalg.solve(Kn[:n] + ridge * np.eye(n), y)
            errs[r, order[j]] = np.mean((Kn[n:] @ a_n - ft) ** 2)
            dK = Kn - np.concatenate([K - ridge * np.eye(n), Kt])
            lin[r, order[j]] = 2.0 / xt.shape[0] * (resid @ (dK[n:] @ alpha) - w @ (dK[:n] @ alpha))
    excess = errs - e_inf - lin
    sem = errs.std(axis=0, ddof=1) / np.sqrt(n_draws)
    sem_x = excess.std(axis=0, ddof=1) / np.sqrt(n_draws)
    def slope(ex):
        mean = ex.mean(axis=-1)
        if np.any(mean <= 0):
            return np.nan
        return -power_law_fit(widths, mean).exponent.mean

    exponent = jackknife(slope, excess.T, n_blocks=n_draws)
    return WidthScaling(widths.astype(np.int64), Estimate(errs.mean(axis=0), sem),
                        Estimate(excess.mean(axis=0), sem_x), exponent, e_inf)
