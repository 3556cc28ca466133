r"""Lattice :math:`\phi^4` theory in 2-D: action, HMC, a normalizing-flow sampler, observables.

.. rubric:: Conventions

A real scalar field :math:`\phi(x)` lives on the sites of a periodic
:math:`L\times L` lattice (lattice spacing 1, volume :math:`V=L^2`). The action
is the one of Albergo, Kanwar and Shanahan (2019) and of the tutorial by
Albergo et al. (2021), written there as :math:`\sum_x \{\phi(x)\sum_\mu[2\phi(x)
-\phi(x+\hat\mu)-\phi(x-\hat\mu)] + m^2\phi^2 + \lambda\phi^4\}`, which is the same as

.. math::

    S[\phi] = \sum_x \Big[\sum_{\mu=1}^{2}\big(\phi(x+\hat\mu)-\phi(x)\big)^2
              + m^2\,\phi(x)^2 + \lambda\,\phi(x)^4\Big]
            = \sum_x \Big[-2\sum_{\mu}\phi(x)\phi(x+\hat\mu)
              + (4+m^2)\,\phi(x)^2 + \lambda\,\phi(x)^4\Big],

with Boltzmann weight :math:`e^{-S}`. There is no factor :math:`\tfrac12` in
front of the kinetic or mass term, so the on-site quadratic coefficient is
:math:`4+m^2`: at ``m2 = -4`` the on-site potential is a pure quartic
:math:`\lambda\phi^4` and only the hopping term :math:`-2\phi(x)\phi(x+\hat\mu)`
can order the field. At ``m2 = -4``, ``lam = 8`` on ``L = 8`` (the tutorial's
point) the theory is on the **symmetric** side of the transition, with a
correlation length of about one lattice spacing (smaller ``lam`` at
``m2 = -4`` moves it toward the broken phase, which at ``L = 8`` sets in
near ``lam`` :math:`\approx 4`). As :math:`\lambda\to\infty` at fixed
:math:`(4+m^2)/\lambda = -2` the field is pinned to :math:`\phi=\pm1` and the
model becomes the Ising model at :math:`\beta J = 2`.

Fields are arrays ``phi[..., L, L]``; leading axes are batches (chains,
samples). Observables follow the tutorial: :math:`G_c(x)`, :math:`\chi_2`,
the Ising energy :math:`E = \tfrac1d\sum_\mu G_c(\hat\mu)` and :math:`|M|/V`.

References
----------
M. S. Albergo, G. Kanwar and P. E. Shanahan, Phys. Rev. D 100, 034515 (2019),
arXiv:1904.12072; M. S. Albergo et al., arXiv:2101.08176 (2021);
L. Dinh, J. Sohl-Dickstein and S. Bengio, ICLR (2017) (real NVP);
S. Duane et al., Phys. Lett. B 195, 216 (1987) (HMC).
"""
from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import stats
from ._nn import conv2d_periodic
from ._results import TrainResult, pytree_dataclass
from ._validate import check_array, check_int, check_positive, check_real, is_tracer
from .random import Seed, as_generator

__all__ = [
    "action",
    "free_propagator",
    "HMCResult",
    "hmc",
    "FlowParams",
    "init_flow",
    "flow_sample",
    "flow_forward",
    "coupling",
    "FlowHistory",
    "train_flow",
    "FlowMCMCResult",
    "flow_mcmc",
    "ess",
    "magnetization",
    "tunnelling_time",
    "two_point",
    "Observables",
    "measure",
]


# --------------------------------------------------------------------------- action

def _action(phi, m2, lam):
    """S[phi] summed over the last two axes (pure jnp; no checks)."""
    kinetic = sum((jnp.roll(phi, -1, axis=a) - phi) ** 2 for a in (-1, -2))
    phi2 = phi * phi
    return jnp.sum(kinetic + m2 * phi2 + lam * phi2 * phi2, axis=(-2, -1))


def _force(phi, m2, lam):
    r"""dS/dphi: :math:`2\sum_\mu(2\phi-\phi_{x+\mu}-\phi_{x-\mu}) + 2m^2\phi + 4\lambda\phi^3`."""
    nn = sum(jnp.roll(phi, s, axis=a) for a in (-1, -2) for s in (1, -1))
    return 2.0 * (4.0 * phi - nn) + 2.0 * m2 * phi + 4.0 * lam * phi ** 3


def _check_field(name, phi):
    arr = check_array(name, phi, min_ndim=2, dtype=None)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    if arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must have shape (..., L, L), got {arr.shape}")
    return arr


def _check_couplings(m2, lam):
    return check_real("m2", m2), check_positive("lam", lam, allow_zero=True)


def action(phi, m2: float, lam: float) -> jax.Array:
    r"""Lattice :math:`\phi^4` action of the tutorial, batched over leading axes.

    .. math::

        S[\phi] = \sum_x \Big[\sum_{\mu=1}^{2}\big(\phi(x+\hat\mu)-\phi(x)\big)^2
                  + m^2\phi(x)^2 + \lambda\phi(x)^4\Big]

    on the periodic :math:`L\times L` lattice (no factor 1/2 anywhere).

    Parameters
    ----------
    phi : array_like, shape (..., L, L)
        Field configurations.
    m2 : float
        Bare mass squared :math:`m^2` (may be negative).
    lam : float
        Quartic coupling :math:`\lambda \ge 0`.

    Returns
    -------
    jax.Array, shape (...)
        One action per configuration (float64 for float64 or integer input).

    Example
    -------
    >>> phi = np.ones((2, 4, 4))
    >>> np.asarray(action(phi, m2=-4.0, lam=8.0)).tolist()
    [64.0, 64.0]

    References
    ----------
    M. S. Albergo et al., arXiv:2101.08176 (2021), eq. (12).
    """
    arr = _check_field("phi", phi)
    m2, lam = _check_couplings(m2, lam)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return _action(jnp.asarray(arr), m2, lam)


