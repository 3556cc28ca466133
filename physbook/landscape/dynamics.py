r"""Relaxation on a loss: gradient descent with momentum, and Langevin dynamics at temperature T."""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive, check_real
from ..random import Seed, as_key
from ._common import Loss, _check_loss, _points

__all__ = [
    "gradient_flow",
    "langevin",
]

# ----------------------------------------------------------------------------
# dynamics
# ----------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("loss", "n_steps", "nesterov"))
def _flow(loss, x0, learning_rate, momentum, n_steps, nesterov):
    grad = jax.vmap(jax.grad(loss))

    def step(carry, _):
        x, v = carry
        g = grad(x + momentum * v) if nesterov else grad(x)
        v = momentum * v - learning_rate * g
        x = x + v
        return (x, v), x

    _, xs = jax.lax.scan(step, (x0, jnp.zeros_like(x0)), None, length=n_steps)
    return jnp.concatenate([x0[None], xs], axis=0)


def gradient_flow(loss: Loss, x0, *, learning_rate: float, momentum: float = 0.0, n_steps: int,
                  nesterov: bool = False) -> np.ndarray:
    r"""Gradient descent with optional heavy-ball or Nesterov momentum; returns the trajectory.

    Heavy ball (Polyak 1964), with velocity :math:`v_0 = 0`:

    .. math::

        v_{t+1} = \beta v_t - \eta \nabla L(x_t), \qquad x_{t+1} = x_t + v_{t+1};

    Nesterov evaluates the gradient at the look-ahead point
    :math:`x_t + \beta v_t`. With :math:`\beta = 0` both are plain gradient
    descent, the Euler discretisation of the overdamped flow
    :math:`\dot x = -\nabla L`. On a quadratic with Hessian eigenvalue
    :math:`\lambda` plain descent multiplies the error by
    :math:`1-\eta\lambda` per step, so it converges if and only if
    :math:`\eta < 2/\lambda_\mathrm{max}`.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` for ``x`` of shape ``(d,)``, returning a scalar (jax.numpy).
    x0 : array_like, shape (..., d)
        Starting points; leading axes are independent runs.
    learning_rate : float
        Learning rate :math:`\eta > 0`.
    momentum : float
        Momentum :math:`\beta \in [0, 1)`.
    n_steps : int
        Number of steps.
    nesterov : bool
        Use Nesterov's look-ahead gradient.

    Returns
    -------
    numpy.ndarray, shape (..., n_steps + 1, d)
        The trajectory, starting with ``x0``. A run that diverges overflows to
        ``inf`` (check with ``numpy.isfinite``); nothing is clipped.

    Example
    -------
    >>> path = gradient_flow(lambda x: 0.5 * (x ** 2).sum(), [1.0, 2.0], learning_rate=0.5, n_steps=3)
    >>> path[:, 0]
    array([1.   , 0.5  , 0.25 , 0.125])

    References
    ----------
    B. T. Polyak, USSR Comput. Math. Math. Phys. 4, 1 (1964);
    Y. Nesterov, Soviet Math. Dokl. 27, 372 (1983).
    """
    x, batch = _points("x0", x0)
    _check_loss(loss, x.shape[-1])
    learning_rate = check_positive("learning_rate", learning_rate)
    momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_inclusive=False)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be a bool, got {nesterov!r}")
    path = np.asarray(_flow(loss, jnp.asarray(x), learning_rate, momentum, n_steps, bool(nesterov)))
    return np.moveaxis(path, 0, 1).reshape(*batch, n_steps + 1, x.shape[-1])


