r"""Finite-width networks as weakly interacting fields: 1/N corrections and Feynman diagrams.

The network studied here has one hidden layer of width :math:`N`,

.. math::

    f(x) = \sigma_b\, b + \sqrt{\frac{\sigma_a^2}{N}} \sum_{i=1}^{N} a_i\,
    \sigma\big(z_i(x)\big), \qquad
    z_i(x) = \sqrt{\frac{\sigma_w^2}{d}}\, w_i\cdot x + \sigma_b\, b_i ,

with every parameter :math:`a_i, b, b_i, w_{ij}` an independent standard normal.
The pre-activations :math:`z_i` are then independent Gaussian fields with
covariance :math:`K^{(0)}(x, x') = \sigma_b^2 + \sigma_w^2\, x\cdot x'/d`, and
:math:`f` is a sum of :math:`N` independent, identically distributed terms.
Its joint cumulants therefore scale as :math:`N^{1-n/2}`: the two-point
function is the NNGP kernel, the connected four-point function is
:math:`O(1/N)` and the connected six-point function :math:`O(1/N^2)`; all three
are *exact* here, not only leading order. Writing
:math:`E_{i_1\cdots i_p} = \mathbb E[\sigma(z(x_{i_1}))\cdots\sigma(z(x_{i_p}))]`,

.. math::

    G^{(4)}_{c,1234} = \frac{\sigma_a^4}{N}\Big[3E_{1234} - E_{12}E_{34}
    - E_{13}E_{24} - E_{14}E_{23}\Big],

for general (distinct or coincident) inputs: the factor 3 is
:math:`\mathbb E[a^4]/\mathbb E[a^2]^2` of the Gaussian readout weights, so the
bracket is the sum over the three pairings of
:math:`\mathrm{Cov}(\sigma_1\sigma_2, \sigma_3\sigma_4)`.

Gaussian expectations of activations are computed by closed forms where they
exist (ReLU arc-cosine kernel, erf arcsine kernel) and otherwise by quadrature
in the coordinates :math:`z = L u`, :math:`u\sim\mathcal N(0, 1_r)`, of a
rank-:math:`r` factor of the pre-activation covariance. For :math:`r\le 2`
(always the case for scalar inputs, ``d = 1``) polar coordinates
:math:`u = \rho\,\omega` give machine precision: a Gauss-Legendre rule on
the arcs of the circle between the kinks of the integrand, times the exact
radial moment for positively homogeneous activations (``"relu"``,
``"linear"``) or a composite Gauss-Legendre rule in :math:`\rho` (``"erf"``,
``"tanh"``, which turn sharp at large variance). For :math:`r\ge 3` a tensor
Gauss-Hermite rule is used (40 nodes per dimension for :math:`r = 3`: errors
of about :math:`10^{-7}` for erf, :math:`10^{-6}` for tanh and
:math:`10^{-5}` for ReLU, whose kinks slow the convergence).

References
----------
J. Halverson, A. Maiti and K. Stoner, "Neural networks and quantum field
theory", Mach. Learn.: Sci. Technol. 2, 035002 (2021).
D. A. Roberts, S. Yaida and B. Hanin, *The Principles of Deep Learning
Theory* (Cambridge University Press, 2022).
S. Yaida, "Non-Gaussian processes and neural networks at finite widths",
MSML (2020).
"""
from __future__ import annotations

import itertools
from functools import lru_cache, partial
from typing import Any, NamedTuple

import jax
import numpy as np
from scipy import special

from . import _nn
from ._validate import check_array, check_choice, check_int, check_positive
from .random import Seed, as_generator, as_key
from .stats import Estimate

__all__ = [
    "ACTIVATIONS",
    "gaussian_moment",
    "two_point",
    "four_point_connected",
    "six_point_connected",
    "Correlators",
    "mc_correlators",
    "sample_outputs",
    "sample_kernels",
    "quartic_coupling",
    "edgeworth_density",
    "DeepVertex",
    "deep_vertex",
    "deep_four_point_connected",
    "PARAMETERIZATIONS",
    "TrainedEnsemble",
    "trained_ensemble",
    "ntk_change",
]

#: Activations understood by every function of this module.
ACTIVATIONS = _nn.ACTIVATIONS
_HOMOGENEOUS = ("relu", "linear")
_RHO_MAX, _RHO_PANELS = 10.0, 32


# --------------------------------------------------------------------------- #
# validation helpers
# --------------------------------------------------------------------------- #
def _inputs(xs: Any) -> np.ndarray:
    arr = check_array("xs", xs, dtype="float")
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim != 2:
        raise ValueError(f"xs must have shape (n,) for scalar inputs or (n, d), got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"xs must hold at least one input of dimension >= 1, got shape {arr.shape}")
    return arr


def _hyper(activation, sigma_w2, sigma_b2, sigma_a2):
    check_choice("activation", activation, ACTIVATIONS)
    return (check_positive("sigma_w2", sigma_w2), check_positive("sigma_b2", sigma_b2, allow_zero=True),
            check_positive("sigma_a2", sigma_a2))


def _input_kernel(xs: np.ndarray, sigma_w2: float, sigma_b2: float) -> np.ndarray:
    return sigma_b2 + sigma_w2 * (xs @ xs.T) / xs.shape[1]


def _act_np(activation: str):
    return _nn.activation(activation, numpy=True)


def _dact_np(activation: str):
    return _nn.activation_derivative(activation, numpy=True)


def _act_jax(activation: str):
    return _nn.activation(activation)


# --------------------------------------------------------------------------- #
# Gaussian expectations of activations
# --------------------------------------------------------------------------- #
def _factor(cov: np.ndarray) -> np.ndarray:
    """Return L (k x r) with L L^T = cov, r the numerical rank."""
    lam, vec = np.linalg.eigh(cov)
    top = max(float(lam[-1]), 0.0)
    keep = lam > 1e-12 * top if top > 0 else np.zeros_like(lam, dtype=bool)
    return vec[:, keep] * np.sqrt(lam[keep])


def _default_nodes(r: int) -> int:
    return {3: 40, 4: 22}.get(r, max(5, int(round(3e5 ** (1.0 / r)))))


def _sphere_nodes(L: np.ndarray, n_gl: int):
    """Unit vectors on S^{r-1} (r = 1, 2) and weights; circle arcs end at every kink."""
    r = L.shape[1]
    if r == 1:
        return np.array([[1.0], [-1.0]]), np.array([0.5, 0.5])
    norms = np.linalg.norm(L, axis=1)
    phi = np.arctan2(L[norms > 0, 1], L[norms > 0, 0])
    kinks = np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi)
    # edges closed under theta -> theta + pi, so odd integrands cancel node by node
    edges = np.unique(np.concatenate([[0.0, np.pi, 2 * np.pi], kinks]))
    t, wt = np.polynomial.legendre.leggauss(n_gl)
    lo, hi = edges[:-1, None], edges[1:, None]
    theta = (lo + (hi - lo) * (t + 1) / 2).ravel()
    w = ((hi - lo) * wt / 2).ravel() / (2 * np.pi)
    return np.stack([np.cos(theta), np.sin(theta)], axis=1), w