def free_propagator(L: int, m2: float) -> np.ndarray:
    r"""Exact two-point function :math:`G(x)=\langle\phi(0)\phi(x)\rangle` at :math:`\lambda=0`.

    At :math:`\lambda=0` the weight :math:`e^{-S}` is Gaussian with
    :math:`S=\phi^{T}K\phi`, :math:`K=-\Delta+m^2`, so the covariance is
    :math:`(2K)^{-1}`; on the torus it is diagonal in momentum space:

    .. math::

        G(x) = \frac{1}{V}\sum_{k} \frac{e^{ik\cdot x}}{2\,(\hat k^2 + m^2)},\qquad
        \hat k^2 = \sum_\mu 4\sin^2\frac{k_\mu}{2},\quad k_\mu\in\frac{2\pi}{L}\{0,\dots,L-1\},

    evaluated with an FFT.

    Parameters
    ----------
    L : int
        Linear lattice size (>= 2).
    m2 : float
        Mass squared; must be > 0 (the zero mode is unbounded otherwise).

    Returns
    -------
    numpy.ndarray, shape (L, L)
        :math:`G(x_1, x_2)`; ``G[0, 0]`` is :math:`\langle\phi^2\rangle`.

    Example
    -------
    >>> G = free_propagator(8, 1.0)
    >>> bool(G[0, 0] > G[0, 1] > G[0, 4] > 0)
    True

    References
    ----------
    I. Montvay and G. Muenster, Quantum Fields on a Lattice (1994), ch. 2.
    """
    L = check_int("L", L, minimum=2)
    m2 = check_positive("m2", m2)
    k = 2.0 * np.pi * np.arange(L) / L
    khat2 = 4.0 * np.sin(k / 2) ** 2
    spectrum = 1.0 / (2.0 * (khat2[:, None] + khat2[None, :] + m2))
    return np.real(np.fft.ifft2(spectrum))


# --------------------------------------------------------------------------- HMC

class HMCResult(NamedTuple):
    """Output of :func:`hmc`."""

    #: One configuration per trajectory after burn-in. (numpy.ndarray, shape
    #: ``couplings + (n_chains, n_samples, L, L)``; ``couplings`` is the broadcast shape of ``m2``
    #: and ``lam``, empty for scalar couplings)
    samples: np.ndarray
    #: Fraction of accepted trajectories (after burn-in). (float, or numpy.ndarray of the
    #: couplings' shape)
    acceptance: float | np.ndarray
    #: :math:`S` of each recorded configuration. (numpy.ndarray, shape
    #: ``couplings + (n_chains, n_samples)``)
    action: np.ndarray


#: Trajectories per compiled HMC call: runs of any length reuse one compilation per lattice shape.
_HMC_CHUNK = 256


@partial(jax.jit, static_argnames=("n_leapfrog",))
def _hmc_chunk(phi0, noise, m2, lam, step_size, *, n_leapfrog):
    """Run ``len(noise)`` HMC trajectories from ``phi0`` (couplings, chains, L, L).

    ``noise[t]`` (couplings, chains, V + 2) holds the V normal momenta of trajectory t and two
    uniforms (acceptance test, step-size jitter): the randomness is drawn by numpy outside, so the
    compiled program holds no random-number generator (each one costs seconds of XLA
    compilation) and does not depend on the run length.
    """
    shape = phi0.shape

    def trajectory(phi, g):
        p = g[..., :-2].reshape(shape)
        u_acc, u_eps = g[..., -2], g[..., -1]
        # jitter the step size per chain and trajectory (+-20%): fixed-length trajectories
        # can resonate with the harmonic modes of the field and stop mixing them
        eps = step_size * (0.8 + 0.4 * u_eps)[..., None, None]
        h0 = 0.5 * jnp.sum(p * p, axis=(-2, -1)) + _action(phi, m2, lam)
        p1 = p - 0.5 * eps * _force(phi, m2, lam)

        def leap(_, state):
            x, q = state
            x = x + eps * q
            return x, q - eps * _force(x, m2, lam)

        x, p1 = jax.lax.fori_loop(0, n_leapfrog - 1, leap, (phi, p1))
        x = x + eps * p1
        s1 = _action(x, m2, lam)
        p1 = p1 - 0.5 * eps * _force(x, m2, lam)
        h1 = 0.5 * jnp.sum(p1 * p1, axis=(-2, -1)) + s1
        accept = jnp.log(u_acc) < h0 - h1
        new = jnp.where(accept[..., None, None], x, phi)
        return new, (new, _action(new, m2, lam), accept)

    return jax.lax.scan(trajectory, phi0, noise)


def _hmc_run(rng, phi0, m2, lam, step_size, *, n_steps, n_burn, n_leapfrog):
    """Burn-in plus ``n_steps`` recorded trajectories in chunks of :data:`_HMC_CHUNK` (numpy out)."""
    shape = phi0.shape
    total = n_steps + n_burn
    chunk = min(_HMC_CHUNK, total)
    phi = jnp.asarray(phi0)
    samples, actions, accepts = [], [], []
    for start in range(0, total, chunk):          # a few calls of `chunk` vectorized trajectories
        noise = rng.standard_normal((chunk,) + shape[:-2] + (shape[-1] * shape[-2] + 2,))
        noise[..., -2:] = rng.random(noise.shape[:-1] + (2,))
        phi, (x, s, acc) = _hmc_chunk(phi, noise, m2, lam, step_size, n_leapfrog=n_leapfrog)
        keep = slice(max(n_burn - start, 0), min(chunk, total - start))   # drop burn-in, padding
        samples.append(np.asarray(x[keep]))
        actions.append(np.asarray(s[keep]))
        accepts.append(np.asarray(acc[keep]))
    samples, actions, accepts = (np.concatenate(a) for a in (samples, actions, accepts))
    # scan axis (steps) first -> (couplings, chains, steps, ...)
    return np.moveaxis(samples, 0, 2), accepts.mean(axis=(0, 2)), np.moveaxis(actions, 0, 2)


