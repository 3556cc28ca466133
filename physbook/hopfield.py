r"""Hopfield networks: memories as minima of an Ising-like energy.

Neurons are spins :math:`s_i \in \{-1, +1\}`, synapses are couplings
:math:`W_{ij}`, and the network's energy is the Ising energy with a random,
pattern-dependent coupling matrix,

.. math:: E(\mathbf s) = -\tfrac12 \sum_{ij} W_{ij} s_i s_j + \sum_i \theta_i s_i .

Storing patterns :math:`\boldsymbol\xi^\mu` digs wells in :math:`E`
(:func:`hebbian`, :func:`pseudo_inverse`); recall is descent into the nearest
well (:func:`update`, :func:`recall`). Dense associative memories
(:func:`dense_energy`, :func:`dense_update`) and the continuous modern Hopfield
network (:func:`softmax_update`, one step of attention) raise the capacity.

Conventions: a batch of states leads, ``states[..., N]``; patterns are rows,
``patterns[P, N]``; temperature ``T`` with :math:`k_B = 1`. All dynamics run
on a whole batch at once (JAX, jit-compiled; the same code runs on a GPU).

References: J. J. Hopfield, PNAS 79, 2554 (1982); D. J. Amit, H. Gutfreund and
H. Sompolinsky, PRL 55, 1530 (1985); D. Krotov and J. J. Hopfield, NeurIPS 2016;
M. Demircigil et al., J. Stat. Phys. 168, 288 (2017); H. Ramsauer et al.,
ICLR 2021.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize, special

from ._validate import (check_array, check_choice, check_int, check_positive,
                        check_probability, check_spins)
from .stats import Estimate
from .random import spins as random_signs
from .random import Seed, as_generator, as_key

__all__ = [
    "ALPHA_C",
    "hebbian",
    "pseudo_inverse",
    "energy",
    "update",
    "recall",
    "RecallResult",
    "overlap",
    "corrupt",
    "capacity_curve",
    "CapacityCurve",
    "ags_overlap",
    "dense_energy",
    "dense_update",
    "softmax_update",
    "softmax_energy",
]

_BLOCK = 64  # neurons per block of the exact blocked asynchronous sweep


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------

def _patterns(patterns) -> np.ndarray:
    xi = check_spins("patterns", patterns)
    if xi.ndim != 2:
        raise ValueError(f"patterns must have shape (P, N), got shape {xi.shape}")
    if xi.shape[1] < 2:
        raise ValueError(f"patterns must have at least N = 2 neurons, got N = {xi.shape[1]}")
    return xi


def _weights(W) -> np.ndarray:
    W = check_array("W", W, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (N, N) matrix, got shape {W.shape}")
    return W.astype(np.float32 if W.dtype == np.float32 else np.float64, copy=False)


def _states(states, n: int, name: str = "states") -> np.ndarray:
    s = check_spins(name, states)
    if s.shape[-1] != n:
        raise ValueError(f"{name} must have last dimension N = {n}, got shape {s.shape}")
    return s


def _theta(theta, n: int) -> np.ndarray:
    th = check_array("theta", theta, dtype="float")
    if th.ndim == 0:
        return np.full(n, float(th))
    if th.shape != (n,):
        raise ValueError(f"theta must be a scalar or have shape ({n},), got shape {th.shape}")
    return th


def _temperature(T) -> float:
    return check_positive("T", T, allow_zero=True)


# ---------------------------------------------------------------------------
# storage rules
# ---------------------------------------------------------------------------

def hebbian(patterns) -> np.ndarray:
    r"""Hebbian couplings that store ``patterns`` (Hopfield 1982).

    .. math:: W_{ij} = \frac1N \sum_{\mu=1}^{P} \xi_i^\mu \xi_j^\mu
              \quad (i \ne j), \qquad W_{ii} = 0 .

    Parameters
    ----------
    patterns : array_like of {-1, +1}, shape (P, N)
        The memories, one per row.

    Returns
    -------
    numpy.ndarray of float64, shape (N, N)
        Symmetric, zero diagonal.

    Example
    -------
    >>> W = hebbian([[1, -1, 1, -1]])
    >>> float(W[0, 1]), float(W[0, 0])
    (-0.25, 0.0)

    References
    ----------
    J. J. Hopfield, PNAS 79, 2554 (1982).
    """
    xi = _patterns(patterns).astype(np.float64)
    W = xi.T @ xi / xi.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def pseudo_inverse(patterns) -> np.ndarray:
    r"""Projection (pseudo-inverse) couplings: every pattern is an exact fixed point.

    With the pattern overlap matrix :math:`C_{\mu\nu} = \frac1N \boldsymbol\xi^\mu\cdot\boldsymbol\xi^\nu`,

    .. math:: W = \frac1N \sum_{\mu\nu} \boldsymbol\xi^\mu (C^{+})_{\mu\nu} \boldsymbol\xi^{\nu\,\top},
              \qquad W_{ii} \to 0 ,

    the orthogonal projector onto the span of the patterns (``C^+`` the
    Moore-Penrose inverse, so linearly dependent patterns are allowed). For
    orthogonal patterns it equals :func:`hebbian`; for correlated ones it
    removes the cross-talk that makes the Hebbian rule fail.

    Parameters
    ----------
    patterns : array_like of {-1, +1}, shape (P, N)

    Returns
    -------
    numpy.ndarray of float64, shape (N, N)
        Symmetric, zero diagonal.

    Example
    -------
    >>> xi = np.array([[1, 1, 1, -1], [1, 1, -1, 1]])
    >>> W = pseudo_inverse(xi)
    >>> bool(np.all(np.sign(xi @ W) == xi))
    True

    References
    ----------
    L. Personnaz, I. Guyon and G. Dreyfus, J. Phys. Lett. 46, L359 (1985);
    I. Kanter and H. Sompolinsky, Phys. Rev. A 35, 380 (1987).
    """
    xi = _patterns(patterns).astype(np.float64)
    n = xi.shape[1]
    C = xi @ xi.T / n
    W = xi.T @ np.linalg.pinv(C, hermitian=True) @ xi / n
    W = 0.5 * (W + W.T)
    np.fill_diagonal(W, 0.0)
    return W


# ---------------------------------------------------------------------------
# energy and order parameters
# ---------------------------------------------------------------------------

def energy(states, W, theta=0.0) -> np.ndarray:
    r"""Hopfield energy of a batch of states.

    .. math:: E(\mathbf s) = -\tfrac12 \sum_{ij} W_{ij} s_i s_j + \sum_i \theta_i s_i

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
    W : array_like, shape (N, N)
        Couplings (symmetric for the energy to be a Lyapunov function).
    theta : float or array_like, shape (N,)
        Thresholds.

    Returns
    -------
    numpy.ndarray of float64, shape (...)

    Example
    -------
    >>> xi = np.array([[1, -1, 1, -1]])
    >>> float(energy(xi[0], hebbian(xi)))
    -1.5

    References
    ----------
    J. J. Hopfield, PNAS 79, 2554 (1982).
    """
    W = _weights(W).astype(np.float64)
    n = W.shape[0]
    s = _states(states, n).astype(np.float64)
    th = _theta(theta, n)
    return -0.5 * np.einsum("...i,ij,...j->...", s, W, s) + s @ th


def overlap(states, patterns) -> np.ndarray:
    r"""Overlaps (Mattis magnetisations) of states with patterns, the order parameters of recall.

    .. math:: m^\mu = \frac1N \sum_i \xi_i^\mu s_i \in [-1, 1]

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
    patterns : array_like of {-1, +1}, shape (P, N)

    Returns
    -------
    numpy.ndarray of float64, shape (..., P)

    Example
    -------
    >>> overlap([1, 1, 1, -1], [[1, 1, 1, 1], [1, 1, 1, -1]])
    array([0.5, 1. ])

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, PRL 55, 1530 (1985).
    """
    xi = _patterns(patterns)
    s = _states(states, xi.shape[1])
    return s.astype(np.float64) @ xi.T.astype(np.float64) / xi.shape[1]


def corrupt(patterns, fraction: float, *, seed: Seed = None) -> np.ndarray:
    r"""Flip exactly ``round(fraction * N)`` randomly chosen neurons of every pattern.

    A corrupted copy of pattern :math:`\boldsymbol\xi` then has overlap exactly
    :math:`m = 1 - 2\,\mathrm{round}(fN)/N` with it.

    Parameters
    ----------
    patterns : array_like of {-1, +1}, shape (..., N)
    fraction : float in [0, 1]
        Fraction of neurons to flip in each pattern.
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    numpy.ndarray of int8, shape (..., N)

    Example
    -------
    >>> probe = corrupt(np.ones((2, 10), dtype=np.int8), 0.3, seed=0)
    >>> probe.sum(axis=-1)
    array([4, 4])
    """
    xi = check_spins("patterns", patterns)
    fraction = check_probability("fraction", fraction)
    n = xi.shape[-1]
    k = int(round(fraction * n))
    rng = as_generator(seed)
    order = np.argsort(rng.random(xi.shape), axis=-1)
    flip = np.zeros(xi.shape, dtype=bool)
    np.put_along_axis(flip, order[..., :k], True, axis=-1)
    return np.where(flip, -xi, xi).astype(np.int8)


# ---------------------------------------------------------------------------
# dynamics: JAX kernels
# ---------------------------------------------------------------------------

def _sweep_keys(key):
    """Split a sweep's key into (order key, noise key); shared with the tests."""
    return jax.random.split(key)