def _quadrature(cov: np.ndarray, activation: str, n_quad: int | None):
    """Nodes for E[prod sigma(z_i)]: activation values S (k, Q), weights w (Q,), radial(p).

    Rank r <= 2: z = rho L omega with omega on the unit sphere (Gauss-Legendre on
    arcs between kinks) and rho the radius: exact moment for homogeneous
    activations, composite Gauss-Legendre on [0, 10] otherwise.
    Rank r >= 3: tensor Gauss-Hermite.
    """
    L = _factor(cov)
    k, r = L.shape
    act = _act_np(activation)
    if r == 0:
        return act(np.zeros((k, 1))), np.ones(1), lambda p: 1.0
    if r <= 2:
        omega, w = _sphere_nodes(L, 32 if n_quad is None else n_quad)
        proj = L @ omega.T                                    # (k, n_angle)
        if activation in _HOMOGENEOUS:
            # E|u|^p for u ~ N(0, 1_r): the exact radial part of a degree-p homogeneous integrand
            return act(proj), w, lambda p: 2.0 ** (p / 2) * special.gamma((p + r) / 2) / special.gamma(r / 2)
        # composite Gauss-Legendre in the radius resolves sharp activations (erf at large K)
        edges = np.linspace(0.0, _RHO_MAX, _RHO_PANELS + 1)
        x, wx = np.polynomial.legendre.leggauss(16 if n_quad is None else n_quad)
        half = np.diff(edges)[:, None] / 2
        rho = (edges[:-1, None] + half * (x + 1)).ravel()
        wr = (half * wx).ravel() * rho ** (r - 1) * np.exp(-rho ** 2 / 2) * 2 ** (1 - r / 2) / special.gamma(r / 2)
        S = act(proj[:, :, None] * rho)                       # (k, n_angle, n_radius)
        return S.reshape(k, -1), np.outer(w, wr).ravel(), lambda p: 1.0
    n = _default_nodes(r) if n_quad is None else n_quad
    x, wx = np.polynomial.hermite_e.hermegauss(n)
    wx = wx / np.sqrt(2 * np.pi)
    grids = np.meshgrid(*([x] * r), indexing="ij")
    u = np.stack([g.ravel() for g in grids], axis=0)
    w = np.ones(1)
    for _ in range(r):
        w = np.multiply.outer(w, wx)
    return act(L @ u), w.ravel(), lambda p: 1.0


def _moment(S: np.ndarray, w: np.ndarray, order: int) -> np.ndarray:
    k = S.shape[0]
    if order == 1:
        return S @ w
    half = order // 2
    out = np.zeros((k ** half, k ** (order - half)))
    step = max(1, 2 ** 22 // max(k ** order, 1))
    for lo in range(0, S.shape[1], step):
        blk, wb = S[:, lo:lo + step], w[lo:lo + step]
        left = blk
        for _ in range(half - 1):
            left = (left[:, None, :] * blk[None, :, :]).reshape(-1, blk.shape[1])
        right = blk
        for _ in range(order - half - 1):
            right = (right[:, None, :] * blk[None, :, :]).reshape(-1, blk.shape[1])
        out += (left * wb) @ right.T
    return out.reshape((k,) * order)


def gaussian_moment(cov: Any, order: int, activation: str = "relu", *,
                    n_quad: int | None = None) -> np.ndarray:
    r"""Tensor of Gaussian moments of an activation, :math:`E_{i_1\cdots i_p}`.

    .. math::

        E_{i_1\cdots i_p} = \mathbb E_{z\sim\mathcal N(0, K)}
        \big[\sigma(z_{i_1})\cdots\sigma(z_{i_p})\big]

    computed in the coordinates of a rank-:math:`r` factor of :math:`K`:
    polar coordinates to machine precision for every activation when
    :math:`r\le 2` (scalar inputs), tensor Gauss-Hermite for :math:`r\ge 3`
    (see the module notes).

    Parameters
    ----------
    cov : array_like, shape (k, k)
        Symmetric positive semi-definite covariance :math:`K` of the pre-activations.
    order : int
        Number of factors :math:`p` (1 to 6).
    activation : {"relu", "erf", "tanh", "linear"}
        The activation :math:`\sigma`.
    n_quad : int, optional
        Nodes per dimension (Gauss-Hermite, rank >= 3) or per arc and radial
        panel (Gauss-Legendre, rank <= 2); at most 150.

    Returns
    -------
    numpy.ndarray, shape (k,) * order

    Example
    -------
    >>> E = gaussian_moment([[1.0]], 4, "relu")
    >>> round(float(E[0, 0, 0, 0]), 12)   # E[relu(z)^4] = 3/2 K^2
    1.5

    References
    ----------
    Y. Cho and L. K. Saul, "Kernel methods for deep learning", NeurIPS (2009).
    """
    K = _covariance("cov", cov)
    order = check_int("order", order, minimum=1, maximum=6)
    check_choice("activation", activation, ACTIVATIONS)
    if n_quad is not None:
        n_quad = check_int("n_quad", n_quad, minimum=2, maximum=150)
    S, w, radial = _quadrature(K, activation, n_quad)
    return radial(order) * _moment(S, w, order)


def _covariance(name: str, cov: Any) -> np.ndarray:
    K = check_array(name, cov, ndim=2, dtype="float")
    if K.shape[0] != K.shape[1] or K.shape[0] < 1:
        raise ValueError(f"{name} must be a square (k, k) matrix, got shape {K.shape}")
    if not np.allclose(K, K.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    if np.linalg.eigvalsh(K)[0] < -1e-9 * max(1.0, float(np.abs(K).max())):
        raise ValueError(f"{name} must be positive semi-definite")
    return 0.5 * (K + K.T)


def _pair_expectation(K: np.ndarray, activation: str) -> np.ndarray:
    """E[sigma(z_a) sigma(z_b)] for all pairs, closed forms where they exist (smooth in K)."""
    d = np.clip(np.diag(K), 0.0, None)
    if activation == "linear":
        return K.copy()
    if activation == "relu":
        norm = np.sqrt(np.outer(d, d))
        safe = np.where(norm > 0, norm, 1.0)
        cos = np.clip(K / safe, -1.0, 1.0)
        th = np.arccos(cos)
        return np.where(norm > 0, norm * (np.sin(th) + (np.pi - th) * cos) / (2 * np.pi), 0.0)
    if activation == "erf":
        return 2 / np.pi * np.arcsin(np.clip(2 * K / np.sqrt(np.outer(1 + 2 * d, 1 + 2 * d)), -1, 1))
    # tanh: no closed form; each pair is a rank <= 2 problem, done to machine precision
    k = K.shape[0]
    out = np.empty((k, k))
    for a in range(k):
        for b in range(a, k):
            sub = K[np.ix_([a, b], [a, b])]
            S, w, radial = _quadrature(sub, activation, None)
            out[a, b] = out[b, a] = radial(2) * np.sum(S[0] * S[1] * w)
    return out


# --------------------------------------------------------------------------- #
# exact correlators of the one-hidden-layer network
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=None)
def _pairings(n: int) -> tuple:
    """All perfect matchings of range(n) as tuples of pairs."""
    if n == 0:
        return ((),)
    out = []
    for j in range(1, n):
        rest = [i for i in range(1, n) if i != j]
        for sub in _pairings(n - 2):
            out.append(((0, j),) + tuple((rest[a], rest[b]) for a, b in sub))
    return tuple(out)


_LETTERS = "abcdef"


def _sym_pairs(m2: np.ndarray, n: int) -> np.ndarray:
    """Sum over pairings of prod m2[pair] (leading batch axes allowed)."""
    out_idx = _LETTERS[:n]
    total = 0.0
    for pairing in _pairings(n):
        ins = ",".join("..." + _LETTERS[i] + _LETTERS[j] for i, j in pairing)
        total = total + np.einsum(f"{ins}->...{out_idx}", *([m2] * len(pairing)))
    return total


def _sym_42(m4: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """Sum over the 15 ways to split six indices into a group of four and a pair."""
    total = 0.0
    for i, j in itertools.combinations(range(6), 2):
        rest = "".join(_LETTERS[q] for q in range(6) if q not in (i, j))
        total = total + np.einsum(f"...{rest},...{_LETTERS[i]}{_LETTERS[j]}->...abcdef", m4, m2)
    return total


def _pair_transposed(c: np.ndarray, n: int) -> np.ndarray:
    """Sum over pairings of c with its (pair)(pair)... index slots filled by that pairing."""
    out_idx = _LETTERS[:n]
    total = 0.0
    for pairing in _pairings(n):
        src = "".join(_LETTERS[i] + _LETTERS[j] for i, j in pairing)
        total = total + np.einsum(f"...{src}->...{out_idx}", c)
    return total


def two_point(xs: Any, activation: str = "relu", sigma_w2: float = 1.0, sigma_b2: float = 0.0,
              sigma_a2: float = 1.0) -> np.ndarray:
    r"""Exact two-point function of the one-hidden-layer network (the NNGP kernel).

    .. math::

        G^{(2)}(x, x') = \mathbb E[f(x) f(x')] = \sigma_b^2
        + \sigma_a^2\, \mathbb E\big[\sigma(z(x))\,\sigma(z(x'))\big],
        \qquad z\sim\mathcal{GP}(0, K^{(0)}),

    with :math:`K^{(0)}(x,x') = \sigma_b^2 + \sigma_w^2 x\cdot x'/d`; it does not
    depend on the width. Closed forms: arc-cosine kernel for ReLU, arcsine
    kernel for erf, :math:`K^{(0)}` for linear; quadrature for tanh.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        Inputs (a 1-d array is n scalar inputs).
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
        Variances of input weights (times d), biases, readout weights.

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Example
    -------
    >>> G = two_point([1.0, -1.0], "relu", sigma_w2=2.0)
    >>> G.round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0]]

    References
    ----------
    C. K. I. Williams, "Computing with infinite networks", NeurIPS (1997);
    Y. Cho and L. K. Saul, NeurIPS (2009).
    """
    X = _inputs(xs)
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sigma_a2)
    return sb + sa * _pair_expectation(_input_kernel(X, sw, sb), activation)


def _single_layer_moments(xs, activation, sigma_w2, sigma_b2, sigma_a2, n_quad, orders):
    X = _inputs(xs)
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sigma_a2)
    if n_quad is not None:
        n_quad = check_int("n_quad", n_quad, minimum=2, maximum=150)
    K0 = _input_kernel(X, sw, sb)
    S, w, radial = _quadrature(K0, activation, n_quad)
    moments = {p: radial(p) * _moment(S, w, p) for p in orders}
    moments[2] = _pair_expectation(K0, activation)
    return moments, sa