def hmc(L: int, m2, lam, n_samples: int, *, step_size: float = 0.1,
        n_leapfrog: int = 10, n_chains: int = 4, n_burn: int = 200,
        seed: Seed = None, phi0=None) -> HMCResult:
    r"""Hybrid (Hamiltonian) Monte Carlo for the :math:`\phi^4` action, many chains at once.

    Each trajectory draws momenta :math:`\pi(x)\sim\mathcal N(0,1)`, integrates
    Hamilton's equations for :math:`H=\tfrac12\sum_x\pi^2+S[\phi]` with
    ``n_leapfrog`` leapfrog steps of size ``step_size``
    (:math:`\dot\phi=\pi`, :math:`\dot\pi=-\partial S/\partial\phi` with
    :math:`\partial S/\partial\phi(x)=2\sum_\mu[2\phi(x)-\phi(x+\hat\mu)-\phi(x-\hat\mu)]
    +2m^2\phi(x)+4\lambda\phi(x)^3`), and accepts with probability
    :math:`\min(1, e^{-\Delta H})`, which makes the chain exact for
    :math:`e^{-S}`. Trajectories run in jitted ``lax.scan`` chunks of 256, vectorized
    over chains and over couplings: arrays of ``m2`` and ``lam`` (broadcast together) run a
    whole scan of the phase diagram in one call. The random numbers (momenta, and the
    uniforms of the acceptance test and the step-size jitter) come from a numpy Generator, so one compilation per lattice shape serves runs of any length.

    Parameters
    ----------
    L : int
        Linear lattice size.
    m2, lam : float or array_like
        Couplings of :func:`action`; arrays broadcast to a shape ``couplings`` that leads
        every output.
    n_samples : int
        Trajectories recorded per chain (after ``n_burn`` discarded ones).
    step_size : float
        Leapfrog step :math:`\epsilon`.
    n_leapfrog : int
        Leapfrog steps per trajectory (trajectory length :math:`\epsilon\,n`).
    n_chains : int
        Independent chains run in parallel.
    n_burn : int
        Thermalisation trajectories discarded per chain.
    seed : int, numpy Generator or JAX key
        Randomness (turned into a numpy Generator).
    phi0 : array_like, shape (L, L), (n_chains, L, L) or ``couplings + (n_chains, L, L)``, optional
        Starting configurations. Default: a hot start, :math:`0.1\,\mathcal N(0,1)`
        on every site. In the broken phase an ordered start (half the chains
        at :math:`+v`, half at :math:`-v`) avoids long-lived domain walls.

    Returns
    -------
    HMCResult
        ``samples`` of shape ``couplings + (n_chains, n_samples, L, L)``, ``acceptance``, ``action``.

    Example
    -------
    >>> res = hmc(4, 1.0, 0.0, 100, n_chains=2, seed=0)
    >>> res.samples.shape, 0.5 < res.acceptance <= 1.0
    ((2, 100, 4, 4), True)
    >>> hmc(4, [1.0, 2.0, 3.0], 0.5, 10, n_chains=2, seed=0).samples.shape
    (3, 2, 10, 4, 4)

    References
    ----------
    S. Duane, A. D. Kennedy, B. J. Pendleton and D. Roweth, Phys. Lett. B 195,
    216 (1987); R. M. Neal, "MCMC using Hamiltonian dynamics" (2011);
    P. B. Mackenzie, Phys. Lett. B 226, 369 (1989) (step-size jitter).
    """
    L = check_int("L", L, minimum=2)
    m2_arr = check_array("m2", m2, dtype="float")
    lam_arr = check_array("lam", lam, dtype="float")
    if np.any(lam_arr < 0):
        raise ValueError(f"lam must be non-negative, got {lam!r}")
    try:
        cshape = np.broadcast_shapes(m2_arr.shape, lam_arr.shape)
    except ValueError:
        raise ValueError(f"m2 and lam must broadcast together, got shapes {m2_arr.shape} and "
                         f"{lam_arr.shape}") from None
    n_c = int(np.prod(cshape))
    n_samples = check_int("n_samples", n_samples, minimum=1)
    step_size = check_positive("step_size", step_size)
    n_leapfrog = check_int("n_leapfrog", n_leapfrog, minimum=1)
    n_chains = check_int("n_chains", n_chains, minimum=1)
    n_burn = check_int("n_burn", n_burn, minimum=0)
    shape = (n_c, n_chains, L, L)
    rng = as_generator(seed)
    if phi0 is None:
        start = 0.1 * rng.standard_normal(shape)
    else:
        start = _check_field("phi0", phi0).astype(np.float64)
        if start.shape not in ((L, L), (n_chains, L, L), cshape + (n_chains, L, L)):
            raise ValueError(f"phi0 must have shape ({L}, {L}), {(n_chains, L, L)} or "
                             f"{cshape + (n_chains, L, L)}, got {start.shape}")
        start = np.broadcast_to(start.reshape((n_c, n_chains, L, L)) if start.ndim == len(cshape) + 3
                                else start, shape)
    couplings = [jnp.asarray(np.broadcast_to(a, cshape).reshape(n_c, 1, 1, 1)) for a in (m2_arr, lam_arr)]
    samples, acc, s = _hmc_run(rng, start, *couplings, step_size, n_steps=n_samples,
                               n_burn=n_burn, n_leapfrog=n_leapfrog)
    samples = np.asarray(samples).reshape(cshape + (n_chains, n_samples, L, L))
    s = np.asarray(s).reshape(cshape + (n_chains, n_samples))
    acc = np.asarray(acc).reshape(cshape)
    return HMCResult(samples, float(acc) if acc.ndim == 0 else acc, s)


# --------------------------------------------------------------------------- the flow

@pytree_dataclass(meta_fields=("L", "z2"))
class FlowParams:
    r"""Weights of a real-NVP flow for an ``L x L`` lattice (a JAX pytree).

    ``weights`` is a list of ``(kernel, bias)`` pairs, one per convolution of
    the scale/shift network, each stacked over coupling layers along axis 0:
    kernels have shape (n_layers, c_out, k, k, c_in). ``scalars`` holds
    :math:`(\log\delta, \log a)` of the site-wise sinh-arcsinh layer and
    :math:`\log b` of the zero-mode layer, and for a :math:`Z_2`-equivariant flow also
    :math:`(\pm c, \log\kappa)` of its odd nonlinearity. ``L`` and ``z2`` (whether the flow
    is equivariant under :math:`\phi\to-\phi`) are static (pytree auxiliary data), so
    optimisers only see the weights.
    """

    weights: list
    scalars: Any
    L: int
    z2: bool = False

    def at_size(self, L: int) -> "FlowParams":
        """The same (translation-equivariant) flow acting on an ``L x L`` lattice, ``L`` even."""
        L = check_int("L", L, minimum=2)
        if L % 2:
            raise ValueError(f"L must be even for the checkerboard coupling, got {L}")
        return FlowParams(self.weights, self.scalars, L, self.z2)

    @property
    def n_layers(self) -> int:
        return int(self.weights[0][0].shape[0])

    def __repr__(self) -> str:
        widths = [w.shape[1] for w, _ in self.weights[:-1]]
        return (f"FlowParams(L={self.L}, n_layers={self.n_layers}, widths={tuple(widths)}, "
                f"kernel_size={self.weights[0][0].shape[2]}, z2={self.z2})")


def _checkerboard(L, dtype=jnp.float32):
    i = jnp.arange(L)
    return ((i[:, None] + i[None, :]) % 2).astype(dtype)


def _net(weights, x):
    """Scale/shift CNN: leaky-ReLU hidden layers, tanh output with 2 channels (s, t)."""
    h = x[None]
    for kernel, bias in weights[:-1]:
        h = jax.nn.leaky_relu(conv2d_periodic(h, kernel, bias), 0.01)
    out = jnp.tanh(conv2d_periodic(h, *weights[-1]))
    return out[0], out[1]


def _z2_net(weights, x):
    r"""The net made :math:`Z_2`-covariant: :math:`s` even, :math:`t` odd in the frozen field.

    :math:`s(x)=\tfrac12[n_s(x)+n_s(-x)]`, :math:`t(x)=\tfrac12[n_t(x)-n_t(-x)]`, so the
    coupling maps :math:`-x` to exactly :math:`-y` with the same :math:`\log|\det J|`.
    """
    s, t = _net(weights, jnp.concatenate([x, -x], axis=0))
    B = x.shape[0]
    return 0.5 * (s[:B] + s[B:]), 0.5 * (t[:B] - t[B:])


