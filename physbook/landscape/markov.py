r"""Coarse-graining continuous-time Markov chains: generators, relaxation rates, effective rates, first passages."""
from __future__ import annotations


import jax
import numpy as np

from .._validate import check_array, check_int, check_positive
from ..random import Seed, as_generator

__all__ = [
    "generator",
    "relaxation_rates",
    "effective_rate",
    "first_passage_times",
]

# ----------------------------------------------------------------------------
# coarse-graining Markov chains
# ----------------------------------------------------------------------------
def generator(rates) -> np.ndarray:
    r"""The generator of a continuous-time Markov chain from its jump rates.

    .. math::

        Q_{ij} = k_{i\to j} \;(i \ne j), \qquad Q_{ii} = -\sum_{j\ne i} k_{i\to j},
        \qquad \frac{dp}{dt} = p\,Q,

    with probabilities :math:`p` as row vectors. The eigenvalues of :math:`Q`
    are :math:`0` (conservation) and :math:`-\gamma_k`, the relaxation rates.

    Parameters
    ----------
    rates : array_like, shape (..., n, n)
        ``rates[i, j]`` is the rate :math:`k_{i\to j} \ge 0`; the diagonal is ignored.

    Returns
    -------
    numpy.ndarray, shape (..., n, n)

    Example
    -------
    >>> generator([[0.0, 2.0], [1.0, 0.0]]).tolist()
    [[-2.0, 2.0], [1.0, -1.0]]

    References
    ----------
    N. G. van Kampen, Stochastic Processes in Physics and Chemistry, 3rd ed. (2007), ch. V.
    """
    k = check_array("rates", rates, min_ndim=2, dtype="float")
    if k.shape[-1] != k.shape[-2]:
        raise ValueError(f"rates must be square, got shape {k.shape}")
    eye = np.eye(k.shape[-1], dtype=bool)
    off = np.where(eye, 0.0, k)
    if np.any(off < 0):
        raise ValueError("rates must be non-negative off the diagonal")
    return off - np.eye(k.shape[-1]) * off.sum(axis=-1, keepdims=True)


def relaxation_rates(Q) -> np.ndarray:
    r"""Relaxation rates :math:`\gamma_k = -\mathrm{Re}\,\lambda_k(Q)`, ascending.

    The smallest is 0 (the stationary state, or absorption); the next,
    :math:`\gamma_1`, is the slowest relaxation: the rate an observer sees
    after the fast modes :math:`e^{-\gamma_k t}`, :math:`k \ge 2`, have died out.

    Parameters
    ----------
    Q : array_like, shape (..., n, n)
        A generator (see :func:`generator`).

    Returns
    -------
    numpy.ndarray, shape (..., n)

    Example
    -------
    >>> relaxation_rates(generator([[0.0, 2.0], [1.0, 0.0]])).round(12).tolist()
    [0.0, 3.0]

    References
    ----------
    N. G. van Kampen, Stochastic Processes in Physics and Chemistry, 3rd ed. (2007), ch. V.
    """
    Q = check_array("Q", Q, min_ndim=2, dtype="float")
    if Q.shape[-1] != Q.shape[-2]:
        raise ValueError(f"Q must be square, got shape {Q.shape}")
    if not np.allclose(Q.sum(axis=-1), 0.0, atol=1e-10 * max(1.0, np.abs(Q).max())):
        raise ValueError("Q must be a generator: every row must sum to zero")
    return np.sort(-np.linalg.eigvals(Q).real, axis=-1) + 0.0  # + 0.0 turns -0.0 into 0.0