def four_point_connected(xs: Any, width: int, activation: str = "relu", sigma_w2: float = 1.0,
                         sigma_b2: float = 0.0, sigma_a2: float = 1.0, *,
                         n_quad: int | None = None) -> np.ndarray:
    r"""Exact connected four-point function of the one-hidden-layer network.

    For independent hidden units with Gaussian readout weights
    (:math:`\mathbb E a^4 = 3`), the joint cumulant of :math:`N` i.i.d. terms is

    .. math::

        G^{(4)}_{c}(x_1,x_2,x_3,x_4) = \frac{\sigma_a^4}{N}\Big[3E_{1234}
        - E_{12}E_{34} - E_{13}E_{24} - E_{14}E_{23}\Big]
        = \frac{\sigma_a^4}{N}\sum_{\text{3 pairings}}
        \mathrm{Cov}(\sigma_1\sigma_2,\, \sigma_3\sigma_4),

    valid for distinct as well as coincident inputs, with
    :math:`E_{i\cdots j} = \mathbb E[\sigma(z(x_i))\cdots\sigma(z(x_j))]`.
    It is exact (no higher orders in :math:`1/N`) and equals
    :math:`\mathbb E f_1f_2f_3f_4 - \sum_{\text{pairings}} G^{(2)}G^{(2)}`.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        Inputs; the result holds every index combination of them.
    width : int
        Hidden width :math:`N`.
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
        Variances of input weights (times d), biases, readout weights.
    n_quad : int, optional
        Quadrature nodes per dimension (or per arc for ReLU).

    Returns
    -------
    numpy.ndarray, shape (n, n, n, n)
        :math:`G^{(4)}_c` at ``xs[i], xs[j], xs[k], xs[l]``.

    Example
    -------
    >>> G4 = four_point_connected([1.0], 10, "relu")
    >>> round(float(G4[0, 0, 0, 0]), 12)   # 3 (3/2 - 1/4) K^2 / N with K = 1
    0.375

    References
    ----------
    J. Halverson, A. Maiti and K. Stoner, Mach. Learn.: Sci. Technol. 2 (2021);
    D. A. Roberts, S. Yaida and B. Hanin (2022), ch. 4.
    """
    width = check_int("width", width, minimum=1)
    m, sa = _single_layer_moments(xs, activation, sigma_w2, sigma_b2, sigma_a2, n_quad, (4,))
    return sa ** 2 / width * (3 * m[4] - _sym_pairs(m[2], 4))


def six_point_connected(xs: Any, width: int, activation: str = "relu", sigma_w2: float = 1.0,
                        sigma_b2: float = 0.0, sigma_a2: float = 1.0, *,
                        n_quad: int | None = None) -> np.ndarray:
    r"""Exact connected six-point function of the one-hidden-layer network, :math:`O(1/N^2)`.

    With :math:`\mathbb E a^6 = 15`, :math:`\mathbb E a^4 = 3` and odd moments zero,

    .. math::

        G^{(6)}_c = \frac{\sigma_a^6}{N^2}\Big[15 E_{123456}
        - 3\sum_{15} E_{ijkl}E_{mn} + 2\sum_{15} E_{ij}E_{kl}E_{mn}\Big],

    the sums running over the 15 splits into a quadruple and a pair and over
    the 15 pairings.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        Inputs (keep n small: the result has n**6 entries).
    width : int
        Hidden width :math:`N`.
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
    n_quad : int, optional

    Returns
    -------
    numpy.ndarray, shape (n,) * 6

    Example
    -------
    >>> G6 = six_point_connected([1.0], 1, "linear")
    >>> round(float(G6.ravel()[0]), 9)   # kappa_6 of a product of two normals
    120.0

    References
    ----------
    S. Yaida, "Non-Gaussian processes and neural networks at finite widths" (2020).
    """
    width = check_int("width", width, minimum=1)
    m, sa = _single_layer_moments(xs, activation, sigma_w2, sigma_b2, sigma_a2, n_quad, (4, 6))
    return sa ** 3 / width ** 2 * (15 * m[6] - 3 * _sym_42(m[4], m[2]) + 2 * _sym_pairs(m[2], 6))