def _coupling(weights, x, mask, z2=False):
    r"""One affine coupling: frozen sites (mask 1) pass, the others get :math:`x e^{s}+t`.

    Returns the new field and :math:`\log|\det J|=\sum_{\text{active}} s`.
    """
    frozen = mask * x
    s, t = (_z2_net if z2 else _net)(weights, frozen)
    active = 1.0 - mask
    y = frozen + active * (x * jnp.exp(s) + t)
    return y, jnp.sum(active * s, axis=(-2, -1))


def _site_layer(scalars, z):
    r"""Site-wise sinh-arcsinh map :math:`y = a\sinh(\delta\,\mathrm{arcsinh}\,z)` and its log-det.

    With :math:`\delta<1` it turns Gaussian tails :math:`e^{-z^2/2}` into the
    lighter tails :math:`e^{-c\,y^{2/\delta}}` of the quartic on-site potential
    (:math:`\delta=\tfrac12`); :math:`\delta=a=1` is the identity.
    """
    log_delta, log_a = scalars[0], scalars[1]
    delta = jnp.exp(log_delta)
    u = jnp.arcsinh(z)
    y = jnp.exp(log_a) * jnp.sinh(delta * u)
    ld = log_a + log_delta + jnp.log(jnp.cosh(delta * u)) - 0.5 * jnp.log1p(z * z)
    return y, jnp.sum(ld, axis=(-2, -1))


def _flow_forward(params: FlowParams, z):
    """Push prior draws z (B, L, L) through all layers; returns (phi, sum log|det J|)."""
    z, logdet0 = _site_layer(params.scalars, z)
    if params.z2:
        # split the magnetisation into the two vacua first, so the couplings shape the
        # fluctuations around each vacuum
        z, logdet0 = _vacuum_layer(params.scalars, z, logdet0)
    cb = _checkerboard(params.L, z.dtype)
    parity = jnp.arange(params.n_layers) % 2

    def layer(carry, xs):
        x, logdet = carry
        weights, par = xs
        mask = jnp.where(par == 0, cb, 1.0 - cb)
        y, ld = _coupling(weights, x, mask, params.z2)
        return (y, logdet + ld), None

    (phi, logdet), _ = jax.lax.scan(layer, (z, logdet0), (params.weights, parity))
    return _zero_mode_layer(params.scalars, phi, logdet)


def _zero_mode_layer(scalars, phi, logdet):
    r"""Rescale the uniform (zero-momentum) component: :math:`\phi\to\phi+(b-1)\bar\phi`.

    A linear map with eigenvalue :math:`b` on the constant mode and 1 on the
    others, so :math:`\log|\det J|=\log b`. Local couplings struggle with
    this most collective mode, the magnetisation.
    """
    mean = jnp.mean(phi, axis=(-2, -1), keepdims=True)
    return phi + (jnp.exp(scalars[2]) - 1.0) * mean, logdet + scalars[2]


def _vacuum_layer(scalars, phi, logdet):
    r"""Odd map of the uniform component that splits it into two vacua (:math:`Z_2` flows).

    :math:`\bar\phi\to\bar\phi+c\tanh(\kappa\bar\phi)`, i.e.
    :math:`\phi\to\phi+c\tanh(\kappa\bar\phi)`: only the constant mode changes, with
    derivative :math:`g'=1+c\kappa\,\mathrm{sech}^2(\kappa\bar\phi)>0`, so
    :math:`\log|\det J|=\log g'`. A Gaussian :math:`\bar\phi` of width
    :math:`\ll 1/\kappa` becomes two peaks at :math:`\pm c`.
    """
    mean = jnp.mean(phi, axis=(-2, -1), keepdims=True)
    c, kappa = jnp.abs(scalars[3]), jnp.exp(scalars[4])
    th = jnp.tanh(kappa * mean)
    g_prime = 1.0 + c * kappa * (1.0 - th * th)
    return phi + c * th, logdet + jnp.log(g_prime[..., 0, 0])


def _push(params: FlowParams, z):
    """Fields f(z) and log q for prior draws z (n, L, L) (pure jnp)."""
    L = params.L
    log_r = -0.5 * jnp.sum(z * z, axis=(-2, -1)) - 0.5 * L * L * jnp.log(2 * jnp.pi).astype(z.dtype)
    phi, logdet = _flow_forward(params, z)
    return phi, log_r - logdet


def _prior(seed, shape) -> np.ndarray:
    """Gaussian prior draws (float32) from a numpy Generator: drawing them outside the compiled
    programs keeps a random-number generator (seconds of XLA compilation each) out of them."""
    return as_generator(seed).standard_normal(shape, dtype=np.float32)


