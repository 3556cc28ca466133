r"""The two-dimensional Ising model: lattices, Monte Carlo samplers and exact results.

The model lives on an :math:`L_x \times L_y` square lattice with periodic
boundaries (a torus), spins :math:`s_i \in \{-1, +1\}` stored as ``int8``
with batch dimensions leading, ``spins[..., Lx, Ly]``, and energy

.. math:: E(s) = -J \sum_{\langle ij \rangle} s_i s_j - h \sum_i s_i ,

the first sum running once over every nearest-neighbour bond
(:math:`2N` bonds for :math:`N = L_x L_y` sites). Units: :math:`k_B = 1`;
temperature ``T``, inverse temperature :math:`\beta = 1/T`. Intensive
quantities are per spin.

Samplers. :func:`metropolis` and :func:`heat_bath` update the two
checkerboard sublattices in turn, all chains of the batch at once, inside one
jitted ``jax.lax.fori_loop``. Random numbers come from a counter-based
integer hash of (site, step, seed) instead of JAX's threefry generator, which
would otherwise cost more than the update itself. :func:`wolff` grows
Wolff clusters by repeated dilation over pre-drawn bonds (pure JAX, batched
over chains). :func:`simulate` runs chains, records energy and magnetization
every sweep and returns estimates with error bars.

Exact results. Onsager's energy and specific heat, Yang's spontaneous
magnetization, Kaufman's partition function of the finite torus
(:func:`exact_finite`) and brute-force enumeration for :math:`L \le 4`
(:func:`enumerate_exact`).

References
----------
L. Onsager, Phys. Rev. 65, 117 (1944); B. Kaufman, Phys. Rev. 76, 1232 (1949);
C. N. Yang, Phys. Rev. 85, 808 (1952); N. Metropolis et al., J. Chem. Phys. 21,
1087 (1953); U. Wolff, Phys. Rev. Lett. 62, 361 (1989); K. Binder, Z. Phys. B
43, 119 (1981); M. E. J. Newman and G. T. Barkema, Monte Carlo Methods in
Statistical Physics (1999).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import _ising_exact as _exact
from . import _ising_kernels as _k
from ._hash_rng import seed_words
from ._validate import check_array, check_choice, check_int, check_real, check_shape, check_spins, is_tracer
from .random import Seed, seed_int
from .stats import Estimate, integrated_time, jackknife, mean_error

__all__ = [
    "random_spins",
    "energy",
    "magnetization",
    "metropolis",
    "heat_bath",
    "wolff",
    "simulate",
    "SimulationResult",
    "temperature_scan",
    "critical_temperature",
    "onsager_energy",
    "onsager_specific_heat",
    "yang_magnetization",
    "exact_finite",
    "FiniteLattice",
    "enumerate_exact",
    "Enumeration",
]

ALGORITHMS = ("metropolis", "heat_bath", "wolff")


# ------------------------------------------------------------------ validation

def _lattice(name: str, spins) -> np.ndarray:
    arr = check_spins(name, spins, min_ndim=2)
    lx, ly = arr.shape[-2:]
    if lx % 2 or ly % 2:
        raise ValueError(
            f"{name} must have even lattice sides (checkerboard on a torus), got shape {arr.shape}")
    return arr


def _temperatures(T, batch: tuple[int, ...]) -> np.ndarray:
    """T as a float64 array of the batch shape (one temperature per chain)."""
    arr = check_array("T", T, dtype="float")
    if not is_tracer(arr) and np.any(arr <= 0):
        raise ValueError(f"T must be positive, got {arr.min() if arr.ndim else float(arr)!r}")
    try:
        shape = np.broadcast_shapes(arr.shape, batch)
    except ValueError:
        shape = None
    if shape != batch:
        raise ValueError(
            f"T must be a scalar or broadcastable to the batch shape {batch}, got shape {arr.shape}")
    return jnp.broadcast_to(arr, batch).reshape(-1)


def _keys(seed: Seed) -> tuple[jnp.ndarray, jnp.ndarray]:
    k0, k1 = seed_words(seed_int(seed))
    return jnp.uint32(k0), jnp.uint32(k1)


def _temperature_grid(T) -> tuple[np.ndarray, bool]:
    arr = check_array("T", T, dtype="float")
    if arr.ndim > 1:
        raise ValueError(f"T must be a scalar or a 1-D array, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError(f"T must be positive, got {arr.min() if arr.ndim else float(arr)!r}")
    return np.atleast_1d(arr), arr.ndim == 0


def _out(x: np.ndarray, scalar: bool):
    return float(x[0]) if scalar else x


# ------------------------------------------------------------------ states

def random_spins(shape, *, seed: Seed = None) -> np.ndarray:
    r"""Independent uniformly random spins, :math:`P(s_i = \pm 1) = 1/2` (infinite temperature).

    Parameters
    ----------
    shape : int or tuple of int
        Array shape, usually ``(..., L, L)``.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness (see :mod:`physbook.random`).

    Returns
    -------
    numpy.ndarray of int8
        Entries in {-1, +1}.

    Example
    -------
    >>> s = random_spins((2, 8, 8), seed=0)
    >>> s.shape, s.dtype
    ((2, 8, 8), dtype('int8'))
    """
    from .random import spins
    return spins(shape, seed=seed)


def energy(spins, J: float = 1.0, h: float = 0.0) -> np.ndarray:
    r"""Energy per spin :math:`E/N = -\frac{1}{N}\big(J\sum_{\langle ij\rangle} s_i s_j + h\sum_i s_i\big)`.

    Parameters
    ----------
    spins : array_like, shape (..., Lx, Ly)
        Spins in {-1, +1}; periodic boundaries.
    J, h : float
        Coupling and external field.

    Returns
    -------
    numpy.ndarray or float
        One value per configuration, shape ``spins.shape[:-2]``.

    Example
    -------
    >>> energy(np.ones((4, 4), dtype=np.int8))
    -2.0
    """
    s = check_spins("spins", spins, min_ndim=2).astype(np.int64)
    J, h = check_real("J", J), check_real("h", h)
    bonds = np.sum(s * (np.roll(s, -1, -1) + np.roll(s, -1, -2)), axis=(-2, -1))
    n = s.shape[-1] * s.shape[-2]
    out = -(J * bonds + h * np.sum(s, axis=(-2, -1))) / n
    return float(out) if out.ndim == 0 else out


def magnetization(spins) -> np.ndarray:
    r"""Magnetization per spin :math:`m = \frac{1}{N}\sum_i s_i`.

    Parameters
    ----------
    spins : array_like, shape (..., Lx, Ly)
        Spins in {-1, +1}.

    Returns
    -------
    numpy.ndarray or float
        Shape ``spins.shape[:-2]``.

    Example
    -------
    >>> magnetization(-np.ones((2, 2), dtype=np.int8))
    -1.0
    """
    s = check_spins("spins", spins, min_ndim=2)
    out = s.mean(axis=(-2, -1), dtype=np.float64)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------ local updates

def _local(algorithm: str, spins, T, n_sweeps, J, h, seed, start):
    s = _lattice("spins", spins)
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=0)
    start = check_int("start", start, minimum=0)
    J, h = check_real("J", J), check_real("h", h)
    batch = s.shape[:-2]
    temps = _temperatures(T, batch)
    k0, k1 = _keys(seed)
    flat = jnp.asarray(s.reshape((-1,) + s.shape[-2:]))
    out = _k.run_local(flat, jnp.asarray(1.0 / temps), J, h, k0, k1, start, n_sweeps,
                       algorithm=algorithm, simple=(J > 0 and h == 0))
    return out.reshape(s.shape)


def metropolis(spins, T, n_sweeps: int, *, J: float = 1.0, h: float = 0.0,
               seed: Seed = None, start: int = 0) -> jax.Array:
    r"""Metropolis checkerboard sweeps of a batch of periodic lattices.

    A spin flip :math:`s_i \to -s_i` changes the energy by

    .. math:: \Delta E_i = 2 s_i \Big(J \sum_{j \in \partial i} s_j + h\Big)

    and is accepted with probability :math:`\min(1, e^{-\Delta E_i/T})`. The
    two checkerboard sublattices are updated in turn (one sweep = one attempt
    per site); sites of one colour do not interact, so they update in parallel
    and detailed balance holds for each half sweep.

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (..., Lx, Ly)
        Initial spins, batch dimensions first; Lx and Ly even.
    T : float or array_like
        Temperature, a scalar or one per chain (broadcastable to ``spins.shape[:-2]``).
    n_sweeps : int
        Number of sweeps (>= 0).
    J, h : float
        Coupling and external field.
    seed : int, numpy.random.Generator, JAX key or None
        Seeds the counter-based random numbers; the same seed gives the same run.
    start : int
        Index of the first sweep in the random stream. To continue a run, call again
        with the same seed and ``start`` = the sweeps already done: ``n`` sweeps then
        ``m`` more from ``start=n`` equal ``n + m`` sweeps in one call, bit for bit.

    Returns
    -------
    jax.Array of int8
        Final spins, same shape as ``spins`` (convert with ``np.asarray`` if needed).

    Example
    -------
    >>> s = metropolis(random_spins((4, 16, 16), seed=0), T=[1.5, 2.0, 2.5, 3.0], n_sweeps=100, seed=1)
    >>> s.shape
    (4, 16, 16)

    References
    ----------
    N. Metropolis, A. W. Rosenbluth, M. N. Rosenbluth, A. H. Teller, E. Teller,
    J. Chem. Phys. 21, 1087 (1953).
    """
    return _local("metropolis", spins, T, n_sweeps, J, h, seed, start)


def heat_bath(spins, T, n_sweeps: int, *, J: float = 1.0, h: float = 0.0,
              seed: Seed = None, start: int = 0) -> jax.Array:
    r"""Heat-bath (Glauber) checkerboard sweeps of a batch of periodic lattices.

    Each spin is redrawn from its conditional distribution given its neighbours,

    .. math:: P(s_i = +1 \mid s_{\partial i}) = \frac{1}{1 + e^{-2 f_i / T}}, \qquad
              f_i = J \sum_{j \in \partial i} s_j + h ,

    one checkerboard colour at a time (a Gibbs sampler).

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (..., Lx, Ly)
        Initial spins, batch dimensions first; Lx and Ly even.
    T : float or array_like
        Temperature, a scalar or one per chain (broadcastable to ``spins.shape[:-2]``).
    n_sweeps : int
        Number of sweeps (>= 0).
    J, h : float
        Coupling and external field.
    seed : int, numpy.random.Generator, JAX key or None
        Seeds the counter-based random numbers.
    start : int
        Index of the first update in the random stream; continue a run with the
        same seed and ``start`` = updates already done (as in :func:`metropolis`).

    Returns
    -------
    jax.Array of int8
        Final spins, same shape as ``spins``.

    Example
    -------
    >>> s = heat_bath(np.ones((8, 8), dtype=np.int8), T=5.0, n_sweeps=10, seed=0)
    >>> s.dtype
    dtype('int8')

    References
    ----------
    R. J. Glauber, J. Math. Phys. 4, 294 (1963).
    """
    return _local("heat_bath", spins, T, n_sweeps, J, h, seed, start)


def wolff(spins, T, n_clusters: int, *, J: float = 1.0, seed: Seed = None,
          start: int = 0) -> jax.Array:
    r"""Wolff single-cluster updates of a batch of periodic lattices (h = 0, J > 0).

    A random seed site starts a cluster; every bond to an aligned neighbour
    is added with probability

    .. math:: p_\mathrm{add} = 1 - e^{-2J/T},

    and the whole cluster is flipped (always accepted). Here all bonds are
    drawn at once and the cluster is the connected component of the seed in
    the graph of open bonds, found by repeated dilation in JAX (no per-site
    Python loop); this gives exactly Wolff's distribution, since each bond
    is tested once and independently.

    Parameters
    ----------
    spins : array_like of {-1, +1}, shape (..., Lx, Ly)
        Initial spins, batch dimensions first; Lx and Ly even.
    T : float or array_like
        Temperature, a scalar or one per chain (broadcastable to ``spins.shape[:-2]``).
    n_clusters : int
        Number of cluster flips per chain (>= 0).
    J : float
        Ferromagnetic coupling (> 0).
    seed : int, numpy.random.Generator, JAX key or None
        Seeds the counter-based random numbers.
    start : int
        Index of the first update in the random stream; continue a run with the
        same seed and ``start`` = updates already done (as in :func:`metropolis`).

    Returns
    -------
    jax.Array of int8
        Final spins, same shape as ``spins``.

    Example
    -------
    >>> s = wolff(np.ones((16, 16), dtype=np.int8), T=2.3, n_clusters=20, seed=0)
    >>> s.shape
    (16, 16)

    References
    ----------
    U. Wolff, Phys. Rev. Lett. 62, 361 (1989).
    """
    s = _lattice("spins", spins)
    n_clusters = check_int("n_clusters", n_clusters, minimum=0)
    start = check_int("start", start, minimum=0)
    J = check_real("J", J, low=0.0, low_inclusive=False)
    temps = _temperatures(T, s.shape[:-2])
    k0, k1 = _keys(seed)
    flat = jnp.asarray(s.reshape((-1,) + s.shape[-2:]))
    out = _k.run_wolff(flat, jnp.asarray(1.0 / temps), J, k0, k1, start, n_clusters)
    return out.reshape(s.shape)


# ------------------------------------------------------------------ simulation

class SimulationResult(NamedTuple):
    """Outcome of :func:`simulate` (one temperature) or :func:`temperature_scan` (many).

    Per-spin estimates with error bars, autocorrelation times and the measured series.
    From :func:`temperature_scan` every per-temperature field is an array with the
    temperature axis first: ``T`` (n_T,), each Estimate array-valued (``energy.mean`` and
    ``energy.error`` of shape (n_T,)), ``tau_*`` and ``mean_cluster_size`` (n_T,), the series
    (n_T, n_chains, n_sweeps) and ``spins`` (n_T, n_chains, L, L); ``result.at(i)`` is the
    single-temperature result of ``T[i]``.
    """

    L: int
    T: float
    algorithm: str
    energy: Estimate
    abs_magnetization: Estimate
    magnetization: Estimate
    specific_heat: Estimate
    susceptibility: Estimate
    binder: Estimate
    tau_energy: float
    tau_magnetization: float
    tau_unit: str
    mean_cluster_size: float
    energy_series: np.ndarray
    magnetization_series: np.ndarray
    spins: np.ndarray

    def at(self, i: int) -> "SimulationResult":
        """The single-temperature result ``i`` of a :func:`temperature_scan` result."""
        if np.ndim(self.T) == 0:
            raise TypeError("at() needs a temperature_scan result; this result has one temperature")
        i = check_int("i", i, minimum=-len(self.T), maximum=len(self.T) - 1)
        out = {}
        for name, value in self._asdict().items():
            if isinstance(value, Estimate):
                out[name] = Estimate(float(value.mean[i]), float(value.error[i]))
            elif name in _PER_TEMPERATURE:
                out[name] = float(value[i]) if np.ndim(value) == 1 else value[i]
            else:
                out[name] = value
        return SimulationResult(**out)


_PER_TEMPERATURE = ("T", "tau_energy", "tau_magnetization", "mean_cluster_size",
                    "energy_series", "magnetization_series", "spins")


def _stack(results: list[SimulationResult]) -> SimulationResult:
    """One array-valued result from single-temperature results (temperature axis first)."""
    out = {}
    for name, first in results[0]._asdict().items():
        values = [getattr(r, name) for r in results]
        if isinstance(first, Estimate):
            out[name] = Estimate(np.array([v.mean for v in values]), np.array([v.error for v in values]))
        elif name in _PER_TEMPERATURE:
            out[name] = np.stack([np.asarray(v) for v in values])
        else:
            out[name] = first
    return SimulationResult(**out)


def simulate(L: int, T: float, n_sweeps: int, *, algorithm: str = "metropolis",
             n_chains: int = 4, n_burn: int | None = None, J: float = 1.0, h: float = 0.0,
             init: str = "ordered", seed: Seed = None) -> SimulationResult:
    r"""Run independent chains on the L x L torus and estimate thermodynamics with error bars.

    After ``n_burn`` updates, every chain records :math:`e = E/N` and
    :math:`m = M/N` after each of ``n_sweeps`` updates. Averages
    :math:`\langle\cdot\rangle` run over samples and chains:

    .. math::
        c = \frac{N}{T^2}\big(\langle e^2\rangle - \langle e\rangle^2\big), \quad
        \chi = \frac{N}{T}\big(\langle m^2\rangle - \langle |m|\rangle^2\big), \quad
        U_4 = 1 - \frac{\langle m^4\rangle}{3\langle m^2\rangle^2}.

    (With :math:`h \ne 0` the susceptibility uses :math:`\langle m\rangle`.)
    Error bars: binning per chain for :math:`e`, :math:`|m|`, :math:`m`;
    a 20-block jackknife over time, chains pooled, for :math:`c`, :math:`\chi`,
    :math:`U_4`. Integrated autocorrelation times (Sokal window) of
    :math:`e` and :math:`|m|` pool the chains.

    Parameters
    ----------
    L : int
        Lattice side (even, >= 2).
    T : float
        Temperature (> 0).
    n_sweeps : int
        Measurements per chain (>= 20). For ``"metropolis"`` and ``"heat_bath"``
        one measurement follows each full sweep; for ``"wolff"`` each single
        cluster flip.
    algorithm : {"metropolis", "heat_bath", "wolff"}
        Update rule (``"wolff"`` requires h = 0 and J > 0).
    n_chains : int
        Independent chains run in one batch.
    n_burn : int, optional
        Updates discarded first (default ``max(100, n_sweeps // 10)``), rounded up to
        a multiple of 64 (updates run in compiled chunks of 64).
    J, h : float
        Coupling and field.
    init : {"ordered", "random"}
        Start from all spins along the field (+1 if h >= 0), which avoids
        long-lived stripe states below :math:`T_c`, or from random spins.
    seed : int, numpy.random.Generator, JAX key or None
        Randomness.

    Returns
    -------
    SimulationResult
        ``energy``, ``abs_magnetization``, ``magnetization``, ``specific_heat``,
        ``susceptibility``, ``binder`` (each an :class:`~physbook.stats.Estimate`,
        per spin); ``tau_energy`` and ``tau_magnetization`` (of :math:`|m|`), in
        units of ``tau_unit`` ("sweep", or "cluster" for Wolff: multiply by
        ``mean_cluster_size``, the average cluster size as a fraction of N, to
        convert to sweeps); the series ``energy_series`` and
        ``magnetization_series`` of shape (n_chains, n_sweeps); final ``spins``.

    Example
    -------
    >>> r = simulate(8, 2.5, 500, n_chains=2, seed=0)
    >>> abs(r.energy.mean - exact_finite(8, 2.5).energy) < 5 * r.energy.error
    True

    References
    ----------
    K. Binder, Z. Phys. B 43, 119 (1981); A. D. Sokal, Monte Carlo methods in
    statistical mechanics (1997); M. E. J. Newman and G. T. Barkema (1999).
    """
    L, n_sweeps, algorithm, n_chains, n_burn, J, h, init = _check_run(
        L, n_sweeps, algorithm, n_chains, n_burn, J, h, init)
    T = check_real("T", T, low=0.0, low_inclusive=False)
    temps = np.full(n_chains, T)
    final, e, m, mean_size = _run(L, temps, n_sweeps, algorithm, n_burn, J, h, init, seed)
    unit = "cluster" if algorithm == "wolff" else "sweep"
    return _estimates(L, T, algorithm, e, m, h, unit, float(np.mean(mean_size)), final)


def _check_run(L, n_sweeps, algorithm, n_chains, n_burn, J, h, init):
    L = check_int("L", L, minimum=2)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard on a torus), got {L}")
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=20)
    algorithm = check_choice("algorithm", algorithm, ALGORITHMS)
    n_chains = check_int("n_chains", n_chains, minimum=1)
    n_burn = max(100, n_sweeps // 10) if n_burn is None else check_int("n_burn", n_burn, minimum=0)
    J, h = check_real("J", J), check_real("h", h)
    init = check_choice("init", init, ("ordered", "random"))
    if algorithm == "wolff" and (h != 0.0 or J <= 0.0):
        raise ValueError(f"algorithm 'wolff' needs h == 0 and J > 0, got h={h!r}, J={J!r}")
    return L, n_sweeps, algorithm, n_chains, n_burn, J, h, init


_CHUNK = 64  # sweeps per compiled measurement chunk: one compilation serves every n_sweeps


def _run(L, temps, n_sweeps, algorithm, n_burn, J, h, init, seed):
    """Chains at temperatures ``temps`` (one per chain): final spins, e and m series, cluster sizes."""
    k0, k1 = _keys(seed)
    n = len(temps)
    if init == "ordered":
        spins = jnp.full((n, L, L), 1 if h >= 0 else -1, dtype=jnp.int8)
    else:
        spins = jnp.asarray(random_spins((n, L, L), seed=int(k0) ^ (int(k1) << 32)))
    beta = jnp.asarray(1.0 / np.asarray(temps, dtype=np.float64))
    # Burn-in runs whole chunks too (at least n_burn updates), so one compiled kernel serves all.
    n_skip = -(-n_burn // _CHUNK)
    n_chunks = n_skip + -(-n_sweeps // _CHUNK)
    bonds, mags, sizes = [], [], []
    for i in range(n_chunks):
        if algorithm == "wolff":
            spins, b, m, c = _k.run_wolff_chunk(spins, beta, J, k0, k1, i * _CHUNK, length=_CHUNK)
        else:
            spins, b, m = _k.run_chunk(spins, beta, J, h, k0, k1, i * _CHUNK, algorithm=algorithm,
                                       length=_CHUNK, simple=(J > 0 and h == 0))
            c = None
        if i >= n_skip:
            bonds.append(b), mags.append(m), sizes.append(c)
    if algorithm == "wolff":
        size = np.concatenate(sizes, axis=1)[:, :n_sweeps].mean(axis=1) / L**2
    else:
        size = np.full(n, np.nan)
    mags = np.concatenate(mags, axis=1)[:, :n_sweeps].astype(np.float64)
    bonds = np.concatenate(bonds, axis=1)[:, :n_sweeps].astype(np.float64)
    e = -(J * bonds + h * mags) / L**2
    return np.asarray(spins), e, mags / L**2, size


def temperature_scan(L: int, T, n_sweeps: int, *, algorithm: str = "metropolis",
                     n_chains: int = 4, n_burn: int | None = None, J: float = 1.0,
                     h: float = 0.0, init: str = "ordered",
                     seed: Seed = None) -> SimulationResult:
    r""":func:`simulate` at many temperatures in one batched run (one compilation, one loop).

    The :math:`n_T \times` ``n_chains`` chains run side by side, each at its
    own temperature, which is much faster than calling :func:`simulate` in a
    Python loop. Arguments and estimates are those of :func:`simulate`.

    Parameters
    ----------
    L : int
        Lattice side (even, >= 2).
    T : array_like, 1-D
        Temperatures (> 0).
    n_sweeps : int
        Measurements per chain (>= 20).
    algorithm, n_chains, n_burn, J, h, init, seed
        As in :func:`simulate`.

    Returns
    -------
    SimulationResult
        Array-valued, the temperature axis first, in the order of ``T``
        (``result.energy.mean[i]`` is the energy at ``T[i]``; ``result.at(i)`` the whole
        single-temperature result).

    Example
    -------
    >>> rs = temperature_scan(8, [2.0, 3.0], 200, seed=0)
    >>> rs.T.tolist(), rs.energy.mean.shape
    ([2.0, 3.0], (2,))
    """
    L, n_sweeps, algorithm, n_chains, n_burn, J, h, init = _check_run(
        L, n_sweeps, algorithm, n_chains, n_burn, J, h, init)
    temps, _ = _temperature_grid(T)
    per_chain = np.repeat(temps, n_chains)
    final, e, m, size = _run(L, per_chain, n_sweeps, algorithm, n_burn, J, h, init, seed)
    unit = "cluster" if algorithm == "wolff" else "sweep"
    out = []
    for i, t in enumerate(temps):
        rows = slice(i * n_chains, (i + 1) * n_chains)
        out.append(_estimates(L, float(t), algorithm, e[rows], m[rows], h, unit,
                              float(np.mean(size[rows])), final[rows]))
    return _stack(out)


def _estimates(L, T, algorithm, e, m, h, unit, mean_size, final) -> SimulationResult:
    n, beta = L * L, 1.0 / T
    am = np.abs(m)
    blocks = min(20, e.shape[-1])
    ref = (lambda mm: np.mean(np.abs(mm))) if h == 0 else np.mean
    heat = jackknife(lambda x: beta**2 * n * (np.mean(x**2) - np.mean(x) ** 2), e, n_blocks=blocks)
    chi = jackknife(lambda x: beta * n * (np.mean(x**2) - ref(x) ** 2), m, n_blocks=blocks)
    binder = jackknife(lambda x: 1 - np.mean(x**4) / (3 * np.mean(x**2) ** 2), m, n_blocks=blocks)
    return SimulationResult(
        L=L, T=T, algorithm=algorithm,
        energy=mean_error(e), abs_magnetization=mean_error(am), magnetization=mean_error(m),
        specific_heat=heat, susceptibility=chi, binder=binder,
        tau_energy=float(integrated_time(e, pool_chains=True)),
        tau_magnetization=float(integrated_time(am, pool_chains=True)),
        tau_unit=unit, mean_cluster_size=mean_size,
        energy_series=e, magnetization_series=m, spins=final)


# ------------------------------------------------------------------ exact results

def critical_temperature() -> float:
    r"""Onsager's critical temperature of the square lattice, :math:`T_c = 2J/\ln(1+\sqrt2)`.

    Returns
    -------
    float
        2.269185314213022...

    Example
    -------
    >>> round(critical_temperature(), 6)
    2.269185

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944).
    """
    return float(_exact.TC)


def onsager_energy(T) -> float | np.ndarray:
    r"""Energy per spin of the infinite lattice (Onsager 1944), J = 1, h = 0.

    .. math:: u = -\coth 2K \Big[1 + \frac{2}{\pi}\big(2\tanh^2 2K - 1\big) K_1(\kappa)\Big],
              \quad \kappa = \frac{2\sinh 2K}{\cosh^2 2K}, \quad K = 1/T,

    with :math:`K_1` the complete elliptic integral of the first kind
    (modulus :math:`\kappa`). At :math:`T_c`, :math:`u = -\sqrt2`.

    Parameters
    ----------
    T : float or array_like
        Temperatures (> 0).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``T``.

    Example
    -------
    >>> float(onsager_energy(critical_temperature()))
    -1.4142135623730951

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944).
    """
    temps, scalar = _temperature_grid(T)
    return _out(_exact.onsager_energy(temps), scalar)


def onsager_specific_heat(T) -> float | np.ndarray:
    r"""Specific heat per spin of the infinite lattice (Onsager 1944), J = 1, h = 0.

    .. math:: c = \frac{4}{\pi}(K\coth 2K)^2 \Big\{K_1(\kappa) - E_1(\kappa)
              - (1-\tanh^2 2K)\Big[\frac{\pi}{2} + (2\tanh^2 2K - 1)K_1(\kappa)\Big]\Big\},

    with :math:`E_1` the complete elliptic integral of the second kind; it
    diverges logarithmically at :math:`T_c` (``inf`` there).

    Parameters
    ----------
    T : float or array_like
        Temperatures (> 0).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``T``.

    Example
    -------
    >>> round(float(onsager_specific_heat(2.0)), 4)
    0.7249

    References
    ----------
    L. Onsager, Phys. Rev. 65, 117 (1944).
    """
    temps, scalar = _temperature_grid(T)
    return _out(_exact.onsager_specific_heat(temps), scalar)


def yang_magnetization(T) -> float | np.ndarray:
    r"""Spontaneous magnetization per spin of the infinite lattice (Yang 1952).

    .. math:: m_0 = \big(1 - \sinh^{-4} 2K\big)^{1/8} \;\; (T < T_c), \qquad m_0 = 0 \;\; (T \ge T_c).

    Parameters
    ----------
    T : float or array_like
        Temperatures (> 0).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``T``.

    Example
    -------
    >>> yang_magnetization(3.0)
    0.0

    References
    ----------
    C. N. Yang, Phys. Rev. 85, 808 (1952).
    """
    temps, scalar = _temperature_grid(T)
    return _out(_exact.yang_magnetization(temps), scalar)


class FiniteLattice(NamedTuple):
    """Exact per-spin thermodynamics of the finite torus (:func:`exact_finite`)."""

    energy: np.ndarray | float
    specific_heat: np.ndarray | float
    free_energy: np.ndarray | float


def exact_finite(L: int, T) -> FiniteLattice:
    r"""Exact energy, specific heat and free energy per spin of the L x L torus (J = 1, h = 0).

    Kaufman's partition function,

    .. math:: Z = \tfrac12 (2\sinh 2K)^{N/2} \sum_{i=1}^{4} Z_i, \qquad
              Z_{1,2} = \prod_{r=0}^{L-1} 2\,{\cosh \atop \sinh}\Big(\tfrac{L}{2}\gamma_{2r+1}\Big), \quad
              Z_{3,4} = \prod_{r=0}^{L-1} 2\,{\cosh \atop \sinh}\Big(\tfrac{L}{2}\gamma_{2r}\Big),

    with :math:`\cosh\gamma_k = \cosh 2K \coth 2K - \cos(\pi k/L)` and
    :math:`\gamma_0 = 2K + \ln\tanh K`, evaluated in log space; the energy
    :math:`-\partial_\beta \ln Z / N` and specific heat
    :math:`\beta^2 \partial_\beta^2 \ln Z / N` are analytic derivatives
    (relative accuracy about 1e-12 for L up to a few hundred).

    Parameters
    ----------
    L : int
        Lattice side (>= 2; odd sides are allowed).
    T : float or array_like, 1-D
        Temperatures (> 0).

    Returns
    -------
    FiniteLattice
        ``energy``, ``specific_heat``, ``free_energy`` (:math:`-T\ln Z/N`), each
        a float for scalar ``T`` or an array like ``T``.

    Example
    -------
    >>> ex = exact_finite(16, [2.0, 3.0])
    >>> ex.energy.shape
    (2,)

    References
    ----------
    B. Kaufman, Phys. Rev. 76, 1232 (1949).
    """
    L = check_int("L", L, minimum=2)
    temps, scalar = _temperature_grid(T)
    lnz, e, c = _exact.finite(L, temps)
    return FiniteLattice(_out(e, scalar), _out(np.maximum(c, 0.0), scalar),
                         _out(-temps * lnz, scalar))


class Enumeration(NamedTuple):
    """Exact per-spin averages by enumeration (:func:`enumerate_exact`)."""

    energy: np.ndarray | float
    specific_heat: np.ndarray | float
    free_energy: np.ndarray | float
    magnetization: np.ndarray | float
    abs_magnetization: np.ndarray | float
    susceptibility: np.ndarray | float
    binder: np.ndarray | float


def enumerate_exact(L: int, T, *, J: float = 1.0, h: float = 0.0) -> Enumeration:
    r"""Exact thermal averages on the L x L torus by summing over all :math:`2^{L^2}` states (L <= 4).

    .. math:: \langle A \rangle = \frac{1}{Z}\sum_{s} A(s)\, e^{-E(s)/T}, \qquad Z = \sum_s e^{-E(s)/T},

    grouped by the (bond sum, magnetization) density of states. This is the
    test oracle of the samplers, including :math:`h \ne 0` and observables of
    the magnetization, which :func:`exact_finite` does not give.

    Parameters
    ----------
    L : int
        Lattice side, 2 <= L <= 4.
    T : float or array_like, 1-D
        Temperatures (> 0).
    J, h : float
        Coupling and field.

    Returns
    -------
    Enumeration
        ``energy``, ``specific_heat``, ``free_energy``, ``magnetization``,
        ``abs_magnetization``, ``susceptibility`` (with the same convention as
        :func:`simulate`) and ``binder``, per spin.

    Example
    -------
    >>> ex = enumerate_exact(4, 2.0)
    >>> round(ex.energy, 6) == round(exact_finite(4, 2.0).energy, 6)
    True

    References
    ----------
    M. E. J. Newman and G. T. Barkema, Monte Carlo Methods in Statistical Physics (1999).
    """
    L = check_int("L", L, minimum=2, maximum=4)
    temps, scalar = _temperature_grid(T)
    J, h = check_real("J", J), check_real("h", h)
    out = _exact.enumerate_moments(L, temps, J, h)
    return Enumeration(**{k: _out(v, scalar) for k, v in out.items()})