def _order(key, n: int, n_pad: int):
    """The random visiting order of one sweep (shared by the batch), padded neurons last."""
    perm = jax.random.permutation(key, n)
    return jnp.concatenate([perm, jnp.arange(n, n_pad, dtype=perm.dtype)])


def _decide(h, old, u, T, stochastic):
    """Zero temperature: s = sign(h), unchanged when h = 0. T > 0: Glauber heat bath."""
    if stochastic:
        return jnp.where(u < jax.nn.sigmoid(2.0 * h / T), 1.0, -1.0).astype(h.dtype)
    return jnp.where(h > 0, 1.0, jnp.where(h < 0, -1.0, old)).astype(h.dtype)


def _async_sweep(S, W, theta, key, T, *, n, K, stochastic):
    r"""One exact asynchronous sweep in a random order shared by the batch.

    Neurons are visited in blocks of K: the fields of a block come from one
    matrix product with the current states, then the K neurons are updated
    one after the other, each field corrected for the flips made earlier in
    the same block. This is the sequential dynamics exactly, at the cost of a
    synchronous sweep plus O(B N K). Returns (states, n_flips, energy change).
    """
    B, n_pad = S.shape
    korder, knoise = _sweep_keys(key)
    blocks = _order(korder, n, n_pad).reshape(-1, K)
    U = jax.random.uniform(knoise, (n_pad // K, K, B), dtype=S.dtype) if stochastic else None

    def block(carry, inp):
        St, flips, dE = carry                        # St: (N, B), neurons lead inside a sweep
        idx, u = inp
        Wr = W[idx]                                  # (K, N) rows of the block
        H0 = Wr @ St - theta[idx][:, None]           # (K, B) fields at block start
        Wb = Wr[:, idx]                              # Wb[a, b] = W[idx_a, idx_b]
        diag = jnp.diagonal(Wb)
        s0 = St[idx]

        def step(k, c):
            # Only the changes D are carried (rows not yet visited are 0): carrying
            # the states too makes XLA copy them at every step.
            D, dE = c
            old = s0[k]
            h = H0[k] + Wb[k] @ D
            new = _decide(h, old, None if u is None else u[k], T, stochastic)
            d = new - old
            return D.at[k].set(d), dE - d * (h - diag[k] * old)

        D, dE = jax.lax.fori_loop(0, K, step, (jnp.zeros_like(s0), dE))
        s = s0 + D
        flips = flips + jnp.sum(s != s0, axis=0, dtype=jnp.int32)
        return (St.at[idx].set(s), flips, dE), None

    zeros = jnp.zeros(B, dtype=jnp.int32)
    (St, flips, dE), _ = jax.lax.scan(block, (S.T, zeros, jnp.zeros(B, S.dtype)),
                                      (blocks, U if stochastic else None))
    return St.T, flips, dE


def _energy_j(S, W, theta):
    return -0.5 * jnp.sum((S @ W.T) * S, axis=-1) + S @ theta


def _sync_sweep(S, W, theta, key, T, *, stochastic, H=None):
    H = S @ W.T - theta if H is None else H
    u = jax.random.uniform(_sweep_keys(key)[1], S.shape, dtype=S.dtype) if stochastic else None
    new = _decide(H, S, u, T, stochastic)
    return new, jnp.sum(new != S, axis=1, dtype=jnp.int32)


def _sweep(S, W, theta, key, T, *, rule, n, K, stochastic):
    """One sweep; returns (new states, flips per probe, new energy given the old)."""
    if rule == "async":
        return _async_sweep(S, W, theta, key, T, n=n, K=K, stochastic=stochastic)
    new, flips = _sync_sweep(S, W, theta, key, T, stochastic=stochastic)
    return new, flips, None


@partial(jax.jit, static_argnames=("rule", "n", "K", "stochastic"))
def _update_kernel(S, W, theta, key, T, *, rule, n, K, stochastic, n_sweeps):
    def body(t, S):
        S, _, _ = _sweep(S, W, theta, jax.random.fold_in(key, t), T,
                         rule=rule, n=n, K=K, stochastic=stochastic)
        return S
    return jax.lax.fori_loop(0, n_sweeps, body, S)


def _recall_core(S, Sprev, E, valid, W, theta, key, T, t0, t_max, stop_at, *,
                 rule, n, K, stochastic, length):
    """Sweep a batch from global sweep t0 on, until sweep t_max or until at most
    ``stop_at`` valid probes are unfinished (T = 0). The order of global sweep t
    depends only on (key, t), so a probe's trajectory does not depend on its batch.

    Returns (S, Sprev, E, last sweep that changed a probe, finished, converged,
    trace of energies after sweeps t0+1, t0+2, ..., global sweep count).
    """
    B = S.shape[0]
    trace = jnp.zeros((B, length), S.dtype)
    false = jnp.zeros(B, dtype=bool)

    def cond(c):
        t, S, Sprev, E, last, done, cycled, trace = c
        unfinished = jnp.sum(valid & ~(done | cycled))
        return (t < t_max) & (stochastic | (unfinished > stop_at))

    def body(c):
        t, S, Sprev, E, last, done, cycled, trace = c
        sweep_key = jax.random.fold_in(key, t)
        if rule == "async":
            S2, flips, dE = _async_sweep(S, W, theta, sweep_key, T, n=n, K=K,
                                         stochastic=stochastic)
            E2, trace = E + dE, trace.at[:, t - t0].set(E + dE)
        else:
            # the fields of this sweep give the energy of the current state for free:
            # E = -1/2 s.(h + theta) + theta.s; it belongs to the previous trace column
            H = S @ W.T - theta
            E2 = -0.5 * jnp.sum(S * H, axis=1) + 0.5 * (S @ theta)
            trace = jnp.where(t > t0, trace.at[:, jnp.maximum(t - t0 - 1, 0)].set(E2), trace)
            S2, flips = _sync_sweep(S, W, theta, sweep_key, T, stochastic=stochastic, H=H)
        changed = flips > 0
        if rule == "sync":  # a period-2 cycle (Bruck 1990): s(t+1) = s(t-1) != s(t)
            cycled = cycled | (changed & jnp.all(S2 == Sprev, axis=1) & (t > 0))
        return (t + 1, S2, S, E2, jnp.where(changed, t + 1, last), ~changed, cycled, trace)

    init = (t0, S, Sprev, E, jnp.zeros(B, jnp.int32), false, false, trace)
    t, S, Sprev, E, last, done, cycled, trace = jax.lax.while_loop(cond, body, init)
    if rule == "sync":  # energy of the final state, one product at the end
        E = _energy_j(S, W, theta)
        trace = jnp.where(t > t0, trace.at[:, jnp.maximum(t - t0 - 1, 0)].set(E), trace)
    converged = done & ~cycled & ~jnp.asarray(stochastic)
    return S, Sprev, E, last, done | cycled, converged, trace, t


@partial(jax.jit, static_argnames=("rule", "n", "K", "stochastic", "length"))
def _recall_kernel(S, Sprev, E, valid, W, theta, key, T, t0, t_max, stop_at, *,
                   rule, n, K, stochastic, length):
    return _recall_core(S, Sprev, E, valid, W, theta, key, T, t0, t_max, stop_at, rule=rule,
                        n=n, K=K, stochastic=stochastic, length=length)


_BUCKETS = (8, 32, 128, 512, 2048, 8192, 32768)


def _bucket(b: int) -> int:
    """Smallest bucket size >= b (batch shapes are few, so few compilations)."""
    return next((x for x in _BUCKETS if x >= b), b)


def _recall_staged(S, W, theta, key, T, *, rule, n, K, n_sweeps):
    """Run :func:`_recall_core` in stages on ever smaller batches of unfinished probes.

    At T = 0 most probes settle in a few sweeps while a few stragglers need
    many; each stage stops once the unfinished probes fit a smaller bucket,
    which then continues alone. Results are those of one big batch.
    """
    stochastic = T > 0
    B = S.shape[0]
    Wj, thj = jnp.asarray(W), jnp.asarray(theta)
    Tj = jnp.asarray(T, S.dtype)
    E0 = np.asarray(_energy_j(jnp.asarray(S), Wj, thj)).astype(np.float64)
    trace = np.full((B, n_sweeps + 1), np.nan)
    trace[:, 0] = E0
    final, E_fin = S.copy(), E0.copy()
    Sprev = S.copy()
    nsw = np.zeros(B, np.int64)
    ran = np.zeros(B, np.int64)
    converged = np.zeros(B, bool)
    rows, t0, first = np.arange(B), 0, True
    while True:
        b = rows.size
        size = b if first else _bucket(b)
        smaller = [x for x in _BUCKETS if x <= b // 2]
        stop_at = 0 if stochastic or not smaller else smaller[-1]
        take = np.concatenate([rows, np.full(size - b, rows[0])])
        valid = np.arange(size) < b
        out = _recall_kernel(jnp.asarray(final[take]), jnp.asarray(Sprev[take]),
                             jnp.asarray(E_fin[take], S.dtype), jnp.asarray(valid), Wj, thj,
                             key, Tj, t0, n_sweeps, stop_at, rule=rule, n=n, K=K,
                             stochastic=stochastic, length=n_sweeps)
        S_o, Sp_o, E_o, last, fin, conv, tr, t = (np.asarray(x)[:b] if np.ndim(x) else int(x)
                                                   for x in out)
        final[rows], Sprev[rows], E_fin[rows] = S_o, Sp_o, E_o
        nsw[rows] = np.maximum(nsw[rows], last)
        converged[rows] = conv
        trace[rows, t0 + 1:t + 1] = tr[:, :t - t0]
        ran[rows] = t
        t0, first = t, False
        if t0 >= n_sweeps or stochastic or fin.all():
            break
        rows = rows[~fin]
    cols = np.arange(n_sweeps + 1)
    trace = np.where(cols[None, :] > ran[:, None], E_fin[:, None], trace)[:, :t0 + 1]
    return final, nsw, trace, converged


def _prepare(states, W, theta, rule, T, n_sweeps, sweeps_name="n_sweeps"):
    """Validate and pad (N up to a multiple of the block size) for the kernels."""
    W = _weights(W)
    n = W.shape[0]
    s = _states(states, n)
    th = _theta(theta, n)
    rule = check_choice("rule", rule, ("async", "sync"))
    T = _temperature(T)
    n_sweeps = check_int(sweeps_name, n_sweeps, minimum=1)
    K = min(_BLOCK, n)
    n_pad = -(-n // K) * K if rule == "async" else n
    dtype = W.dtype
    Wp = np.zeros((n_pad, n_pad), dtype)
    Wp[:n, :n] = W
    S = np.ones((int(np.prod(s.shape[:-1], dtype=int)), n_pad), dtype)
    S[:, :n] = s.reshape(-1, n)
    thp = np.zeros(n_pad, dtype)
    thp[:n] = th
    return s.shape, S, Wp, thp, rule, T, n_sweeps, n, K


def update(states, W, *, rule: str = "async", T: float = 0.0, n_sweeps: int = 1,
           theta=0.0, seed: Seed = None) -> np.ndarray:
    r"""Run ``n_sweeps`` sweeps of Hopfield dynamics on a batch of states.

    Each neuron feels the local field :math:`h_i = \sum_j W_{ij} s_j - \theta_i`.
    At :math:`T = 0` it aligns with it, :math:`s_i \leftarrow \mathrm{sign}(h_i)`
    (unchanged when :math:`h_i = 0`); at :math:`T > 0` it is a stochastic
    (Glauber, heat-bath) neuron,

    .. math:: P(s_i = +1) = \frac{1}{1 + e^{-2 h_i / T}} .

    ``rule="async"`` updates the neurons one at a time in a random order (a
    fresh permutation every sweep, shared by the whole batch; the probes
    are otherwise independent); for symmetric ``W`` with non-negative diagonal
    the energy :func:`energy` then never increases at :math:`T = 0`.
    ``rule="sync"`` updates all neurons at once (Little dynamics), which can
    end in a 2-cycle.

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
        A batch of initial states (probes).
    W : array_like, shape (N, N)
        Couplings. float32 couplings make the dynamics run in float32.
    rule : {"async", "sync"}
    T : float >= 0
        Temperature.
    n_sweeps : int >= 1
        Number of sweeps (one sweep = every neuron updated once).
    theta : float or array_like, shape (N,)
        Thresholds.
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    numpy.ndarray of int8, shape (..., N)

    Example
    -------
    >>> xi = np.array([[1, -1, 1, -1, 1, -1]])
    >>> update([[1, 1, 1, -1, 1, -1]], hebbian(xi), seed=0)
    array([[ 1, -1,  1, -1,  1, -1]], dtype=int8)

    References
    ----------
    J. J. Hopfield, PNAS 79, 2554 (1982); R. J. Glauber, J. Math. Phys. 4, 294 (1963).
    """
    shape, S, W, th, rule, T, n_sweeps, n, K = _prepare(states, W, theta, rule, T, n_sweeps)
    out = _update_kernel(jnp.asarray(S), jnp.asarray(W), jnp.asarray(th), as_key(seed),
                         jnp.asarray(T, S.dtype), rule=rule, n=n, K=K,
                         stochastic=T > 0, n_sweeps=n_sweeps)
    return np.asarray(out)[:, :n].astype(np.int8).reshape(shape)


class RecallResult(NamedTuple):
    """Outcome of :func:`recall` for a batch of probes (batch shape ``...``)."""

    #: final states, int8, shape (..., N)
    states: np.ndarray
    #: sweeps in which the state changed (at T = 0: sweeps to reach the fixed point), shape (...)
    n_sweeps: np.ndarray
    #: energy after 0, 1, ... sweeps, shape (..., n_run + 1); constant once a probe is fixed
    energies: np.ndarray
    #: True where a fixed point was reached (always False at T > 0), shape (...)
    converged: np.ndarray


def recall(states, W, *, rule: str = "async", T: float = 0.0, n_sweeps: int = 100,
           theta=0.0, seed: Seed = None) -> RecallResult:
    r"""Let a batch of probes fall into the energy minima of ``W``.

    At :math:`T = 0` sweeps (see :func:`update`) run until every probe has had
    a sweep without a single flip -- it then sits at a fixed point,
    :math:`s_i h_i \ge 0` for all :math:`i`, a local minimum of

    .. math:: E(\mathbf s) = -\tfrac12 \sum_{ij} W_{ij} s_i s_j + \sum_i \theta_i s_i

    under single flips -- or until ``n_sweeps`` sweeps. With ``rule="sync"`` a
    probe caught in a 2-cycle also stops the loop (it is not converged). At
    :math:`T > 0` exactly ``n_sweeps`` sweeps are run.

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
        Probes.
    W : array_like, shape (N, N)
    rule : {"async", "sync"}
    T : float >= 0
    n_sweeps : int >= 1
        Maximum number of sweeps at T = 0, number of sweeps at T > 0.
    theta : float or array_like, shape (N,)
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    RecallResult
        ``(states, n_sweeps, energies, converged)``; ``energies[..., t]`` is the
        energy after t sweeps, for the sweeps actually run.

    Example
    -------
    >>> xi = corrupt(np.ones((1, 50), dtype=np.int8), 0.2, seed=1)
    >>> res = recall(corrupt(xi, 0.2, seed=2), hebbian(xi), seed=0)
    >>> bool(np.all(res.states == xi)), res.converged
    (True, array([ True]))

    References
    ----------
    J. J. Hopfield, PNAS 79, 2554 (1982); J. Bruck, Proc. IEEE 78, 1579 (1990).
    """
    shape, S, W, th, rule, T, n_sweeps, n, K = _prepare(states, W, theta, rule, T, n_sweeps)
    S, nsw, trace, conv = _recall_staged(S, W, th, as_key(seed), T, rule=rule, n=n, K=K,
                                         n_sweeps=n_sweeps)
    batch = shape[:-1]
    return RecallResult(states=S[:, :n].astype(np.int8).reshape(shape),
                        n_sweeps=nsw.reshape(batch),
                        energies=trace.reshape(*batch, -1),
                        converged=conv.reshape(batch))


# ---------------------------------------------------------------------------
# capacity
# ---------------------------------------------------------------------------

def _ags_rhs(y):
    return special.erf(y) - 2.0 / np.sqrt(np.pi) * y * np.exp(-y * y)


def _critical_point() -> tuple[float, float]:
    """(alpha_c, y_c): the load where the retrieval root of the AGS equation disappears."""
    res = optimize.minimize_scalar(lambda y: -_ags_rhs(y) / y, bounds=(0.5, 3.0), method="bounded",
                                   options={"xatol": 1e-12})
    return float(0.5 * (_ags_rhs(res.x) / res.x) ** 2), float(res.x)


_ALPHA_C, _Y_C = _critical_point()
#: Amit-Gutfreund-Sompolinsky storage capacity of the Hebbian network at T = 0 (0.1379).
ALPHA_C = _ALPHA_C


def ags_overlap(alpha) -> np.ndarray:
    r"""Retrieval overlap of the Hebbian network at T = 0 in the replica-symmetric theory.

    With :math:`y = m/\sqrt{2\alpha r}`, the saddle point equations of Amit,
    Gutfreund and Sompolinsky reduce to

    .. math:: \sqrt{2\alpha}\, y = \operatorname{erf}(y) - \frac{2}{\sqrt\pi}\, y\, e^{-y^2},
              \qquad m = \operatorname{erf}(y) ,

    whose retrieval solution (largest root) exists for
    :math:`\alpha < \alpha_c \approx 0.138` (:data:`ALPHA_C`). Above
    :math:`\alpha_c` the only solution is :math:`m = 0`, returned as 0.

    Parameters
    ----------
    alpha : float or array_like, >= 0
        Load :math:`\alpha = P/N`.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``alpha``

    Example
    -------
    >>> float(np.round(ags_overlap(0.1), 4))
    0.998

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, PRL 55, 1530 (1985);
    Ann. Phys. 173, 30 (1987).
    """
    a = check_array("alpha", alpha, dtype="float")
    if np.any(a < 0):
        raise ValueError(f"alpha must be >= 0, got minimum {a.min()!r}")
    out = np.zeros(a.shape)
    for k, ak in np.ndenumerate(a):
        if ak == 0:
            out[k] = 1.0
        elif ak < ALPHA_C:
            f = lambda y: _ags_rhs(y) - np.sqrt(2 * ak) * y  # noqa: E731
            out[k] = special.erf(optimize.brentq(f, _Y_C, 50.0, xtol=1e-14))
    return out


class CapacityCurve(NamedTuple):
    """Retrieval overlap against load from :func:`capacity_curve`."""

    #: loads alpha = P / N actually used (P rounded to an integer)
    alpha: np.ndarray
    #: mean final overlap with the probed pattern and its standard error over independent
    #: trials (array-valued Estimate, shape (n_alphas,); error inf for one trial: no error bar)
    overlap: Estimate
    #: every final overlap, shape (n_alphas, n_trials, n_probes)
    overlaps: np.ndarray


@partial(jax.jit, static_argnames=("n", "K", "n_sweeps"))
def _capacity_kernel(S, W, keys, *, n, K, n_sweeps):
    def one(S, W, key):
        theta = jnp.zeros(W.shape[0], W.dtype)
        E0 = _energy_j(S, W, theta)
        valid = jnp.ones(S.shape[0], dtype=bool)
        return _recall_core(S, S, E0, valid, W, theta, key, jnp.asarray(0.0, W.dtype), 0,
                            n_sweeps, 0, rule="async", n=n, K=K, stochastic=False,
                            length=n_sweeps)[0]
    return jax.vmap(one)(S, W, keys)


def capacity_curve(N: int, alphas, *, n_trials: int = 4, n_probes: int = 50,
                   noise: float = 0.0, n_sweeps: int = 50, seed: Seed = None) -> CapacityCurve:
    r"""Overlap of the retrieved state against the load :math:`\alpha = P/N` (Hebbian, T = 0).

    For each load, ``n_trials`` independent networks store
    :math:`P = \mathrm{round}(\alpha N)` random patterns with :func:`hebbian`;
    ``n_probes`` probes (pattern :math:`\mu = k \bmod P` for probe ``k``,
    with a fraction ``noise`` of its neurons flipped) are relaxed by
    asynchronous dynamics to a fixed point, and the overlap
    :math:`m = \frac1N \boldsymbol\xi^\mu \cdot \mathbf s` with the probed pattern
    is recorded. The theory for :math:`N \to \infty` is :func:`ags_overlap`.

    All trials and probes of one load run in one jit-compiled, vmapped call;
    the couplings are kept as integers :math:`N W_{ij}` in float32, which is
    exact and twice as fast as float64.

    Parameters
    ----------
    N : int >= 2
        Number of neurons.
    alphas : array_like of float > 0
        Loads.
    n_trials : int >= 1
        Independent networks per load.
    n_probes : int >= 1
        Probes per network.
    noise : float in [0, 1)
        Fraction of flipped neurons in each probe.
    n_sweeps : int >= 1
        Maximum sweeps per recall.
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    CapacityCurve
        ``(alpha, overlap, overlaps)``: the loads used, the mean final overlap as an
        :class:`~physbook.stats.Estimate` over trials, and every final overlap.

    Example
    -------
    >>> cc = capacity_curve(200, [0.05, 0.3], n_trials=2, n_probes=10, seed=0)
    >>> bool(cc.overlap.mean[0] > 0.9 > cc.overlap.mean[1])
    True

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, PRL 55, 1530 (1985).
    """
    N = check_int("N", N, minimum=2)
    a = check_array("alphas", alphas, ndim=1, dtype="float")
    if a.size == 0 or np.any(a <= 0):
        raise ValueError("alphas must be a non-empty 1-d array of positive loads")
    n_trials = check_int("n_trials", n_trials, minimum=1)
    n_probes = check_int("n_probes", n_probes, minimum=1)
    noise = check_probability("noise", noise)
    if noise >= 1:
        raise ValueError(f"noise must be in [0, 1), got {noise!r}")
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=1)
    rng = as_generator(seed)
    K = min(_BLOCK, N)
    n_pad = -(-N // K) * K
    Ps = np.maximum(1, np.rint(a * N).astype(int))
    result = np.zeros((a.size, n_trials, n_probes))
    for j, P in enumerate(Ps):
        xi = random_signs((n_trials, P, N), seed=rng)
        xf = xi.astype(np.float32)
        W = np.zeros((n_trials, n_pad, n_pad), np.float32)
        W[:, :N, :N] = np.einsum("tpi,tpj->tij", xf, xf)
        W[:, np.arange(N), np.arange(N)] = 0.0
        target = xi[:, np.arange(n_probes) % P]                     # (trials, probes, N)
        S = np.ones((n_trials, n_probes, n_pad), np.float32)
        S[:, :, :N] = corrupt(target, noise, seed=rng)
        keys = jax.random.split(as_key(rng), n_trials)
        out = np.asarray(_capacity_kernel(jnp.asarray(S), jnp.asarray(W), keys,
                                          n=N, K=K, n_sweeps=n_sweeps))[..., :N]
        result[j] = np.einsum("tbi,tbi->tb", out, target.astype(np.float32)) / N
    per_trial = result.mean(axis=2)
    err = (per_trial.std(axis=1, ddof=1) / np.sqrt(n_trials) if n_trials > 1
           else np.full(a.size, np.inf))
    return CapacityCurve(alpha=Ps / N, overlap=Estimate(per_trial.mean(axis=1), err), overlaps=result)


# ---------------------------------------------------------------------------
# dense associative memory
# ---------------------------------------------------------------------------

def _interaction(interaction, n):
    interaction = check_choice("interaction", interaction, ("polynomial", "exponential"))
    n = check_int("n", n, minimum=2)
    return interaction, n


def dense_energy(states, patterns, *, interaction: str = "polynomial", n: int = 3) -> np.ndarray:
    r"""Energy of a dense associative memory (modern discrete Hopfield network).

    .. math:: E(\mathbf s) = -\sum_{\mu} F\big(\boldsymbol\xi^\mu \cdot \mathbf s\big),
              \qquad F(x) = x^n \ \ \text{(polynomial)} .

    For ``interaction="exponential"``, :math:`F(x) = e^x` (Demircigil et al.),
    the energy is returned in its logarithmic form
    :math:`E = -\log \sum_\mu e^{\boldsymbol\xi^\mu\cdot\mathbf s}`, a monotone
    function of :math:`-\sum_\mu e^{x_\mu}` (same minima, same dynamics) that
    does not overflow for large N. With ``n=2`` the polynomial energy is the
    Hebbian one: :math:`-\sum_\mu (\boldsymbol\xi^\mu\cdot\mathbf s)^2 = 2N E_\mathrm{Hebb} - NP`.

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
    patterns : array_like of {-1, +1}, shape (P, N)
    interaction : {"polynomial", "exponential"}
    n : int >= 2
        Degree of the polynomial interaction (ignored for "exponential").

    Returns
    -------
    numpy.ndarray of float64, shape (...)

    Example
    -------
    >>> xi = np.array([[1, -1, 1, -1], [1, 1, 1, 1]])
    >>> float(dense_energy(xi[0], xi, n=3))
    -64.0

    References
    ----------
    D. Krotov and J. J. Hopfield, NeurIPS 29, 1172 (2016);
    M. Demircigil et al., J. Stat. Phys. 168, 288 (2017).
    """
    xi = _patterns(patterns)
    interaction, n = _interaction(interaction, n)
    s = _states(states, xi.shape[1])
    x = s.astype(np.float64) @ xi.T.astype(np.float64)
    if interaction == "exponential":
        return -special.logsumexp(x, axis=-1)
    return -np.sum(x ** n, axis=-1)


def _dense_score(xp, xm, mask, interaction, n):
    """sum_mu F(x+) - sum_mu F(x-) (or the difference of log-sums); > 0 favours s_i = +1.

    Padding patterns (mask False) are zero rows: they add nothing to the polynomial
    score and are dropped from the log-sums.
    """
    if interaction == "exponential":
        return (jax.nn.logsumexp(jnp.where(mask, xp, -jnp.inf), axis=-1)
                - jax.nn.logsumexp(jnp.where(mask, xm, -jnp.inf), axis=-1))
    return jnp.sum(xp ** n - xm ** n, axis=-1)


@partial(jax.jit, static_argnames=("rule", "interaction", "n", "n_sweeps"))
def _dense_kernel(S, xi, mask, key, *, rule, interaction, n, n_sweeps):
    N = S.shape[1]

    def async_sweep(S, key):
        order = _order(_sweep_keys(key)[0], N, N)

        def step(carry, i):
            S, X = carry
            col, old = xi[:, i], S[:, i]
            base = X - old[:, None] * col[None, :]
            score = _dense_score(base + col, base - col, mask, interaction, n)
            new = _decide(score, old, None, 0.0, False)
            return (S.at[:, i].set(new), base + new[:, None] * col[None, :]), None

        (S, _), _ = jax.lax.scan(step, (S, S @ xi.T), order)
        return S

    def sync_sweep(S):
        X = S @ xi.T                                              # (B, P)
        base = X[:, :, None] - xi[None, :, :] * S[:, None, :]     # (B, P, N)
        score = _dense_score(jnp.swapaxes(base + xi[None], 1, 2),
                             jnp.swapaxes(base - xi[None], 1, 2), mask, interaction, n)
        return _decide(score, S, None, 0.0, False)

    def body(t, S):
        return async_sweep(S, jax.random.fold_in(key, t)) if rule == "async" else sync_sweep(S)

    return jax.lax.fori_loop(0, n_sweeps, body, S)


def dense_update(states, patterns, *, interaction: str = "polynomial", n: int = 3,
                 rule: str = "async", n_sweeps: int = 1, seed: Seed = None) -> np.ndarray:
    r"""Zero-temperature dynamics of a dense associative memory.

    Neuron :math:`i` takes the value that lowers :func:`dense_energy`,

    .. math:: s_i \leftarrow \mathrm{sign} \sum_\mu \Big[
              F\big(\xi^\mu_i + \textstyle\sum_{j\ne i}\xi^\mu_j s_j\big) -
              F\big(-\xi^\mu_i + \textstyle\sum_{j\ne i}\xi^\mu_j s_j\big)\Big]

    (unchanged on a tie). Higher powers of the overlap make the wells
    steeper and narrower, so many more patterns fit: the capacity grows like
    :math:`N^{n-1}` for :math:`F(x) = x^n` and exponentially in N for
    :math:`F(x) = e^x`. ``n=2`` is the classical Hebbian network.
    ``rule="async"`` visits neurons in a random order shared by the batch.

    Parameters
    ----------
    states : array_like of {-1, +1}, shape (..., N)
    patterns : array_like of {-1, +1}, shape (P, N)
    interaction : {"polynomial", "exponential"}
    n : int >= 2
        Degree of the polynomial interaction.
    rule : {"async", "sync"}
    n_sweeps : int >= 1
    seed : int, numpy Generator or JAX key, optional

    Returns
    -------
    numpy.ndarray of int8, shape (..., N)

    Example
    -------
    >>> xi = corrupt(np.ones((3, 40), dtype=np.int8), 0.5, seed=0)
    >>> out = dense_update(corrupt(xi, 0.1, seed=1), xi, n=3, seed=2)
    >>> bool(np.all(out == xi))
    True

    References
    ----------
    D. Krotov and J. J. Hopfield, NeurIPS 29, 1172 (2016);
    M. Demircigil et al., J. Stat. Phys. 168, 288 (2017).
    """
    xi = _patterns(patterns)
    interaction, n = _interaction(interaction, n)
    N = xi.shape[1]
    s = _states(states, N)
    rule = check_choice("rule", rule, ("async", "sync"))
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=1)
    P = xi.shape[0]
    P_pad = _bucket(P)  # zero patterns pad P to a few sizes: few compilations
    xp = np.zeros((P_pad, N))
    xp[:P] = xi
    mask = np.arange(P_pad) < P
    out = _dense_kernel(jnp.asarray(s.reshape(-1, N), jnp.float64), jnp.asarray(xp),
                        jnp.asarray(mask), as_key(seed), rule=rule, interaction=interaction,
                        n=n, n_sweeps=n_sweeps)
    return np.asarray(out).astype(np.int8).reshape(s.shape)


# ---------------------------------------------------------------------------
# continuous modern Hopfield network
# ---------------------------------------------------------------------------

def _continuous(states, patterns, beta):
    X = check_array("patterns", patterns, ndim=2, dtype="float")
    xi = check_array("states", states, min_ndim=1, dtype="float")
    if xi.shape[-1] != X.shape[1]:
        raise ValueError(f"states must have last dimension {X.shape[1]} (the patterns' width), "
                         f"got shape {xi.shape}")
    return xi, X, check_positive("beta", beta)


def softmax_update(states, patterns, *, beta: float = 1.0) -> np.ndarray:
    r"""One update of the continuous modern Hopfield network.

    .. math:: \boldsymbol\xi^{\mathrm{new}} = X^\top \operatorname{softmax}\big(\beta X \boldsymbol\xi\big)

    with the stored patterns as the rows of :math:`X`. This is one
    single-head attention step with query :math:`\boldsymbol\xi`, keys and
    values :math:`X` and scale :math:`\beta` (:math:`1/\sqrt{d_k}` in a
    transformer). It converges in one step for well separated patterns.

    Parameters
    ----------
    states : array_like of float, shape (..., N)
        State (query) patterns.
    patterns : array_like of float, shape (P, N)
        Stored patterns (keys = values).
    beta : float > 0
        Inverse temperature.

    Returns
    -------
    numpy.ndarray of float64, shape (..., N)

    Example
    -------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> softmax_update([[0.9, 0.1]], X, beta=100.0).round(6)
    array([[1., 0.]])

    References
    ----------
    H. Ramsauer et al., "Hopfield Networks is All You Need", ICLR 2021.
    """
    xi, X, beta = _continuous(states, patterns, beta)
    return special.softmax(beta * xi @ X.T, axis=-1) @ X


def softmax_energy(states, patterns, *, beta: float = 1.0) -> np.ndarray:
    r"""Energy of the continuous modern Hopfield network, decreased by :func:`softmax_update`.

    .. math:: E(\boldsymbol\xi) = -\beta^{-1} \log \sum_\mu e^{\beta\, \mathbf x^\mu\cdot\boldsymbol\xi}
              + \tfrac12 \boldsymbol\xi\cdot\boldsymbol\xi + \beta^{-1}\log P + \tfrac12 M^2,
              \qquad M = \max_\mu \lVert \mathbf x^\mu \rVert .

    Parameters
    ----------
    states : array_like of float, shape (..., N)
    patterns : array_like of float, shape (P, N)
    beta : float > 0

    Returns
    -------
    numpy.ndarray of float64, shape (...)

    Example
    -------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> bool(softmax_energy([0.9, 0.1], X) >= softmax_energy(softmax_update([0.9, 0.1], X), X))
    True

    References
    ----------
    H. Ramsauer et al., "Hopfield Networks is All You Need", ICLR 2021.
    """
    xi, X, beta = _continuous(states, patterns, beta)
    P = X.shape[0]
    M2 = np.max(np.sum(X * X, axis=1))
    return (-special.logsumexp(beta * xi @ X.T, axis=-1) / beta + 0.5 * np.sum(xi * xi, axis=-1)
            + np.log(P) / beta + 0.5 * M2)