def init_flow(L: int, n_layers: int = 8, widths: int | tuple[int, ...] = (16,),
              kernel_size: int = 3, *, lam: float | None = None, z2: bool = False,
              m2: float | None = None, seed: Seed = None) -> FlowParams:
    r"""Initialise a real-NVP flow with checkerboard affine couplings and CNN scale/shift nets.

    The flow maps Gaussian noise :math:`z\sim r=\mathcal N(0,1)^{V}` to a field
    :math:`\phi=f(z)`. A site-wise sinh-arcsinh map
    :math:`y=a\sinh(\delta\,\mathrm{arcsinh}\,z)` (two learned numbers) comes
    first, then ``n_layers`` coupling layers. Layer :math:`i`
    freezes one colour of the checkerboard (alternating with :math:`i`) and
    updates the other,

    .. math::

        \phi_\text{active} \to e^{s(\phi_\text{frozen})}\odot\phi_\text{active}
        + t(\phi_\text{frozen}),\qquad
        \log\left|\det\frac{\partial f_i}{\partial\phi}\right| = \sum_{\text{active }x} s(x),

    where :math:`(s,t)` is a small periodic CNN (``widths`` hidden channels,
    leaky-ReLU, a tanh on the two output channels). Convolutions make the
    flow translation-equivariant, so the same weights apply to any even
    ``L``. Weights are float32 and stacked over layers so the flow runs as
    one ``lax.scan``.

    An affine coupling leaves every active site conditionally Gaussian, while
    the on-site weight :math:`e^{-\lambda\phi^4}` has quartic tails. With
    ``lam`` given, the site-wise layer starts at :math:`\delta=\tfrac12`,
    :math:`a=(2/\lambda)^{1/4}`, which turns :math:`e^{-z^2/2}` into
    :math:`e^{-\lambda y^4}` at large :math:`y` (a physics-informed start that
    training then refines); without it the layer starts as the identity.

    With ``z2=True`` the flow is **equivariant** under the :math:`Z_2` symmetry
    :math:`\phi\to-\phi` of the action, :math:`f(-z)=-f(z)` with equal Jacobians, so with
    the symmetric prior :math:`q(-\phi)=q(\phi)` exactly and both vacua of the broken
    phase get the same weight: each coupling's scale is made even and its shift odd,
    :math:`s(x)=\tfrac12[n_s(x)+n_s(-x)]`, :math:`t(x)=\tfrac12[n_t(x)-n_t(-x)]` (twice
    the network cost), the site-wise layer is odd already, and the zero-mode layer gets an
    odd map of the uniform component, :math:`\bar\phi\to\bar\phi+c\tanh(\kappa\bar\phi)`,
    applied before the couplings, that splits the magnetisation into two peaks at
    :math:`\pm c`. It starts at :math:`\kappa=10` and, given ``m2`` and ``lam`` of a broken
    phase, at the mean-field vacuum :math:`c=v=\sqrt{-m^2/2\lambda}` (else :math:`c=0.05`).

    Parameters
    ----------
    L : int
        Linear lattice size (even, >= 2, for the checkerboard).
    n_layers : int
        Number of coupling layers (even, so both colours are updated equally).
    widths : int or tuple of int
        Channels of the hidden convolutions.
    kernel_size : int
        Odd convolution kernel width.
    lam : float, optional
        Quartic coupling of the target, for the tail-matched start of the
        site-wise layer.
    z2 : bool
        Build the :math:`\phi\to-\phi` symmetry in (see above).
    m2 : float, optional
        Mass term of the target, with ``lam`` for the vacuum start of a ``z2`` flow.
    seed : int, numpy Generator, JAX key or None
        Randomness for the initial weights.

    Returns
    -------
    FlowParams

    Example
    -------
    >>> flow = init_flow(L=8, n_layers=4, widths=(8,), kernel_size=3, seed=0)
    >>> flow.n_layers, flow.L
    (4, 8)
    >>> init_flow(4, n_layers=2, widths=4, z2=True, seed=0).z2
    True

    References
    ----------
    L. Dinh, J. Sohl-Dickstein and S. Bengio, ICLR (2017); M. S. Albergo,
    G. Kanwar and P. E. Shanahan, Phys. Rev. D 100, 034515 (2019);
    D. C. Hackett et al., arXiv:2107.00734 (2021) (:math:`Z_2`-equivariant flows for
    the broken phase).
    """
    L = check_int("L", L, minimum=2)
    if L % 2:
        raise ValueError(f"L must be even for the checkerboard coupling, got {L}")
    n_layers = check_int("n_layers", n_layers, minimum=2)
    if n_layers % 2:
        raise ValueError(f"n_layers must be even, got {n_layers}")
    widths = (widths,) if isinstance(widths, (int, np.integer)) else tuple(widths)
    widths = tuple(check_int("widths", h, minimum=1) for h in widths)
    if not widths:
        raise ValueError("widths must name at least one hidden layer width, got ()")
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd, got {kernel_size}")
    if not isinstance(z2, (bool, np.bool_)):
        raise TypeError(f"z2 must be True or False, got {z2!r}")
    if lam is None:
        scalars = [0.0, 0.0, 0.0]
    else:
        lam = check_positive("lam", lam)
        scalars = [np.log(0.5), 0.25 * np.log(2.0 / lam), 0.0]
    if m2 is not None:
        m2 = check_real("m2", m2)
    c = np.sqrt(-m2 / (2 * lam)) if m2 is not None and lam is not None and m2 < 0 else 0.05
    scalars = jnp.array(scalars + ([c, np.log(10.0)] if z2 else []), jnp.float32)
    rng = as_generator(seed)
    channels = (1, *widths, 2)
    weights = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        fan_in = kernel_size * kernel_size * c_in
        shape = (n_layers, c_out, kernel_size, kernel_size, c_in)
        kernel = rng.normal(size=shape) / np.sqrt(fan_in)
        weights.append([kernel, np.zeros((n_layers, c_out))])
    # start near the identity map: a small output layer
    weights[-1][0] *= 0.1
    weights = [(jnp.asarray(k, jnp.float32), jnp.asarray(b, jnp.float32)) for k, b in weights]
    return FlowParams(weights, scalars, L, bool(z2))


def _check_flow(params):
    if not isinstance(params, FlowParams):
        raise TypeError(f"params must be FlowParams (from init_flow), got {type(params).__name__}")
    return params


def flow_sample(params: FlowParams, n: int, *, seed: Seed = None) -> tuple[jax.Array, jax.Array]:
    r"""Draw ``n`` fields from the flow and return them with their exact log-density.

    .. math::

        \phi = f(z),\quad z\sim r,\qquad
        \log q(\phi) = \log r(z) - \log\left|\det\frac{\partial f}{\partial z}\right|.

    Parameters
    ----------
    params : FlowParams
        From :func:`init_flow` or :func:`train_flow`.
    n : int
        Number of samples.
    seed : int, numpy Generator, JAX key or None
        Randomness.

    Returns
    -------
    (jax.Array, jax.Array)
        Fields of shape (n, L, L) and :math:`\log q` of shape (n,), float32.

    Example
    -------
    >>> phi, logq = flow_sample(init_flow(4, n_layers=2, widths=4, seed=0), 10, seed=1)
    >>> phi.shape, logq.shape
    ((10, 4, 4), (10,))

    References
    ----------
    M. S. Albergo et al., arXiv:2101.08176 (2021), sec. 2.
    """
    params = _check_flow(params)
    n = check_int("n", n, minimum=1)
    return _push_jit(params, jnp.asarray(_prior(seed, (n, params.L, params.L))))


_push_jit = jax.jit(_push)


def flow_forward(params: FlowParams, z) -> tuple[jax.Array, jax.Array]:
    r"""Apply the whole flow to noise: :math:`\phi=f(z)` and its log-Jacobian.

    .. math::

        \log\left|\det\frac{\partial f}{\partial z}\right|
        = \sum_x \log\frac{dy}{dz}\Big|_{\text{site-wise}}
          + \sum_{\text{layers } i}\ \sum_{x\,\in\,\text{active}_i} s_i(x) + \log b.

    Differentiable and traceable (no checks on traced input), e.g. for ``jax.jacfwd``.

    Parameters
    ----------
    params : FlowParams
    z : array_like, shape (B, L, L)
        Noise (any float dtype; the weights are cast to it by JAX's promotion).

    Returns
    -------
    (jax.Array, jax.Array)
        Fields (B, L, L) and log-determinants (B,).

    Example
    -------
    >>> flow = init_flow(4, n_layers=2, widths=4, seed=0)
    >>> phi, logdet = flow_forward(flow, np.zeros((1, 4, 4), np.float32))
    >>> phi.shape, logdet.shape
    ((1, 4, 4), (1,))
    """
    params = _check_flow(params)
    if not is_tracer(z):
        arr = _check_field("z", z)
        if arr.ndim != 3 or arr.shape[-1] != params.L:
            raise ValueError(f"z must have shape (B, {params.L}, {params.L}), got {arr.shape}")
        z = jnp.asarray(arr)
    return _flow_forward(params, z)