def quartic_coupling(xs: Any, width: int, activation: str = "relu", sigma_w2: float = 1.0,
                     sigma_b2: float = 0.0, sigma_a2: float = 1.0) -> np.ndarray:
    r"""Effective quartic coupling :math:`\lambda_{abcd}`: minus the amputated four-point function.

    For the effective action
    :math:`S[f] = \tfrac12 f^\top A f + \tfrac{1}{4!}\sum\lambda_{abcd}f_af_bf_cf_d`,
    first-order perturbation theory gives
    :math:`G^{(4)}_c = -\sum K K K K \lambda`, hence

    .. math::

        \lambda_{abcd} = -\sum_{efgh} K^{-1}_{ae}K^{-1}_{bf}K^{-1}_{cg}K^{-1}_{dh}\,
        G^{(4)}_{c,efgh} = O(1/N),

    with :math:`K = G^{(2)}` (and :math:`A = K^{-1} - \tfrac12\lambda\cdot K`
    keeps the two-point function exact). Because :math:`G^{(4)}_c \ge 0` at
    coincident inputs (the output is a scale mixture of Gaussians), the
    coupling at a single input is negative: the opposite sign to a stable
    :math:`\phi^4` theory.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        Distinct inputs (the kernel must be invertible).
    width : int
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float

    Returns
    -------
    numpy.ndarray, shape (n, n, n, n)

    Example
    -------
    >>> lam = quartic_coupling([1.0], 10, "relu")
    >>> round(float(lam[0, 0, 0, 0]), 9)   # -0.375 / (1/2)^4
    -6.0

    References
    ----------
    J. Halverson, A. Maiti and K. Stoner (2021), sec. 4.
    """
    K = two_point(xs, activation, sigma_w2, sigma_b2, sigma_a2)
    lam, vec = np.linalg.eigh(K)
    if lam[0] <= 1e-10 * max(lam[-1], 1e-300):
        raise ValueError("xs must give an invertible two-point function (distinct, independent "
                         f"inputs); smallest kernel eigenvalue is {lam[0]:.3g}")
    Kinv = (vec / lam) @ vec.T
    G4 = four_point_connected(xs, width, activation, sigma_w2, sigma_b2, sigma_a2)
    return -np.einsum("ae,bf,cg,dh,efgh->abcd", Kinv, Kinv, Kinv, Kinv, G4, optimize=True)


def edgeworth_density(f: Any, xs: Any, width: int, activation: str = "relu",
                      sigma_w2: float = 1.0, sigma_b2: float = 0.0,
                      sigma_a2: float = 1.0) -> np.ndarray:
    r"""Density of the outputs at one or a few inputs to first order in :math:`1/N` (Edgeworth).

    .. math::

        p(f) = \mathcal N(f; 0, K)\Big[1 + \frac{1}{4!}\sum_{abcd}
        G^{(4)}_{c,abcd}\, H_{abcd}(f)\Big],
        \quad H_{abcd} = y_ay_by_cy_d - (y_ay_bK^{-1}_{cd} + 5\ \text{perms})
        + (K^{-1}_{ab}K^{-1}_{cd} + 2\ \text{perms}),

    with :math:`y = K^{-1}f` and :math:`K = G^{(2)}`; at one input
    :math:`p = \varphi(f/\sqrt K)\,[1 + \tfrac{G^{(4)}_c}{24K^2}\mathrm{He}_4(f/\sqrt K)]/\sqrt K`.
    It equals :math:`e^{-S[f]}` of :func:`quartic_coupling` expanded to first
    order in :math:`\lambda`. For very small :math:`N` it turns negative in
    the tails: perturbation theory has broken down.

    Parameters
    ----------
    f : array_like, shape (..., n) (or any shape when there is one input)
        Output values at which to evaluate the density.
    xs : array_like, shape (n,) or (n, d)
        The inputs (n = 1 or a few, distinct).
    width : int
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float

    Returns
    -------
    numpy.ndarray
        Density values, shape of ``f`` without its last axis (n > 1) or of ``f`` (n = 1).

    Example
    -------
    >>> p = edgeworth_density(np.linspace(-8, 8, 4001), [1.0], 8)
    >>> round(float(p.sum() * 0.004), 6)
    1.0

    References
    ----------
    P. McCullagh, *Tensor Methods in Statistics* (1987), ch. 5.
    """
    X = _inputs(xs)
    n = X.shape[0]
    arr = check_array("f", f, dtype="float")
    if n == 1:
        arr = arr[..., None]
    elif arr.ndim < 1 or arr.shape[-1] != n:
        raise ValueError(f"f must have shape (..., {n}) for {n} inputs, got {arr.shape}")
    K = two_point(X, activation, sigma_w2, sigma_b2, sigma_a2)
    G4 = four_point_connected(X, width, activation, sigma_w2, sigma_b2, sigma_a2)
    lam, vec = np.linalg.eigh(K)
    if lam[0] <= 1e-10 * max(lam[-1], 1e-300):
        raise ValueError("xs must give an invertible two-point function (distinct inputs)")
    Kinv = (vec / lam) @ vec.T
    y = arr @ Kinv
    gauss = np.exp(-0.5 * np.einsum("...a,...a->...", arr, y)) / np.sqrt((2 * np.pi) ** n * np.prod(lam))
    t4 = np.einsum("abcd,...a,...b,...c,...d->...", G4, y, y, y, y, optimize=True)
    t2 = np.einsum("abcd,cd,...a,...b->...", G4, Kinv, y, y, optimize=True)
    t0 = np.einsum("abcd,ab,cd->", G4, Kinv, Kinv)
    return gauss * (1.0 + (t4 - 6 * t2 + 3 * t0) / 24.0)


# --------------------------------------------------------------------------- #
# Monte Carlo over random networks
# --------------------------------------------------------------------------- #
class Correlators(NamedTuple):
    """Monte Carlo correlators as array-valued Estimates (jackknife errors; ``None`` where not computed)."""

    #: :math:`G_2`, ``mean`` and ``error`` of shape (n, n).
    g2: Estimate
    #: Connected :math:`G_4`, shape (n,)*4, or None.
    g4: Estimate | None
    #: Connected :math:`G_6`, shape (n,)*6, or None.
    g6: Estimate | None
    #: Number of random networks averaged over.
    n_networks: int


def _outer_rows(a, b):
    return (a[:, :, None] * b[:, None, :]).reshape(a.shape[0], -1)


@partial(jax.jit, static_argnames=("m", "width", "depth", "activation", "max_order",
                                                 "estimator"))
def _chunk_sums(key, L0, n_valid, cw, cb, ca, *, m, width, depth, activation, max_order, estimator):
    import jax
    import jax.numpy as jnp
    act = _act_jax(activation)
    k, r = L0.shape
    # one random draw per chunk (threefry compiles slowly; one call site keeps jit cheap)
    sizes = [m * width * r] + [m * width * k] * (depth - 1) + [m * width, m]
    noise = jax.random.normal(key, (sum(sizes),), dtype=jnp.float32)
    parts = jnp.split(noise, np.cumsum(sizes)[:-1])
    z = parts[0].reshape(m, width, r) @ L0.T.astype(jnp.float32)     # (m, N, k)
    for layer in range(1, depth):
        s = act(z)
        G = cb + cw / width * jnp.einsum("mia,mib->mab", s, s)           # empirical kernel
        lam, vec = jnp.linalg.eigh(G)
        fac = vec * jnp.sqrt(jnp.clip(lam, 0.0, None))[:, None, :]
        z = jnp.einsum("mic,mac->mia", parts[layer].reshape(m, width, k), fac)
    s = act(z)
    valid = (jnp.arange(m) < n_valid).astype(jnp.float64)
    if estimator == "direct":
        a, b = parts[depth].reshape(m, width), parts[depth + 1]
        F = (jnp.sqrt(cb) * b[:, None] + jnp.sqrt(ca / width) * jnp.einsum("mi,mia->ma", a, s))
        X1 = F.astype(jnp.float64)
    else:
        G = cb + ca / width * jnp.einsum("mia,mib->mab", s, s)
        X1 = G.reshape(m, k * k).astype(jnp.float64)
    Xw = X1 * valid[:, None]
    sums = [Xw.sum(0), Xw.T @ X1]
    X2 = _outer_rows(X1, X1)
    if estimator == "direct":
        if max_order >= 4:
            sums.append((X2 * valid[:, None]).T @ X2)
        if max_order >= 6:
            X3 = _outer_rows(X2, X1)
            sums.append((X3 * valid[:, None]).T @ X3)
    elif max_order >= 6:
        sums.append((X2 * valid[:, None]).T @ X1)
    return sums


