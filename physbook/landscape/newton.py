r"""Damping: the level-shifted Newton step and damped Newton iterations."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_array, check_int, check_positive, check_real
from ._common import Loss, _check_loss, _points

__all__ = [
    "shifted_newton_step",
    "shifted_newton",
    "damped_newton",
    "DampedPath",
]

# ----------------------------------------------------------------------------
# level shifting and damped Newton
# ----------------------------------------------------------------------------
def shifted_newton_step(grad, hess, shift: float) -> np.ndarray:
    r"""The level-shifted Newton step :math:`\Delta = -(H + \mu I)^{-1} g`.

    In the eigenbasis of the Hessian, :math:`H u_k = \lambda_k u_k`,

    .. math::

        \Delta = -\sum_k \frac{u_k\, (u_k \cdot g)}{\lambda_k + \mu},

    the SCF orbital-rotation formula :math:`\kappa = -g/(\text{gap} + \mu)`:
    each mode moves by its force over its stiffness plus the shift. A large
    shift turns Newton (:math:`\mu = 0`) into a short gradient step
    :math:`-g/\mu`; any :math:`\mu > -\lambda_\mathrm{min}` makes the step a
    descent direction.

    Parameters
    ----------
    grad : array_like, shape (..., d)
        Gradients :math:`g`.
    hess : array_like, shape (..., d, d)
        Symmetric Hessians :math:`H`.
    shift : float
        Level shift :math:`\mu`.

    Returns
    -------
    numpy.ndarray, shape (..., d)

    Example
    -------
    >>> shifted_newton_step([2.0, 2.0], [[1.0, 0.0], [0.0, 3.0]], 1.0)
    array([-1. , -0.5])

    References
    ----------
    V. R. Saunders and I. H. Hillier, Int. J. Quantum Chem. 7, 699 (1973).
    """
    g = check_array("grad", grad, min_ndim=1, dtype="float")
    h = check_array("hess", hess, min_ndim=2, dtype="float")
    mu = check_real("shift", shift)
    d = g.shape[-1]
    if h.shape[-2:] != (d, d):
        raise ValueError(f"hess must have shape (..., {d}, {d}) to match grad, got {h.shape}")
    if not np.allclose(h, np.swapaxes(h, -1, -2), rtol=1e-10, atol=1e-12):
        raise ValueError("hess must be symmetric")
    lam, vec = np.linalg.eigh(h)
    denom = lam + mu
    scale = np.maximum(1.0, np.abs(lam).max(axis=-1, keepdims=True))
    if np.any(np.abs(denom) <= 1e-12 * scale):
        raise ValueError(f"shift={mu!r} makes H + shift*I singular (shift equals minus an "
                         "eigenvalue of hess); choose another shift")
    coef = np.einsum("...ik,...i->...k", vec, np.broadcast_to(g, h.shape[:-1]))
    return -np.einsum("...ik,...k->...i", vec, coef / denom)


@partial(jax.jit, static_argnums=(0, 3))
def _shifted_path(loss, x0, shift, n_steps):
    grad, hess = jax.grad(loss), jax.hessian(loss)

    def one(x0):
        def step(x, _):
            lam, vec = jnp.linalg.eigh(hess(x))
            x = x - vec @ ((vec.T @ grad(x)) / (lam + shift))
            return x, x

        _, xs = jax.lax.scan(step, x0, None, length=n_steps)
        return jnp.concatenate([x0[None], xs])

    return jax.vmap(one)(x0)


def shifted_newton(loss: Loss, x0, *, shift: float, n_steps: int) -> np.ndarray:
    r"""The level-shifted Newton iteration at a fixed shift: the path of repeated :func:`shifted_newton_step`.

    .. math:: x_{k+1} = x_k - (H(x_k) + \mu I)^{-1}\,\nabla L(x_k)

    Every step is taken (no line search, no adaptation of :math:`\mu`; compare
    :func:`damped_newton`), so the path shows what a given shift does: :math:`\mu = 0` is
    Newton's method, which jumps to the nearest stationary point of any kind; a shift larger
    than the most negative Hessian eigenvalue turns every step downhill; a huge shift is
    gradient descent with step :math:`1/\mu`. A run that diverges gives infinities or NaN.

    Parameters
    ----------
    loss : callable
        Scalar loss of a vector of shape (d,), written with ``jax.numpy``.
    x0 : array_like, shape (..., d)
        Starting points (leading axes: independent runs).
    shift : float
        The level shift :math:`\mu` (>= 0).
    n_steps : int
        Number of steps (>= 1).

    Returns
    -------
    numpy.ndarray, shape (..., n_steps + 1, d)
        The path, starting point first.

    Example
    -------
    >>> path = shifted_newton(lambda x: 0.5 * (x ** 2).sum(), [2.0, -1.0], shift=1.0, n_steps=2)
    >>> path[:, 0].tolist()
    [2.0, 1.0, 0.5]

    References
    ----------
    V. R. Saunders and I. H. Hillier, Int. J. Quantum Chem. 7, 699 (1973).
    """
    x, batch = _points("x0", x0)
    _check_loss(loss, x.shape[-1])
    shift = check_positive("shift", shift, allow_zero=True)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    path = np.asarray(_shifted_path(loss, jnp.asarray(x), shift, n_steps))
    return path.reshape(*batch, n_steps + 1, x.shape[-1])


class DampedPath(NamedTuple):
    """The record of :func:`damped_newton`, each of shape (..., n_steps + 1[, d])."""

    x: np.ndarray
    loss: np.ndarray
    shift: np.ndarray


@partial(jax.jit, static_argnames=("loss", "n_steps"))
def _damped(loss, x0, shift0, n_steps, decrease, increase):
    grad, hess = jax.grad(loss), jax.hessian(loss)

    def one(x0):
        def step(carry, _):
            x, val, mu = carry
            g, h = grad(x), hess(x)
            lam, vec = jnp.linalg.eigh(h)
            denom = lam + mu
            ok = jnp.all(denom > 0)
            dx = -vec @ ((vec.T @ g) / jnp.where(ok, denom, 1.0))
            val_new = loss(x + dx)
            # ties within round-off count as progress, so that mu keeps falling at convergence
            accept = ok & (val_new <= val + 4e-16 * jnp.maximum(1.0, jnp.abs(val)))
            x = jnp.where(accept, x + dx, x)
            val = jnp.where(accept, val_new, val)
            floor = 1e-3 * jnp.maximum(1.0, jnp.max(jnp.abs(lam)))
            mu = jnp.where(accept, mu * decrease, jnp.maximum(mu * increase, floor))
            return (x, val, mu), (x, val, mu)

        carry0 = (x0, loss(x0), shift0)
        _, (xs, vals, mus) = jax.lax.scan(step, carry0, None, length=n_steps)
        return (jnp.concatenate([x0[None], xs]), jnp.concatenate([carry0[1][None], vals]),
                jnp.concatenate([jnp.asarray(shift0)[None], mus]))

    return jax.vmap(one)(x0)


def damped_newton(loss: Loss, x0, *, shift: float = 1.0, n_steps: int = 50,
                  decrease: float = 0.3, increase: float = 4.0) -> DampedPath:
    r"""Newton's method with a level shift that is lowered as the iteration converges.

    Each step tries :math:`\Delta = -(H + \mu I)^{-1} g` (:func:`shifted_newton_step`).
    The step is accepted only if :math:`H + \mu I` is positive definite and
    the loss decreases; then :math:`\mu \to` ``decrease`` :math:`\cdot\,\mu`
    (towards pure Newton, quadratic convergence). Otherwise the step is
    rejected and :math:`\mu \to` ``increase`` :math:`\cdot\,\mu` (towards a
    short gradient step). This is the Levenberg-Marquardt / trust-region
    idea, and the level shift of SCF codes; unlike plain Newton it is a
    descent method and is not attracted by saddles.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` for ``x`` of shape ``(d,)``, returning a scalar (jax.numpy).
    x0 : array_like, shape (..., d)
        Starting points (independent runs along leading axes).
    shift : float
        Initial level shift :math:`\mu_0 \ge 0`.
    n_steps : int
        Number of (accepted or rejected) steps.
    decrease, increase : float
        Factors applied to :math:`\mu` after an accepted (``0 < decrease < 1``)
        or rejected (``increase > 1``) step.

    Returns
    -------
    DampedPath
        ``x`` (..., n_steps + 1, d), ``loss`` and ``shift`` (..., n_steps + 1).

    Example
    -------
    >>> run = damped_newton(lambda x: (x[0] ** 2 - 1) ** 2 + x[1] ** 2, [0.1, 1.0], n_steps=30)
    >>> np.round(run.x[-1], 8).tolist()
    [1.0, 0.0]

    References
    ----------
    K. Levenberg, Q. Appl. Math. 2, 164 (1944); D. W. Marquardt, J. SIAM 11, 431 (1963);
    V. R. Saunders and I. H. Hillier, Int. J. Quantum Chem. 7, 699 (1973).
    """
    x, batch = _points("x0", x0)
    _check_loss(loss, x.shape[-1])
    shift = check_positive("shift", shift, allow_zero=True)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    decrease = check_real("decrease", decrease, low=0.0, high=1.0, low_inclusive=False,
                          high_inclusive=False)
    increase = check_real("increase", increase, low=1.0, low_inclusive=False)
    xs, vals, mus = (np.asarray(a) for a in _damped(loss, jnp.asarray(x), shift, n_steps,
                                                    decrease, increase))
    d = x.shape[-1]
    return DampedPath(xs.reshape(*batch, n_steps + 1, d), vals.reshape(*batch, n_steps + 1),
                      mus.reshape(*batch, n_steps + 1))