def coupling(params: FlowParams, phi, layer: int) -> tuple[jax.Array, jax.Array]:
    r"""Apply coupling layer ``layer`` of the flow alone, eq. of :func:`init_flow`.

    .. math::

        \phi'_\text{active} = e^{s(\phi_\text{frozen})}\odot\phi_\text{active}
                              + t(\phi_\text{frozen}),\qquad
        \log|\det J| = \sum_{x\,\in\,\text{active}} s(x),

    with the checkerboard colour of ``layer`` (even layers update the sites
    with :math:`x_1+x_2` even and freeze the others). Traceable, e.g. for
    ``jax.jacfwd``.

    Parameters
    ----------
    params : FlowParams
    phi : array_like, shape (B, L, L)
    layer : int
        Index of the coupling layer, ``0 <= layer < params.n_layers``.

    Returns
    -------
    (jax.Array, jax.Array)
        New fields (B, L, L) and :math:`\log|\det J|` (B,).

    Example
    -------
    >>> flow = init_flow(4, n_layers=2, widths=4, seed=0)
    >>> y, logdet = coupling(flow, np.ones((1, 4, 4), np.float32), 0)
    >>> float(y[0, 0, 1])  # a frozen site
    1.0
    """
    params = _check_flow(params)
    layer = check_int("layer", layer, minimum=0, maximum=params.n_layers - 1)
    if not is_tracer(phi):
        arr = _check_field("phi", phi)
        if arr.ndim != 3 or arr.shape[-1] != params.L:
            raise ValueError(f"phi must have shape (B, {params.L}, {params.L}), got {arr.shape}")
        phi = jnp.asarray(arr)
    cb = _checkerboard(params.L, phi.dtype)
    mask = cb if layer % 2 == 0 else 1.0 - cb
    weights = jax.tree_util.tree_map(lambda a: a[layer], params.weights)
    return _coupling(weights, phi, mask, params.z2)


# --------------------------------------------------------------------------- training

class FlowHistory(NamedTuple):
    """What :func:`train_flow` records at every step (the ``history`` of its TrainResult)."""

    #: Reverse-KL loss :math:`\langle\log q + S\rangle_q` per step (equals :math:`KL(q\|p) - \log
    #: Z`). (numpy.ndarray, shape (n_steps,))
    loss: np.ndarray
    #: ESS per sample of each training batch. (numpy.ndarray, shape (n_steps,))
    ess: np.ndarray


def _ess(log_w):
    lw = log_w - jnp.max(log_w, axis=-1, keepdims=True)
    w = jnp.exp(lw)
    return jnp.sum(w, axis=-1) ** 2 / (log_w.shape[-1] * jnp.sum(w * w, axis=-1))


def _optimizer(learning_rate, n_steps):
    import optax
    return optax.adam(optax.cosine_decay_schedule(learning_rate, n_steps, alpha=0.05))


@jax.jit
def _train(params, noise, m2, lam, learning_rate):
    optimizer = _optimizer(learning_rate, noise.shape[0])

    def loss_fn(p, z):
        phi, logq = _push(p, z)
        log_w = -_action(phi, m2, lam) - logq
        return -jnp.mean(log_w), log_w

    def step(carry, z):
        p, state = carry
        (loss, log_w), grads = jax.value_and_grad(loss_fn, has_aux=True)(p, z)
        updates, state = optimizer.update(grads, state, p)
        p = jax.tree_util.tree_map(lambda a, u: a + u, p, updates)
        return (p, state), (loss, _ess(jax.lax.stop_gradient(log_w)))

    (params, _), (loss, ess_) = jax.lax.scan(step, (params, optimizer.init(params)), noise)
    return params, loss, ess_


def train_flow(params: FlowParams, m2: float, lam: float, *, n_steps: int = 1000,
               batch_size: int = 64, learning_rate: float = 1e-3, seed: Seed = None) -> TrainResult:
    r"""Train the flow on the reverse Kullback-Leibler divergence (self-training, no data).

    The loss is estimated on fresh flow samples each step,

    .. math::

        \mathcal L(\theta) = \mathbb E_{\phi\sim q_\theta}\big[\log q_\theta(\phi) + S[\phi]\big]
                           = KL(q_\theta\,\|\,p) - \log Z \;\ge\; -\log Z,

    and minimised with Adam (``optax.adam``, cosine-decayed learning rate),
    gradients flowing through the samples (reparameterisation). Only the
    action enters: no configurations of the target are needed.

    Parameters
    ----------
    params : FlowParams
        Starting weights (:func:`init_flow`).
    m2, lam : float
        Couplings of :func:`action`.
    n_steps : int
        Optimisation steps (one jitted ``lax.scan``).
    batch_size : int
        Flow samples per step.
    learning_rate : float
        Peak learning rate.
    seed : int, numpy Generator or JAX key
        Randomness for the samples: a numpy Generator draws the prior noise of all steps up
        front (``n_steps * batch_size * L * L`` float32 numbers), outside the compiled loop.

    Returns
    -------
    TrainResult
        ``params``: the trained :class:`FlowParams`; ``history``: a :class:`FlowHistory`
        (the ``loss`` and the ``ess`` per sample of each batch).

    Example
    -------
    >>> flow = init_flow(4, n_layers=2, widths=4, seed=0)
    >>> res = train_flow(flow, -4.0, 8.0, n_steps=20, batch_size=16, seed=1)
    >>> res.history.loss.shape
    (20,)

    References
    ----------
    M. S. Albergo, G. Kanwar and P. E. Shanahan, Phys. Rev. D 100, 034515 (2019), eq. (9);
    D. P. Kingma and J. Ba, ICLR (2015) (Adam).
    """
    params = _check_flow(params)
    m2, lam = _check_couplings(m2, lam)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=2)
    learning_rate = check_positive("learning_rate", learning_rate)
    noise = _prior(seed, (n_steps, batch_size, params.L, params.L))
    new, loss, ess_ = _train(params, jnp.asarray(noise), jnp.float32(m2), jnp.float32(lam),
                             jnp.float32(learning_rate))
    return TrainResult(new, FlowHistory(np.asarray(loss), np.asarray(ess_)))


# --------------------------------------------------------------------------- exact sampling

class FlowMCMCResult(NamedTuple):
    """Output of :func:`flow_mcmc`."""

    #: The Markov chain (float64); repeated rows are rejected proposals. (numpy.ndarray, shape (n,
    #: L, L))
    samples: np.ndarray
    #: Fraction of accepted proposals. (float)
    acceptance: float
    #: :math:`\log w = -S - \log q` of every proposal (for :func:`ess`). (numpy.ndarray, shape
    #: (n,))
    log_w: np.ndarray
    #: Whether proposal t was accepted. (numpy.ndarray of bool, shape (n,))
    accepted: np.ndarray