def _estimates(means, k, max_order, estimator):
    """Connected correlators from (batched) means of the chunk sums."""
    lead = means[0].shape[:-1]
    if estimator == "direct":
        m2 = means[1].reshape(lead + (k, k))
        out = [m2, None, None]
        if max_order >= 4:
            m4 = means[2].reshape(lead + (k,) * 4)
            out[1] = m4 - _sym_pairs(m2, 4)
        if max_order >= 6:
            m6 = means[3].reshape(lead + (k,) * 6)
            out[2] = m6 - _sym_42(m4, m2) + 2 * _sym_pairs(m2, 6)
        return out
    g1 = means[0].reshape(lead + (k, k))
    M2 = means[1].reshape(lead + (k,) * 4)
    c2 = M2 - np.einsum("...ab,...cd->...abcd", g1, g1)
    out = [g1, _pair_transposed(c2, 4) if max_order >= 4 else None, None]
    if max_order >= 6:
        M3 = means[2].reshape(lead + (k,) * 6)
        c3 = (M3 - np.einsum("...abcd,...ef->...abcdef", M2, g1)
              - np.einsum("...abef,...cd->...abcdef", M2, g1)
              - np.einsum("...cdef,...ab->...abcdef", M2, g1)
              + 2 * np.einsum("...ab,...cd,...ef->...abcdef", g1, g1, g1))
        out[2] = _pair_transposed(c3, 6)
    return out


def mc_correlators(xs: Any, width: int, n_networks: int, activation: str = "relu",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, sigma_a2: float = 1.0, *,
                   depth: int = 1, max_order: int = 6, estimator: str = "direct",
                   chunk_size: int | None = None, n_blocks: int = 32,
                   seed: Seed = None) -> Correlators:
    r"""Monte Carlo estimates of the 2-, 4- and 6-point connected functions over random networks.

    Networks of hidden width :math:`N` and ``depth`` hidden layers are drawn in
    chunks (memory stays bounded for :math:`10^6` networks and more). Hidden
    pre-activations are sampled exactly: given layer :math:`\ell`, the units of
    layer :math:`\ell+1` at the n inputs are i.i.d.
    :math:`\mathcal N(0, \hat G^{(\ell+1)})` with the empirical kernel
    :math:`\hat G^{(\ell+1)} = \sigma_b^2 + \frac{\sigma_w^2}{N}\sum_j
    \sigma(z^{(\ell)}_j)\sigma(z^{(\ell)}_j)^\top` (first layer:
    :math:`K^{(0)}`), which is the law of the weight-space network at
    :math:`O(N n^2)` instead of :math:`O(N^2)` cost. The readout uses
    ``sigma_a2`` and the output bias ``sigma_b2``.

    ``estimator="direct"`` samples the readout weights and measures moments
    of :math:`f` (odd moments vanish by the exact symmetry
    :math:`f\to-f` and are not subtracted):
    :math:`G^{(4)}_c = \overline{f_1f_2f_3f_4} - \sum_{3}\overline{ff}\,\overline{ff}`,
    :math:`G^{(6)}_c = \overline{f^6} - \sum_{15}\overline{f^4}\,\overline{f^2}
    + 2\sum_{15}\overline{ff}\,\overline{ff}\,\overline{ff}`.
    ``estimator="kernel"`` averages the Gaussian readout out exactly
    (Rao-Blackwell): :math:`G^{(4)}_c = \sum_3 \mathrm{Cov}(\hat G_{ab}, \hat G_{cd})`,
    :math:`G^{(6)}_c = \sum_{15}\kappa_3(\hat G_{ab},\hat G_{cd},\hat G_{ef})`,
    whose relative error does not grow with :math:`N`.
    Errors are blocked-jackknife standard errors over ``n_blocks`` blocks.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        Inputs (n small: the six-point tensor has n**6 entries).
    width : int
        Hidden width :math:`N`.
    n_networks : int
        Number of random networks.
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
    depth : int
        Number of hidden layers (hidden-to-hidden weights have variance sigma_w2 / N).
    max_order : {2, 4, 6}
        Highest correlator computed.
    estimator : {"direct", "kernel"}
    chunk_size : int, optional
        Networks per chunk (default: about 2**23 numbers per array).
    n_blocks : int
        Jackknife blocks (>= 2).
    seed : int, Generator or JAX key

    Returns
    -------
    Correlators
        ``g2`` (n, n), ``g4`` (n,)*4, ``g6`` (n,)*6 as array-valued :class:`~physbook.stats.Estimate`.

    Example
    -------
    >>> mc = mc_correlators([1.0], 8, 20000, "relu", max_order=4, seed=0)
    >>> bool(abs(mc.g4.mean[0, 0, 0, 0] - 0.375 * 10 / 8) < 4 * mc.g4.error[0, 0, 0, 0])
    True

    References
    ----------
    D. A. Roberts, S. Yaida and B. Hanin (2022), ch. 4.
    """
    X = _inputs(xs)
    width = check_int("width", width, minimum=1)
    n_networks = check_int("n_networks", n_networks, minimum=2)
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sigma_a2)
    depth = check_int("depth", depth, minimum=1, maximum=64)
    max_order = check_choice("max_order", max_order, (2, 4, 6))
    check_choice("estimator", estimator, ("direct", "kernel"))
    n_blocks = check_int("n_blocks", n_blocks, minimum=2, maximum=n_networks)
    k = X.shape[0]
    L0 = _factor(_input_kernel(X, sw, sb))
    if L0.shape[1] == 0:
        L0 = np.zeros((k, 1))
    m, n_chunks = _chunking(width, k, L0.shape[1], max_order, n_networks, n_blocks, chunk_size)
    # 1. per-network moment sums accumulated into n_blocks consecutive blocks of networks
    block_sums, counts = _block_sums(as_key(seed), L0, n_networks, m, n_chunks, n_blocks, sw, sb, sa,
                                     width=width, depth=depth, activation=activation,
                                     max_order=max_order, estimator=estimator)
    # 2. cumulants from all networks, and leave-one-block-out jackknife errors
    total = [b.sum(0) for b in block_sums]
    loo = [(t[None] - b) / (n_networks - counts)[:, None] for t, b in zip(total, block_sums)]
    full = _estimates([t / n_networks for t in total], k, max_order, estimator)
    jack = _estimates(loo, k, max_order, estimator)
    est = [None if f_ is None else
           Estimate(np.asarray(f_), np.sqrt((n_blocks - 1) / n_blocks * ((j_ - j_.mean(0)) ** 2).sum(0)))
           for f_, j_ in zip(full, jack)]
    return Correlators(est[0], est[1], est[2], n_networks)