def effective_rate(k_ab: float, k_ba: float, k_bc: float) -> float:
    r"""Coarse-grained rate of :math:`A \rightleftharpoons B \to C` when A and B equilibrate fast.

    If :math:`k_{AB}, k_{BA} \gg k_{BC}`, the pair :math:`\{A, B\}` behaves as
    one state in local equilibrium, :math:`p_B/(p_A + p_B) = k_{AB}/(k_{AB} + k_{BA})`,
    which leaks to C at

    .. math:: k_\mathrm{eff} = k_{BC}\,\frac{k_{AB}}{k_{AB} + k_{BA}}.

    It approximates the slowest relaxation rate of the full chain with a
    relative error of order :math:`k_{BC}/(k_{AB} + k_{BA})`.

    Parameters
    ----------
    k_ab, k_ba, k_bc : float
        Rates :math:`A \to B`, :math:`B \to A`, :math:`B \to C` (positive).

    Returns
    -------
    float

    Example
    -------
    >>> effective_rate(10.0, 30.0, 0.1)
    0.025

    References
    ----------
    N. G. van Kampen, Stochastic Processes in Physics and Chemistry, 3rd ed. (2007), ch. XIII.
    """
    k_ab = check_positive("k_ab", k_ab)
    k_ba = check_positive("k_ba", k_ba)
    k_bc = check_positive("k_bc", k_bc)
    return k_bc * k_ab / (k_ab + k_ba)


def first_passage_times(Q, start: int, target: int, *, n_walkers: int, seed: Seed = None,
                        max_jumps: int = 1_000_000) -> np.ndarray:
    r"""Times for independent walkers of a Markov chain to first reach ``target`` (Gillespie).

    Every walker waits an exponential time of rate :math:`-Q_{ii}` in state
    :math:`i`, then jumps to :math:`j` with probability :math:`Q_{ij}/(-Q_{ii})`
    (Gillespie 1977). All walkers move together, one jump per array step.
    The survival probability :math:`P(\tau > t)` decays at long times as
    :math:`e^{-\gamma_1 t}`, with :math:`\gamma_1` the slowest rate of the
    chain with ``target`` made absorbing.

    Parameters
    ----------
    Q : array_like, shape (n, n)
        Generator.
    start, target : int
        Initial and target state.
    n_walkers : int
        Number of independent walkers.
    seed : int, numpy Generator or JAX key
        Randomness.
    max_jumps : int
        Safety limit on the number of jumps per walker.

    Returns
    -------
    numpy.ndarray, shape (n_walkers,)

    Example
    -------
    >>> tau = first_passage_times(generator([[0, 2.0], [1.0, 0]]), 0, 1, n_walkers=20000, seed=0)
    >>> bool(abs(tau.mean() - 0.5) < 0.02)
    True

    References
    ----------
    D. T. Gillespie, J. Phys. Chem. 81, 2340 (1977).
    """
    Q = check_array("Q", Q, ndim=2, dtype="float")
    n = Q.shape[0]
    if Q.shape != (n, n) or not np.allclose(Q.sum(axis=1), 0.0, atol=1e-10 * max(1.0, np.abs(Q).max())):
        raise ValueError("Q must be a square generator whose rows sum to zero")
    start = check_int("start", start, minimum=0, maximum=n - 1)
    target = check_int("target", target, minimum=0, maximum=n - 1)
    n_walkers = check_int("n_walkers", n_walkers, minimum=1)
    max_jumps = check_int("max_jumps", max_jumps, minimum=1)
    rng = as_generator(seed)
    out = -np.diag(Q)
    jump = np.where(np.eye(n, dtype=bool), 0.0, Q)
    cum = np.cumsum(jump / np.where(out > 0, out, 1.0)[:, None], axis=1)
    state = np.full(n_walkers, start)
    time = np.zeros(n_walkers)
    active = state != target
    for _ in range(max_jumps):
        if not active.any():
            return time
        idx = np.flatnonzero(active)
        s = state[idx]
        if np.any(out[s] <= 0):
            raise ValueError("a walker reached an absorbing state other than target; "
                             "the first-passage time is infinite")
        time[idx] += rng.exponential(1.0 / out[s])
        u = rng.random(idx.size)[:, None]
        state[idx] = np.minimum((u > cum[s]).sum(axis=1), n - 1)
        active[idx] = state[idx] != target
    raise ValueError(f"walkers did not reach target within max_jumps={max_jumps}; raise it")