@partial(jax.jit, static_argnames=("n",))
def _flow_mcmc_run(params, noise, u, m2, lam, *, n):
    def draw(_, z):
        phi, logq = _push(params, z)
        phi = phi.astype(jnp.float64)
        return None, (phi, -_action(phi, m2, lam) - logq.astype(jnp.float64))

    _, (phi, log_w) = jax.lax.scan(draw, None, noise)      # noise: (n_chunks, chunk, L, L)
    phi = phi.reshape(-1, params.L, params.L)[:n]
    log_w = log_w.reshape(-1)[:n]
    log_u = jnp.log(u)

    def step(carry, xs):
        idx, lw = carry
        t, lw_new, lu = xs
        accept = lu < lw_new - lw
        return (jnp.where(accept, t, idx), jnp.where(accept, lw_new, lw)), (
            jnp.where(accept, t, idx), accept)

    # the chain starts at proposal 0 (accepted by convention)
    xs = (jnp.arange(1, n), log_w[1:], log_u[1:])
    _, (idx, accepted) = jax.lax.scan(step, (0, log_w[0]), xs)
    idx = jnp.concatenate([jnp.zeros(1, idx.dtype), idx])
    accepted = jnp.concatenate([jnp.ones(1, bool), accepted])
    return phi[idx], log_w, accepted