def _chunking(width, k, rank, max_order, n_networks, n_blocks, chunk_size):
    """Networks per chunk (about 2**23 numbers per array, never more than a block) and chunk count."""
    per_net = width * max(k, rank) + k ** (6 if max_order == 6 else 4)
    auto = max(1, 2 ** 23 // per_net)
    if chunk_size is not None:
        auto = check_int("chunk_size", chunk_size, minimum=1)
    m = int(min(auto, -(-n_networks // n_blocks)))
    return m, -(-n_networks // m)


def _block_sums(key, L0, n_networks, m, n_chunks, n_blocks, sw, sb, sa, **static):
    """Sums of the estimator's moments over the networks of each block, and networks per block."""
    import jax
    import jax.numpy as jnp

    block_sums, counts = None, np.zeros(n_blocks)
    for c in range(n_chunks):              # a loop over chunks of networks; each chunk is vectorised
        n_valid = min(m, n_networks - c * m)
        sums = _chunk_sums(jax.random.fold_in(key, c), jnp.asarray(L0), n_valid, sw, sb, sa, m=m, **static)
        sums = [np.asarray(s, dtype=np.float64).ravel() for s in sums]
        if block_sums is None:
            block_sums = [np.zeros((n_blocks, s.size)) for s in sums]
        blk = c * n_blocks // n_chunks
        for acc, s in zip(block_sums, sums):
            acc[blk] += s
        counts[blk] += n_valid
    return block_sums, counts


def _hidden_chunks(X, width, n_networks, activation, sw, sb, depth, rng):
    """Yield the last hidden layer's activations (m, N, k) of consecutive chunks of networks."""
    act = _act_np(activation)
    k = X.shape[0]
    L0 = _factor(_input_kernel(X, sw, sb))
    if L0.shape[1] == 0:
        L0 = np.zeros((k, 1))
    step = max(1, 2 ** 21 // (width * k))
    for lo in range(0, n_networks, step):
        m = min(step, n_networks - lo)
        z = rng.standard_normal((m, width, L0.shape[1])) @ L0.T
        for _ in range(depth - 1):
            s = act(z)
            lam, vec = np.linalg.eigh(sb + sw / width * np.einsum("mia,mib->mab", s, s))
            z = np.einsum("mic,mac->mia", rng.standard_normal((m, width, k)),
                          vec * np.sqrt(np.clip(lam, 0.0, None))[:, None, :])
        yield lo, act(z)


def _sample_args(xs, width, n_networks, activation, sigma_w2, sigma_b2, sigma_a2, depth, seed):
    X = _inputs(xs)
    width = check_int("width", width, minimum=1)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sigma_a2)
    depth = check_int("depth", depth, minimum=1, maximum=1000)
    return X, width, n_networks, sw, sb, sa, depth, as_generator(seed)


def sample_outputs(xs: Any, width: int, n_networks: int, activation: str = "relu",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, sigma_a2: float = 1.0, *,
                   depth: int = 1, seed: Seed = None) -> np.ndarray:
    r"""Outputs :math:`f(x_1), \ldots, f(x_n)` of independent random networks (numpy, chunked).

    The same network law as :func:`mc_correlators`: hidden pre-activations
    are drawn layer by layer from their exact conditional Gaussian law
    :math:`\mathcal N(0, \hat G^{(\ell)})`, the readout weights and output bias
    explicitly. Meant for histograms and quick looks (no compilation).

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
    width : int
    n_networks : int
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
    depth : int
        Number of hidden layers.
    seed : int, Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n_networks, n)

    Example
    -------
    >>> f = sample_outputs([1.0], 8, 100_000, "relu", seed=0)
    >>> bool(abs(f.var() - 0.5) < 0.01)
    True

    References
    ----------
    R. M. Neal, *Bayesian Learning for Neural Networks* (1996), ch. 2.
    """
    X, width, n_networks, sw, sb, sa, depth, rng = _sample_args(
        xs, width, n_networks, activation, sigma_w2, sigma_b2, sigma_a2, depth, seed)
    out = np.empty((n_networks, X.shape[0]))
    for lo, s in _hidden_chunks(X, width, n_networks, activation, sw, sb, depth, rng):
        m = s.shape[0]
        a = rng.standard_normal((m, width))
        out[lo:lo + m] = (np.sqrt(sa / width) * np.einsum("mi,mia->ma", a, s)
                          + np.sqrt(sb) * rng.standard_normal((m, 1)))
    return out


def sample_kernels(xs: Any, width: int, n_networks: int, activation: str = "relu",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, sigma_a2: float = 1.0, *,
                   depth: int = 1, seed: Seed = None) -> np.ndarray:
    r"""Empirical output kernels :math:`\hat G(x_a, x_b)` of independent random networks.

    .. math::

        \hat G_{ab} = \sigma_b^2 + \frac{\sigma_a^2}{N}\sum_{i=1}^N
        \sigma\big(z^{(L)}_i(x_a)\big)\,\sigma\big(z^{(L)}_i(x_b)\big),

    the covariance of the outputs given the hidden layers: :math:`f` is
    exactly :math:`\mathcal N(0, \hat G)` given them, so
    :math:`\mathbb E\hat G = G^{(2)}` and
    :math:`G^{(4)}_{c,abcd} = \sum_{3\ \text{pairings}}\mathrm{Cov}(\hat G_{ab}, \hat G_{cd})`.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
    width : int
    n_networks : int
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2, sigma_a2 : float
    depth : int
        Number of hidden layers.
    seed : int, Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n_networks, n, n)

    Example
    -------
    >>> G = sample_kernels([1.0], 8, 100_000, "relu", seed=0)[:, 0, 0]
    >>> bool(abs(3 * G.var() - 0.375 * 10 / 8) < 0.02)
    True

    References
    ----------
    D. A. Roberts, S. Yaida and B. Hanin (2022), ch. 4.
    """
    X, width, n_networks, sw, sb, sa, depth, rng = _sample_args(
        xs, width, n_networks, activation, sigma_w2, sigma_b2, sigma_a2, depth, seed)
    k = X.shape[0]
    out = np.empty((n_networks, k, k))
    for lo, s in _hidden_chunks(X, width, n_networks, activation, sw, sb, depth, rng):
        out[lo:lo + s.shape[0]] = sb + sa / width * np.einsum("mia,mib->mab", s, s)
    return out


# --------------------------------------------------------------------------- #
# deep networks: the leading-order four-point vertex recursion
# --------------------------------------------------------------------------- #
class DeepVertex(NamedTuple):
    r"""Layer-by-layer kernels :math:`K^{(\ell)}` and four-point vertices :math:`V^{(\ell)}`.

    Index 0 is the first layer's pre-activations, index ``depth`` the output.
    """

    kernels: np.ndarray
    vertices: np.ndarray


def _pair_jacobian(K: np.ndarray, activation: str) -> np.ndarray:
    """J[a,b,e,f] = dE[s_a s_b]/dK_ef, symmetric perturbations split evenly (central differences)."""
    k = K.shape[0]
    h = 1e-5 * max(1.0, float(np.abs(K).max()))
    J = np.zeros((k, k, k, k))
    for e in range(k):
        for f in range(e, k):
            D = np.zeros((k, k))
            D[e, f] = D[f, e] = h
            diff = (_pair_expectation(K + D, activation) - _pair_expectation(K - D, activation)) / (2 * h)
            if e == f:
                J[:, :, e, e] = diff
            else:
                J[:, :, e, f] = J[:, :, f, e] = diff / 2
    return J


def deep_vertex(xs: Any, depth: int, activation: str = "relu", sigma_w2: float = 1.0,
                sigma_b2: float = 0.0, sigma_a2: float | None = None) -> DeepVertex:
    r"""Leading-order kernel and four-point vertex recursion of a deep MLP (Roberts-Yaida-Hanin).

    With equal hidden widths :math:`N`, :math:`C_W=\sigma_w^2`,
    :math:`C_b=\sigma_b^2` (readout :math:`C_W=\sigma_a^2`), and
    :math:`\langle\cdot\rangle` the Gaussian average over :math:`K^{(\ell)}`,

    .. math::

        K^{(\ell+1)}_{ab} &= C_b + C_W\langle\sigma_a\sigma_b\rangle, \\
        V^{(\ell+1)}_{(ab)(cd)} &= C_W^2\big[\langle\sigma_a\sigma_b\sigma_c\sigma_d\rangle
        - \langle\sigma_a\sigma_b\rangle\langle\sigma_c\sigma_d\rangle\big]
        + C_W^2\sum_{efgh}\frac{\partial\langle\sigma_a\sigma_b\rangle}{\partial K_{ef}}
        V^{(\ell)}_{(ef)(gh)}\frac{\partial\langle\sigma_c\sigma_d\rangle}{\partial K_{gh}},

    starting from :math:`V^{(1)} = 0`. The output's connected four-point function is
    :math:`G^{(4)}_c = (V_{(12)(34)} + V_{(13)(24)} + V_{(14)(23)})/N + O(1/N^2)`.
    At one input the second term is :math:`\chi_\parallel^2 V^{(\ell)}`. The
    derivatives are central differences of the closed-form (or quadrature)
    two-point expectation.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
        One or a few distinct inputs.
    depth : int
        Number of hidden layers L (the output is layer L + 1).
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2 : float
        :math:`C_W` (input weights: times d) and :math:`C_b`.
    sigma_a2 : float, optional
        Readout weight variance (default ``sigma_w2``).

    Returns
    -------
    DeepVertex
        ``kernels`` (depth + 1, n, n), ``vertices`` (depth + 1, n, n, n, n).

    Example
    -------
    >>> dv = deep_vertex([1.0], 3, "relu", sigma_w2=2.0)
    >>> round(float(dv.vertices[-1].ravel()[0] / dv.kernels[-1].ravel()[0] ** 2), 9)
    15.0

    References
    ----------
    D. A. Roberts, S. Yaida and B. Hanin, *The Principles of Deep Learning Theory* (2022), ch. 4.
    """
    X = _inputs(xs)
    depth = check_int("depth", depth, minimum=1, maximum=1000)
    sa = sigma_w2 if sigma_a2 is None else sigma_a2
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sa)
    K = _input_kernel(X, sw, sb)
    k = K.shape[0]
    V = np.zeros((k,) * 4)
    kernels, vertices = [K], [V]
    for layer in range(depth):
        cw = sa if layer == depth - 1 else sw
        S, w, radial = _quadrature(K, activation, None)
        E2 = _pair_expectation(K, activation)
        E4 = radial(4) * _moment(S, w, 4)
        J = _pair_jacobian(K, activation)
        V = cw ** 2 * (E4 - np.einsum("ab,cd->abcd", E2, E2)
                       + np.einsum("abef,efgh,cdgh->abcd", J, V, J, optimize=True))
        K = sb + cw * E2
        kernels.append(K)
        vertices.append(V)
    return DeepVertex(np.array(kernels), np.array(vertices))


def deep_four_point_connected(xs: Any, depth: int, width: int, activation: str = "relu",
                              sigma_w2: float = 1.0, sigma_b2: float = 0.0,
                              sigma_a2: float | None = None) -> np.ndarray:
    r"""Leading-order connected four-point function at the output of a deep MLP.

    .. math::

        G^{(4)}_{c,abcd} = \frac{1}{N}\big[V^{(L+1)}_{(ab)(cd)} + V^{(L+1)}_{(ac)(bd)}
        + V^{(L+1)}_{(ad)(bc)}\big] + O(1/N^2),

    with :math:`V` from :func:`deep_vertex`; exact for ``depth=1``.

    Parameters
    ----------
    xs : array_like, shape (n,) or (n, d)
    depth : int
        Number of hidden layers.
    width : int
        Hidden width N of every hidden layer.
    activation : {"relu", "erf", "tanh", "linear"}
    sigma_w2, sigma_b2 : float
    sigma_a2 : float, optional
        Readout variance (default ``sigma_w2``).

    Returns
    -------
    numpy.ndarray, shape (n, n, n, n)

    Example
    -------
    >>> G4 = deep_four_point_connected([1.0], 3, 100, "relu", sigma_w2=2.0)
    >>> round(float(G4.ravel()[0]), 9)   # 3 * 5 * depth / N with K = 2
    1.8

    References
    ----------
    D. A. Roberts, S. Yaida and B. Hanin (2022), eq. (4.90)-(4.118).
    """
    width = check_int("width", width, minimum=1)
    V = deep_vertex(xs, depth, activation, sigma_w2, sigma_b2, sigma_a2).vertices[-1]
    return _pair_transposed(V, 4) / width


# --------------------------------------------------------------------------- #
# training turns on interactions
# --------------------------------------------------------------------------- #
PARAMETERIZATIONS = ("ntk", "mean_field")


class TrainedEnsemble(NamedTuple):
    """An ensemble of one-hidden-layer networks after gradient descent (:func:`trained_ensemble`)."""

    #: The trained networks at the test inputs. (numpy.ndarray, shape ``(n_networks, n_test)``)
    outputs: np.ndarray
    #: Relative change :math:`\|\Theta_T-\Theta_0\|_F/\|\Theta_0\|_F` of the learning-rate weighted
    #: neural tangent kernel on the training inputs. (numpy.ndarray, shape ``(n_networks,)``)
    ntk_change: np.ndarray
    #: Final training loss :math:`\tfrac{1}{2n}\sum_\mu (f(x_\mu)-y_\mu)^2` of every network.
    #: (numpy.ndarray, shape ``(n_networks,)``)
    loss: np.ndarray


def _gd_one_hidden(X, y, Xt, w, bi, a, b, cw, cb, ca, lr, lr_hidden, n_steps, activation):
    """Full-batch gradient descent of M one-hidden-layer networks at once (numpy, exact gradients).

    Shapes: X (n, d), w (M, d, N), bi, a (M, N), b (M,). Returns test outputs, relative change of
    the learning-rate weighted NTK on X, final loss.
    """
    act, dact = _act_np(activation), _dact_np(activation)
    n = X.shape[0]
    gram = cw ** 2 * X @ X.T + cb ** 2                       # d z / d(w_i, b_i) inner products
    scale = lr_hidden / lr

    def pre(Xs, w, bi):                                      # (M, n, N)
        return cw * np.matmul(Xs, w) + cb * bi[:, None, :]

    def ntk(s, ds, a):
        da = ds * a[:, None, :]
        return cb ** 2 + scale * ca ** 2 * (s @ s.transpose(0, 2, 1) + (da @ da.transpose(0, 2, 1)) * gram)

    z = pre(X, w, bi)
    s, ds = act(z), dact(z)
    theta0 = ntk(s, ds, a)
    for _ in range(n_steps):                                 # loop over time steps only
        res = (cb * b[:, None] + ca * np.matmul(s, a[:, :, None])[..., 0] - y) / n   # dL/df (M, n)
        back = (ca * a[:, None, :]) * ds * res[:, :, None]                          # dL/dz (M, n, N)
        a = a - lr_hidden * ca * np.matmul(res[:, None, :], s)[:, 0]
        w = w - lr_hidden * cw * np.matmul(X.T[None], back)
        bi = bi - lr_hidden * cb * back.sum(1)
        b = b - lr * cb * res.sum(1)
        z = pre(X, w, bi)
        s, ds = act(z), dact(z)
    theta = ntk(s, ds, a)
    change = np.linalg.norm(theta - theta0, axis=(1, 2)) / np.linalg.norm(theta0, axis=(1, 2))
    f_train = cb * b[:, None] + ca * np.matmul(s, a[:, :, None])[..., 0]
    f_test = cb * b[:, None] + ca * np.matmul(act(pre(Xt, w, bi)), a[:, :, None])[..., 0]
    return f_test, change, 0.5 * np.mean((f_train - y) ** 2, axis=1)


def trained_ensemble(x_train: Any, y_train: Any, x_test: Any, width: int, activation: str = "tanh", *,
                   parameterization: str = "ntk", n_networks: int = 16, n_steps: int = 100,
                   learning_rate: float = 0.5, sigma_w2: float = 1.0, sigma_b2: float = 0.1,
                   sigma_a2: float = 1.0, seed: Seed = None) -> TrainedEnsemble:
    r"""Train an ensemble of one-hidden-layer networks by gradient descent, in NTK or mean-field scaling.

    The networks are :math:`f = \sigma_b b + c_a\sum_{i=1}^N a_i\,\sigma(\sqrt{\sigma_w^2/d}\,
    w_i\cdot x + \sigma_b b_i)` with every parameter standard normal at initialisation and

    * ``"ntk"``: :math:`c_a = \sqrt{\sigma_a^2/N}`, one learning rate :math:`\eta` for all
      parameters (the NTK / standard parameterisation: lazy training as :math:`N\to\infty`);
    * ``"mean_field"``: :math:`c_a = \sqrt{\sigma_a^2}/N`, learning rate :math:`\eta N` for the
      hidden-unit parameters :math:`(a_i, w_i, b_i)` and :math:`\eta` for the output bias (the
      mean-field scaling of Mei, Montanari and Nguyen and of Chizat and Bach; for one hidden layer
      it is :math:`\mu`P): the function still moves by :math:`O(1)` per step, and so do the
      features, at any width.

    Every network takes ``n_steps`` steps of full-batch gradient descent on
    :math:`\tfrac{1}{2n}\sum_\mu (f(x_\mu)-y_\mu)^2` (all networks at once, vectorised). The
    kernel whose motion is reported is the learning-rate weighted NTK
    :math:`\Theta(x,x') = \sum_p (\eta_p/\eta)\,\partial_p f(x)\,\partial_p f(x')`, which governs
    the function's gradient flow :math:`\dot f = -\eta\,\Theta\,(f-y)/n` in both scalings.

    Parameters
    ----------
    x_train : array_like, shape (n,) or (n, d)
    y_train : array_like, shape (n,)
    x_test : array_like, shape (n_test,) or (n_test, d)
    width : int
    activation : {"relu", "erf", "tanh", "linear"}
    parameterization : {"ntk", "mean_field"}
    n_networks : int
        Independent initialisations (vectorised).
    n_steps : int
        Gradient-descent steps.
    learning_rate : float
        :math:`\eta`.
    sigma_w2, sigma_b2, sigma_a2 : float
    seed : int, Generator or JAX key

    Returns
    -------
    TrainedEnsemble
        ``outputs`` (n_networks, n_test), ``ntk_change`` and ``loss`` (n_networks,); numpy arrays.

    Example
    -------
    >>> x = np.linspace(-1, 1, 4)
    >>> trained_ensemble(x, np.sin(3 * x), [0.5], 64, n_networks=3, n_steps=10, seed=0).outputs.shape
    (3, 1)

    References
    ----------
    A. Jacot, F. Gabriel and C. Hongler, NeurIPS (2018); S. Mei, A. Montanari and P.-M. Nguyen,
    PNAS 115, E7665 (2018); L. Chizat and F. Bach, NeurIPS (2018); G. Yang and E. J. Hu, ICML
    (2021); D. A. Roberts, S. Yaida and B. Hanin (2022), ch. 11.
    """
    X = _inputs(x_train)
    y = check_array("y_train", y_train, ndim=1, dtype="float")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y_train must have one target per input ({X.shape[0]}), got {y.shape[0]}")
    Xt = _inputs(x_test)
    if Xt.shape[1] != X.shape[1]:
        raise ValueError(f"x_test must have the input dimension of x_train ({X.shape[1]}), got {Xt.shape[1]}")
    width = check_int("width", width, minimum=1)
    sw, sb, sa = _hyper(activation, sigma_w2, sigma_b2, sigma_a2)
    parameterization = check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    lr = check_positive("learning_rate", learning_rate)
    n, d = X.shape
    rng = as_generator(seed)
    w = rng.normal(size=(n_networks, d, width))
    bi = rng.normal(size=(n_networks, width))
    a = rng.normal(size=(n_networks, width))
    b = rng.normal(size=(n_networks,))
    if parameterization == "ntk":
        ca, lr_hidden = np.sqrt(sa / width), lr
    else:
        ca, lr_hidden = np.sqrt(sa) / width, lr * width
    out = _gd_one_hidden(X, y, Xt, w, bi, a, b, np.sqrt(sw / d), np.sqrt(sb), ca, lr, lr_hidden,
                         n_steps, activation)
    return TrainedEnsemble(*out)


def ntk_change(x_train: Any, y_train: Any, width: int, activation: str = "tanh", *,
               parameterization: str = "ntk", n_networks: int = 16, n_steps: int = 100,
               learning_rate: float = 0.5, sigma_w2: float = 1.0, sigma_b2: float = 0.1,
               sigma_a2: float = 1.0, seed: Seed = None) -> np.ndarray:
    r"""Relative change of the empirical NTK of finite networks during gradient descent.

    One-hidden-layer networks trained as in :func:`trained_ensemble` (NTK or mean-field scaling);
    returned is

    .. math::

        \frac{\|\Theta_T - \Theta_0\|_F}{\|\Theta_0\|_F},\qquad
        \Theta_t(x, x') = \sum_p (\eta_p/\eta)\,\partial_{\theta_p} f(x)\,\partial_{\theta_p} f(x'),

    on the training inputs. In NTK parameterisation the infinite-width prediction is zero and at
    finite width the change is :math:`O(1/N)`; in mean-field scaling it stays :math:`O(1)` as
    :math:`N\to\infty` (features are learned).

    Parameters
    ----------
    x_train : array_like, shape (n,) or (n, d)
    y_train : array_like, shape (n,)
    width : int
    activation : {"relu", "erf", "tanh", "linear"}
    parameterization : {"ntk", "mean_field"}
    n_networks : int
        Independent initialisations (vectorised).
    n_steps : int
        Gradient-descent steps.
    learning_rate : float
    sigma_w2, sigma_b2, sigma_a2 : float
    seed : int, Generator or JAX key

    Returns
    -------
    numpy.ndarray, shape (n_networks,)

    Example
    -------
    >>> x = np.linspace(-1, 1, 4)
    >>> ntk_change(x, np.sin(3 * x), 64, n_networks=2, n_steps=10, seed=0).shape
    (2,)

    References
    ----------
    A. Jacot, F. Gabriel and C. Hongler, NeurIPS (2018); D. A. Roberts, S.
    Yaida and B. Hanin (2022), ch. 11.
    """
    X = _inputs(x_train)
    return trained_ensemble(x_train, y_train, X[:1], width, activation, parameterization=parameterization,
                          n_networks=n_networks, n_steps=n_steps, learning_rate=learning_rate,
                          sigma_w2=sigma_w2, sigma_b2=sigma_b2, sigma_a2=sigma_a2, seed=seed).ntk_change
