r"""Exact results for the 2D Ising model (private; called by :mod:`physbook.ising`).

* Onsager's infinite-lattice energy and specific heat, Yang's magnetization.
* Kaufman's partition function of the :math:`m \times n` torus, written in
  log space so that it stays finite for large lattices, differentiated twice
  analytically for the energy and specific heat.
* Brute-force enumeration of all :math:`2^{L^2}` states for :math:`L \le 4`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

TC = 2.0 / np.log1p(np.sqrt(2.0))


def onsager_energy(T):
    K = 1.0 / T
    t2 = np.tanh(2 * K) ** 2
    k2 = np.minimum((2 * np.sinh(2 * K) / np.cosh(2 * K) ** 2) ** 2, 1.0)
    at_tc = k2 >= 1.0
    k1 = special.ellipk(np.where(at_tc, 0.5, k2))
    u = -1.0 / np.tanh(2 * K) * (1 + 2 / np.pi * (2 * t2 - 1) * k1)
    return np.where(at_tc, -np.sqrt(2.0), u)


def onsager_specific_heat(T):
    K = 1.0 / T
    t2 = np.tanh(2 * K) ** 2
    k2 = np.minimum((2 * np.sinh(2 * K) / np.cosh(2 * K) ** 2) ** 2, 1.0)
    at_tc = k2 >= 1.0
    safe = np.where(at_tc, 0.5, k2)
    k1, e1 = special.ellipk(safe), special.ellipe(safe)
    c = (4 / np.pi) * (K / np.tanh(2 * K)) ** 2 * (
        k1 - e1 - (1 - t2) * (np.pi / 2 + (2 * t2 - 1) * k1))
    return np.where(at_tc, np.inf, c)


def yang_magnetization(T):
    K = 1.0 / T
    below = T < TC
    x = np.where(below, 1.0 - np.sinh(2 * np.where(below, K, 1.0)) ** -4.0, 0.0)
    return np.where(below, np.clip(x, 0.0, None) ** 0.125, 0.0)


def _log2cosh(x):
    a = np.abs(x)
    return a + np.log1p(np.exp(-2 * a))


def _log2sinh(x):  # x > 0
    return x + np.log1p(-np.exp(-2 * x))


def _sum_terms(g, g1, g2, x, x1, x2):
    """ln of a product of factors f(x_k) and its first two K-derivatives (sums over k)."""
    return (np.sum(g, -1), np.sum(g1 * x1, -1), np.sum(g2 * x1**2 + g1 * x2, -1))


def log_partition_derivatives(K, m, n):
    r"""ln Z of the m x n torus (J = 1) and its first two derivatives in K = beta.

    Kaufman's formula :math:`Z = \tfrac12 (2\sinh 2K)^{mn/2}\sum_{i=1}^4 Z_i`
    with :math:`Z_{1,2} = \prod_{r} 2\cosh, 2\sinh(m\gamma_{2r+1}/2)`,
    :math:`Z_{3,4} = \prod_r 2\cosh, 2\sinh(m\gamma_{2r}/2)`,
    :math:`\cosh\gamma_k = \cosh 2K\coth 2K - \cos(\pi k/n)` and
    :math:`\gamma_0 = 2K + \ln\tanh K`. Everything is evaluated in log space,
    derivatives analytically, so large lattices neither overflow nor lose digits.
    """
    K = np.asarray(K, dtype=np.float64)[:, None]
    sh, ch = np.sinh(2 * K), np.cosh(2 * K)
    c = sh + 1 / sh - np.cos(np.pi * np.arange(1, 2 * n) / n)
    c1 = 2 * ch * (1 - 1 / sh**2)
    c2 = 4 * sh - 4 / sh + 8 * ch**2 / sh**3
    gam = np.arccosh(c)
    gs = np.sinh(gam)
    gam1 = c1 / gs
    gam2 = (c2 - c * gam1**2) / gs
    x, x1, x2 = 0.5 * m * gam, 0.5 * m * gam1, 0.5 * m * gam2
    t, ct = np.tanh(x), 1 / np.tanh(x)
    odd, even = slice(0, None, 2), slice(1, None, 2)
    l1 = _sum_terms(_log2cosh(x[:, odd]), t[:, odd], 1 - t[:, odd] ** 2, x[:, odd], x1[:, odd], x2[:, odd])
    l2 = _sum_terms(_log2sinh(x[:, odd]), ct[:, odd], 1 - ct[:, odd] ** 2, x[:, odd], x1[:, odd], x2[:, odd])
    e3 = _sum_terms(_log2cosh(x[:, even]), t[:, even], 1 - t[:, even] ** 2, x[:, even], x1[:, even], x2[:, even])
    l4 = _sum_terms(_log2sinh(x[:, even]), ct[:, even], 1 - ct[:, even] ** 2, x[:, even], x1[:, even], x2[:, even])
    K = K[:, 0]
    y = 0.5 * m * (2 * K + np.log(np.tanh(K)))
    y1 = 0.5 * m * (2 + 2 / np.sinh(2 * K))
    y2 = 0.5 * m * (-4 * np.cosh(2 * K) / np.sinh(2 * K) ** 2)
    ty = np.tanh(y)
    l3 = (e3[0] + _log2cosh(y), e3[1] + ty * y1, e3[2] + (1 - ty**2) * y1**2 + ty * y2)
    # Z4 = 2 sinh(y) exp(l4): may vanish or change sign, so it is handled as a product.
    top = np.maximum(np.maximum(l1[0], l2[0]), l3[0])
    big = np.abs(y) > 1.0
    ya = np.where(big, np.abs(y), 1.0)
    a = np.where(big, np.sign(y) * np.exp(l4[0] + _log2sinh(ya) - top),
                 2 * np.sinh(np.where(big, 0.0, y)) * np.exp(l4[0] - top))
    b = np.exp(l4[0] + _log2cosh(y) - top)
    z4 = (a, b * y1 + a * l4[1], a * y1**2 + b * y2 + 2 * b * y1 * l4[1] + a * (l4[2] + l4[1] ** 2))
    s0, s1, s2 = z4
    for l in (l1, l2, l3):
        w = np.exp(l[0] - top)
        s0, s1, s2 = s0 + w, s1 + w * l[1], s2 + w * (l[2] + l[1] ** 2)
    N = m * n
    lnz = -np.log(2.0) + 0.5 * N * np.log(2 * np.sinh(2 * K)) + top + np.log(s0)
    d1 = N / np.tanh(2 * K) + s1 / s0
    d2 = -2 * N / np.sinh(2 * K) ** 2 + s2 / s0 - (s1 / s0) ** 2
    return lnz, d1, d2


def finite(L, T):
    """(ln Z / N, energy per spin, specific heat per spin) on the L x L torus, T 1-D."""
    beta = 1.0 / np.asarray(T, dtype=np.float64)
    lnz, d1, d2 = log_partition_derivatives(beta, L, L)
    n_sites = L * L
    return lnz / n_sites, -d1 / n_sites, beta**2 * d2 / n_sites


@lru_cache(maxsize=None)
def _density_of_states(L):
    """Unique (bond sum, magnetization) pairs of the L x L torus and their counts."""
    n = L * L
    codes = np.arange(2**n, dtype=np.uint32)
    bits = ((codes[:, None] >> np.arange(n, dtype=np.uint32)) & 1).astype(np.int8)
    s = (2 * bits - 1).reshape(-1, L, L)
    bonds = np.sum(s * (np.roll(s, -1, 1) + np.roll(s, -1, 2)), axis=(1, 2), dtype=np.int64)
    mags = np.sum(s, axis=(1, 2), dtype=np.int64)
    pairs, counts = np.unique(np.stack([bonds, mags], 1), axis=0, return_counts=True)
    return pairs[:, 0].astype(float), pairs[:, 1].astype(float), counts.astype(float)


def enumerate_moments(L, T, J, h):
    """Exact thermal averages by enumeration; T 1-D. Returns a dict of per-spin arrays."""
    bonds, mags, counts = _density_of_states(L)
    n = L * L
    beta = 1.0 / np.asarray(T, dtype=np.float64)[:, None]
    E = -J * bonds - h * mags
    logw = np.log(counts) - beta * E
    top = logw.max(axis=1, keepdims=True)
    w = np.exp(logw - top)
    Z = w.sum(axis=1, keepdims=True)
    p = w / Z
    avg = lambda x: np.sum(p * x, axis=1)  # noqa: E731
    e1, e2 = avg(E), avg(E**2)
    m1, am, m2, m4 = avg(mags), avg(np.abs(mags)), avg(mags**2), avg(mags**4)
    b = beta[:, 0]
    lnz = (top[:, 0] + np.log(Z[:, 0])) / n
    mref = am if h == 0 else m1
    return dict(
        energy=e1 / n,
        specific_heat=b**2 * (e2 - e1**2) / n,
        free_energy=-lnz / b,
        magnetization=m1 / n,
        abs_magnetization=am / n,
        susceptibility=b * (m2 - mref**2) / n,
        binder=1.0 - m4 / (3.0 * m2**2),
    )