def flow_mcmc(params: FlowParams, n: int, *, m2: float, lam: float,
              chunk: int = 256, seed: Seed = None) -> FlowMCMCResult:
    r"""Flow-based MCMC: independence Metropolis-Hastings with flow proposals (exact).

    Proposals :math:`\phi'\sim q` are independent of the current state
    :math:`\phi`; accepting with

    .. math::

        A(\phi\to\phi') = \min\left(1, \frac{w(\phi')}{w(\phi)}\right),\qquad
        w = \frac{e^{-S[\phi]}}{q(\phi)},

    makes :math:`e^{-S}/Z` the stationary distribution however imperfect
    :math:`q` is: the flow only sets the efficiency. Proposals are drawn in
    batches of ``chunk`` (vectorized); the accept/reject chain is a ``lax.scan``.
    The action of the weights is evaluated in float64.

    Parameters
    ----------
    params : FlowParams
        A (trained) flow.
    n : int
        Length of the chain.
    m2, lam : float
        Couplings of the target action.
    chunk : int
        Proposals generated per vectorized batch.
    seed : int, numpy Generator, JAX key or None
        Randomness.

    Returns
    -------
    FlowMCMCResult
        ``samples``, ``acceptance``, ``log_w``, ``accepted``.

    Example
    -------
    >>> flow = init_flow(4, n_layers=2, widths=4, seed=0)
    >>> res = flow_mcmc(flow, 100, m2=1.0, lam=0.0, seed=1)
    >>> res.samples.shape
    (100, 4, 4)

    References
    ----------
    M. S. Albergo, G. Kanwar and P. E. Shanahan, Phys. Rev. D 100, 034515 (2019), sec. III.
    """
    params = _check_flow(params)
    n = check_int("n", n, minimum=2)
    m2, lam = _check_couplings(m2, lam)
    chunk = check_int("chunk", chunk, minimum=1)
    chunk = min(chunk, n)
    rng = as_generator(seed)
    noise = _prior(rng, (-(-n // chunk), chunk, params.L, params.L))
    phi, log_w, accepted = _flow_mcmc_run(params, jnp.asarray(noise), jnp.asarray(rng.random(n)), m2, lam,
                                          n=n)
    accepted = np.asarray(accepted)
    return FlowMCMCResult(np.asarray(phi), float(accepted[1:].mean()), np.asarray(log_w),
                          accepted)


def ess(log_w) -> np.ndarray | float:
    r"""Effective sample size per sample of importance weights :math:`w=e^{\log w}`.

    .. math::

        \frac{\mathrm{ESS}}{N} = \frac{\big(\tfrac1N\sum_i w_i\big)^2}{\tfrac1N\sum_i w_i^2}
        \in \left[\tfrac1N, 1\right],

    computed stably from :math:`\log w` (a constant shift, such as
    :math:`\log Z`, drops out). It is 1 when the flow is exact.

    Parameters
    ----------
    log_w : array_like, shape (..., N)
        Log-weights :math:`-S-\log q` along the last axis.

    Returns
    -------
    float or numpy.ndarray
        ESS/N, one per leading index.

    Example
    -------
    >>> float(ess(np.zeros(10)))
    1.0
    >>> round(float(ess(np.log([1.0, 0.0 + 1e-300, 1e-300, 1e-300]))), 3)
    0.25

    References
    ----------
    A. Kong, technical report 348, Univ. of Chicago (1992); M. S. Albergo et al.,
    arXiv:2101.08176 (2021), eq. (30).
    """
    arr = check_array("log_w", log_w, min_ndim=1, dtype="float", finite=False)
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError("log_w must not contain NaN or +inf")
    if arr.shape[-1] < 1:
        raise ValueError("log_w must contain at least one weight")
    lw = arr - arr.max(axis=-1, keepdims=True)
    w = np.exp(lw)
    out = w.sum(axis=-1) ** 2 / (arr.shape[-1] * (w * w).sum(axis=-1))
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- observables

def magnetization(phi) -> np.ndarray:
    r"""Magnetisation per site :math:`M/V = \frac1V\sum_x\phi(x)` of each configuration.

    Parameters
    ----------
    phi : array_like, shape (..., L, L)

    Returns
    -------
    numpy.ndarray, shape (...)
        Signed :math:`M/V`; take ``abs`` for :math:`|M|/V`.

    Example
    -------
    >>> magnetization(np.ones((3, 4, 4))).tolist()
    [1.0, 1.0, 1.0]
    """
    arr = _check_field("phi", phi).astype(np.float64, copy=False)
    return arr.mean(axis=(-2, -1))


def tunnelling_time(m, *, threshold: float) -> stats.Estimate:
    r"""Mean number of Markov-chain steps between changes of vacuum (broken phase).

    A chain is in the vacuum :math:`+` once :math:`m>` ``threshold``, in :math:`-` once
    :math:`m<-` ``threshold``, and keeps its vacuum while :math:`|m|\le` ``threshold``
    (hysteresis: flickering of :math:`m` around zero is not a tunnelling). With :math:`n`
    changes of vacuum in :math:`N` steps (all chains together),

    .. math::

        \tau_\text{tun} = \frac{N}{n} \pm \frac{N}{n^{3/2}}

    (a Poisson count of rare events). Without any change the chains have not tunnelled
    at all: the result is the lower bound :math:`N` with an infinite error bar.

    Parameters
    ----------
    m : array_like, shape (..., n)
        Magnetisation per site (:func:`magnetization`) along the last axis; leading axes are
        independent chains.
    threshold : float
        Hysteresis level, e.g. half of :math:`\langle|M|\rangle/V`.

    Returns
    -------
    stats.Estimate
        :math:`\tau_\text{tun}` in steps and its error.

    Example
    -------
    >>> tunnelling_time(np.array([0.6, 0.1, -0.2, -0.7, -0.1, 0.8]), threshold=0.5)
    Estimate(mean=3.0, error=2.1213203435596424)

    References
    ----------
    D. C. Hackett et al., arXiv:2107.00734 (2021); A. D. Sokal (1997).
    """
    arr = check_array("m", m, min_ndim=1, dtype="float")
    threshold = check_positive("threshold", threshold)
    side = np.where(arr > threshold, 1, np.where(arr < -threshold, -1, 0))
    # carry the last vacuum forward through the steps with |m| <= threshold
    last = np.maximum.accumulate(np.where(side != 0, np.arange(arr.shape[-1]), 0), axis=-1)
    vac = np.take_along_axis(side, last, axis=-1)
    n = int(np.sum((vac[..., 1:] != vac[..., :-1]) & (vac[..., :-1] != 0)))
    total = float(arr.size)
    if n == 0:
        return stats.Estimate(total, float("inf"))
    return stats.Estimate(total / n, total / n ** 1.5)


def two_point(phi) -> np.ndarray:
    r"""Per-configuration two-point estimator :math:`C(x)=\frac1V\sum_y\phi(y)\phi(y+x)` (FFT).

    Its average over samples is the full two-point function
    :math:`G(x)=\langle\phi(0)\phi(x)\rangle`; subtracting
    :math:`\langle\phi\rangle^2` gives the connected :math:`G_c(x)`.

    Parameters
    ----------
    phi : array_like, shape (..., L, L)

    Returns
    -------
    numpy.ndarray, shape (..., L, L)
        :math:`C(x_1, x_2)` per configuration; ``C[..., 0, 0]`` is
        :math:`\frac1V\sum_y\phi(y)^2`.

    Example
    -------
    >>> C = two_point(np.ones((4, 4)))
    >>> float(C[1, 2])
    1.0
    """
    arr = _check_field("phi", phi).astype(np.float64, copy=False)
    f = np.fft.fft2(arr)
    return np.real(np.fft.ifft2(f * np.conj(f))) / (arr.shape[-1] * arr.shape[-2])


class Observables(NamedTuple):
    r"""Estimates with error bars from :func:`measure` (tutorial definitions)."""

    #: :math:`\langle|M|\rangle/V`. (stats.Estimate)
    abs_m: stats.Estimate
    #: Two-point susceptibility :math:`\chi_2=\sum_x G_c(x)=V(\langle m^2\rangle-\langle
    #: m\rangle^2)`. (stats.Estimate)
    chi2: stats.Estimate
    #: Ising energy :math:`E=\frac1d\sum_{\mu}G_c(\hat\mu)`. (stats.Estimate)
    energy: stats.Estimate
    #: Second-moment correlation length :math:`\xi^2=\frac{\chi_2/F-1}{4\sin^2(\pi/L)}`,
    #: :math:`F=\tilde G_c(2\pi/L)`. (stats.Estimate)
    xi: stats.Estimate
    #: :math:`\langle\phi^2\rangle = G(0)`. (stats.Estimate)
    phi2: stats.Estimate
    #: Connected two-point function :math:`G_c(x)` with its blocked-jackknife error bars.
    #: (array-valued stats.Estimate: ``G.mean`` and ``G.error`` of shape (L, L))
    G: stats.Estimate


def measure(samples, *, n_blocks: int = 20) -> Observables:
    r"""Observables of the tutorial with blocked-jackknife error bars.

    With :math:`m=M/V` and :math:`C(x)` from :func:`two_point`,
    :math:`G_c(x)=\langle C(x)\rangle-\langle m\rangle^2`,
    :math:`\chi_2=\sum_x G_c(x)`, :math:`E=\frac12[G_c(\hat 1)+G_c(\hat 2)]`,
    :math:`\langle|M|\rangle/V`, and the second-moment correlation length
    :math:`\xi`. Errors come from a jackknife over ``n_blocks`` consecutive
    blocks of the chain, which keeps them honest for autocorrelated Markov
    chains when the blocks are longer than the autocorrelation time.

    Parameters
    ----------
    samples : array_like, shape (n, L, L) or (n_chains, n, L, L)
        A Markov chain (or several, sampled in parallel, time along axis -3).
    n_blocks : int
        Jackknife blocks.

    Returns
    -------
    Observables

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> obs = measure(rng.normal(size=(400, 4, 4)))
    >>> abs(obs.phi2.mean - 1) < 4 * obs.phi2.error
    True
    """
    arr = _check_field("samples", samples).astype(np.float64, copy=False)
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"samples must have shape (n, L, L) or (n_chains, n, L, L), got {arr.shape}")
    n_blocks = check_int("n_blocks", n_blocks, minimum=2)
    if arr.shape[-3] < n_blocks:
        raise ValueError(f"samples must hold at least n_blocks={n_blocks} configurations per "
                         f"chain, got {arr.shape[-3]}")
    L = arr.shape[-1]
    m = arr.mean(axis=(-2, -1))                       # (..., n)
    C = np.moveaxis(two_point(arr), -3, -1)           # (..., L, L, n): time last for jackknife
    cos = np.cos(2 * np.pi * np.arange(L) / L)

    def _gc(m_, C_):
        # average over chains (leading axes of m_) and time (last axis)
        g = np.moveaxis(C_, -1, 0).reshape(-1, L, L).mean(axis=0)
        return g - np.mean(m_) ** 2

    def chi2(m_, C_):
        return float(_gc(m_, C_).sum())

    def energy(m_, C_):
        g = _gc(m_, C_)
        return float(0.5 * (g[1, 0] + g[0, 1]))

    def xi(m_, C_):
        g = _gc(m_, C_)
        chi = g.sum()
        F = 0.5 * ((g * cos[:, None]).sum() + (g * cos[None, :]).sum())
        ratio = max(chi / F - 1.0, 0.0) if F > 0 else np.nan
        return float(np.sqrt(ratio) / (2 * np.sin(np.pi / L)))

    jk = partial(stats.jackknife, n_blocks=n_blocks)
    chi = jk(chi2, m, C)
    en = jk(energy, m, C)
    corr = jk(xi, m, C)
    abs_m = jk(lambda m_: float(np.mean(np.abs(m_))), m)
    phi2 = jk(lambda C_: float(C_[..., 0, 0, :].mean()), C)
    G = jk(_gc, m, C)          # array-valued: one jackknife error per separation x
    return Observables(abs_m, chi, en, corr, phi2, G)