@partial(jax.jit, static_argnames=("loss", "n_blocks", "thin", "metropolis"))
def _langevin(loss, x0, T, learning_rate, key, n_blocks, thin, metropolis):
    value_grad = jax.vmap(jax.value_and_grad(loss))
    scale = jnp.sqrt(2.0 * learning_rate * T)

    def log_q(to, frm, g_frm):  # log proposal density, up to a constant
        return -jnp.sum((to - frm + learning_rate * g_frm) ** 2, axis=-1) / (4.0 * learning_rate * T)

    def step(carry, _):
        x, val, g, key = carry
        key, k_noise, k_acc = jax.random.split(key, 3)
        y = x - learning_rate * g + scale * jax.random.normal(k_noise, x.shape, x.dtype)
        val_y, g_y = value_grad(y)
        if metropolis:
            log_a = -(val_y - val) / T + log_q(x, y, g_y) - log_q(y, x, g)
            accept = jnp.log(jax.random.uniform(k_acc, val.shape, x.dtype)) < log_a
            y = jnp.where(accept[:, None], y, x)
            val_y = jnp.where(accept, val_y, val)
            g_y = jnp.where(accept[:, None], g_y, g)
        return (y, val_y, g_y, key), None

    def block(carry, _):
        carry, _ = jax.lax.scan(step, carry, None, length=thin)
        return carry, carry[0]

    val0, g0 = value_grad(x0)
    _, xs = jax.lax.scan(block, (x0, val0, g0, key), None, length=n_blocks)
    return xs


def langevin(loss: Loss, x0, *, T: float, learning_rate: float, n_steps: int, seed: Seed = None,
             thin: int = 1, metropolis: bool = False) -> np.ndarray:
    r"""Overdamped Langevin dynamics at temperature T: gradient descent plus thermal noise.

    .. math::

        x_{t+1} = x_t - \eta\,\nabla L(x_t) + \sqrt{2\eta T}\,\xi_t,
        \qquad \xi_t \sim \mathcal N(0, 1),

    the Euler-Maruyama discretisation of :math:`dx = -\nabla L\,dt + \sqrt{2T}\,dW`,
    whose stationary law is the Boltzmann distribution
    :math:`p(x) \propto e^{-L(x)/T}` (up to an :math:`O(\eta)` discretisation
    bias). With ``metropolis=True`` each step is a proposal accepted with the
    Metropolis-Hastings probability (MALA), which removes that bias exactly.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` for ``x`` of shape ``(d,)``, returning a scalar (jax.numpy).
    x0 : array_like, shape (..., d)
        Starting points of independent walkers (leading axes).
    T : float
        Temperature :math:`T > 0` (:math:`k_B = 1`).
    learning_rate : float
        Step size :math:`\eta > 0`.
    n_steps : int
        Number of steps, a multiple of ``thin``.
    seed : int, numpy Generator or JAX key
        Randomness.
    thin : int
        Record every ``thin``-th state.
    metropolis : bool
        Accept/reject each step (Metropolis-adjusted Langevin algorithm).

    Returns
    -------
    numpy.ndarray, shape (..., n_steps // thin, d)
        The recorded states (``x0`` itself is not included).

    Example
    -------
    >>> xs = langevin(lambda x: 0.5 * (x ** 2).sum(), [[0.0]] * 500, T=2.0, learning_rate=0.01, n_steps=2000, seed=0)
    >>> bool(1.6 < xs[:, -1, 0].var() < 2.4)
    True

    References
    ----------
    G. O. Roberts and R. L. Tweedie, Bernoulli 2, 341 (1996);
    M. Welling and Y. W. Teh, ICML (2011).
    """
    x, batch = _points("x0", x0)
    _check_loss(loss, x.shape[-1])
    T = check_positive("T", T)
    learning_rate = check_positive("learning_rate", learning_rate)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    thin = check_int("thin", thin, minimum=1)
    if n_steps % thin:
        raise ValueError(f"n_steps must be a multiple of thin={thin}, got {n_steps}")
    if not isinstance(metropolis, (bool, np.bool_)):
        raise TypeError(f"metropolis must be a bool, got {metropolis!r}")
    xs = _langevin(loss, jnp.asarray(x), T, learning_rate, as_key(seed), n_steps // thin, thin,
                   bool(metropolis))
    xs = np.moveaxis(np.asarray(xs), 0, 1)
    return xs.reshape(*batch, n_steps // thin, x.shape[-1])
