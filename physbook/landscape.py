r"""Loss landscapes as energy landscapes: relaxation, stationary points, damping, modes.

Training is relaxation. A parameter vector :math:`x` rolls down a loss
:math:`L(x)` exactly as a configuration relaxes on a potential-energy surface
or as a self-consistent-field (SCF) iteration relaxes electrons to a ground
state. This module collects the tools of that picture:

* dynamics: :func:`gradient_flow` (gradient descent, heavy-ball and Nesterov
  momentum) and :func:`langevin` (gradient descent plus thermal noise, whose
  stationary law is :math:`e^{-L/T}`);
* stationary points: :func:`stationary_points` (Newton on :math:`|\nabla L|^2`
  from many starts) and :func:`classify` (Hessian eigenvalues: minimum,
  saddle of index :math:`k`, maximum, or degenerate);
* damping: :func:`shifted_newton_step` (the level-shifted step
  :math:`-(H+\mu)^{-1}g`) and :func:`damped_newton` (which lowers
  :math:`\mu` as it converges);
* an SCF toy: the unrestricted Hartree-Fock two-site Hubbard model
  (:func:`hubbard_dimer_energy`, :func:`hubbard_dimer_scf`,
  :func:`hubbard_dimer_exact`);
* modes: :func:`normal_modes`, :func:`receptance` and :func:`pca`;
* coarse-graining: :func:`generator`, :func:`relaxation_rates`,
  :func:`effective_rate` and :func:`first_passage_times` for continuous-time
  Markov chains.

Conventions: a loss is a Python callable mapping a parameter vector of shape
``(d,)`` to a scalar, written with ``jax.numpy`` so that JAX can
differentiate it. Starting points carry leading batch dimensions,
``x0[..., d]``; every walker runs independently in one jitted call.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import check_array, check_int, check_positive, check_real
from .random import Seed, as_generator, as_key

__all__ = [
    "gradient_flow",
    "langevin",
    "stationary_points",
    "classify",
    "Stationary",
    "shifted_newton_step",
    "damped_newton",
    "DampedPath",
    "hubbard_dimer_energy",
    "hubbard_dimer_scf",
    "hubbard_dimer_exact",
    "SCFPath",
    "normal_modes",
    "NormalModes",
    "receptance",
    "pca",
    "PCA",
    "generator",
    "relaxation_rates",
    "effective_rate",
    "first_passage_times",
]

Loss = Callable[[Any], Any]


# ----------------------------------------------------------------------------
# boundary checks
# ----------------------------------------------------------------------------
def _check_loss(loss: Any, d: int) -> None:
    """The loss must be callable and map a (d,) vector to a scalar."""
    if not callable(loss):
        raise TypeError(f"loss must be a callable mapping a (d,) array to a scalar, got "
                        f"{type(loss).__name__}")
    try:
        out = jax.eval_shape(loss, jax.ShapeDtypeStruct((d,), jnp.float64))
    except Exception as exc:  # noqa: BLE001 - re-raised with the argument's name
        raise ValueError(f"loss must accept a parameter vector of shape ({d},) written in "
                         f"jax.numpy; calling it failed with {type(exc).__name__}: {exc}") from exc
    if getattr(out, "shape", None) != ():
        raise ValueError(f"loss must return a scalar, got an output of shape "
                         f"{getattr(out, 'shape', type(out).__name__)}")


def _points(name: str, x: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """Return ``x`` flattened to (batch, d) float64 and its batch shape."""
    arr = check_array(name, x, min_ndim=1, dtype="float")
    if arr.shape[-1] < 1:
        raise ValueError(f"{name} must have at least one parameter along its last axis, "
                         f"got shape {arr.shape}")
    return arr.reshape(-1, arr.shape[-1]), arr.shape[:-1]


# ----------------------------------------------------------------------------
# dynamics
# ----------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("loss", "n_steps", "nesterov"))
def _flow(loss, x0, lr, momentum, n_steps, nesterov):
    grad = jax.vmap(jax.grad(loss))

    def step(carry, _):
        x, v = carry
        g = grad(x + momentum * v) if nesterov else grad(x)
        v = momentum * v - lr * g
        x = x + v
        return (x, v), x

    _, xs = jax.lax.scan(step, (x0, jnp.zeros_like(x0)), None, length=n_steps)
    return jnp.concatenate([x0[None], xs], axis=0)


def gradient_flow(loss: Loss, x0, *, lr: float, momentum: float = 0.0, n_steps: int,
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
    lr : float
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
    >>> path = gradient_flow(lambda x: 0.5 * (x ** 2).sum(), [1.0, 2.0], lr=0.5, n_steps=3)
    >>> path[:, 0]
    array([1.   , 0.5  , 0.25 , 0.125])

    References
    ----------
    B. T. Polyak, USSR Comput. Math. Math. Phys. 4, 1 (1964);
    Y. Nesterov, Soviet Math. Dokl. 27, 372 (1983).
    """
    x, batch = _points("x0", x0)
    _check_loss(loss, x.shape[-1])
    lr = check_positive("lr", lr)
    momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_inclusive=False)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be a bool, got {nesterov!r}")
    path = np.asarray(_flow(loss, jnp.asarray(x), lr, momentum, n_steps, bool(nesterov)))
    return np.moveaxis(path, 0, 1).reshape(*batch, n_steps + 1, x.shape[-1])


@partial(jax.jit, static_argnames=("loss", "n_blocks", "thin", "metropolis"))
def _langevin(loss, x0, T, lr, key, n_blocks, thin, metropolis):
    value_grad = jax.vmap(jax.value_and_grad(loss))
    scale = jnp.sqrt(2.0 * lr * T)

    def log_q(to, frm, g_frm):  # log proposal density, up to a constant
        return -jnp.sum((to - frm + lr * g_frm) ** 2, axis=-1) / (4.0 * lr * T)

    def step(carry, _):
        x, val, g, key = carry
        key, k_noise, k_acc = jax.random.split(key, 3)
        y = x - lr * g + scale * jax.random.normal(k_noise, x.shape, x.dtype)
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


def langevin(loss: Loss, x0, *, T: float, lr: float, n_steps: int, seed: Seed = None,
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
    lr : float
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
    >>> xs = langevin(lambda x: 0.5 * (x ** 2).sum(), [[0.0]] * 500, T=2.0, lr=0.01, n_steps=2000, seed=0)
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
    lr = check_positive("lr", lr)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    thin = check_int("thin", thin, minimum=1)
    if n_steps % thin:
        raise ValueError(f"n_steps must be a multiple of thin={thin}, got {n_steps}")
    if not isinstance(metropolis, (bool, np.bool_)):
        raise TypeError(f"metropolis must be a bool, got {metropolis!r}")
    xs = _langevin(loss, jnp.asarray(x), T, lr, as_key(seed), n_steps // thin, thin,
                   bool(metropolis))
    xs = np.moveaxis(np.asarray(xs), 0, 1)
    return xs.reshape(*batch, n_steps // thin, x.shape[-1])


# ----------------------------------------------------------------------------
# stationary points and their classification
# ----------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("loss", "max_iter"))
def _newton_on_gradient(loss, x0, max_iter, max_step):
    grad, hess = jax.grad(loss), jax.hessian(loss)
    eye = jnp.eye(x0.shape[-1], dtype=x0.dtype)

    def one(x):
        def step(x, _):
            g, h = grad(x), hess(x)
            # Gauss-Newton on |g|^2/2 with Levenberg damping that vanishes as g -> 0:
            # the step tends to -H^{-1} g (quadratic convergence) yet survives singular H.
            gnorm = jnp.sqrt(jnp.sum(g * g))
            dx = -jnp.linalg.solve(h @ h + 1e-3 * gnorm * eye, h @ g)
            dx = jnp.where(gnorm > 0, dx, 0.0)          # exactly stationary: stay
            norm = jnp.sqrt(jnp.sum(dx * dx))
            dx = dx * jnp.minimum(1.0, max_step / jnp.maximum(norm, 1e-300))
            return x + dx, None

        x, _ = jax.lax.scan(step, x, None, length=max_iter)
        return x, jnp.sqrt(jnp.sum(grad(x) ** 2)), loss(x)

    return jax.vmap(one)(x0)


def stationary_points(loss: Loss, starts, *, max_iter: int = 100, gtol: float = 1e-8,
                      tol: float = 1e-6, max_step: float = 1.0) -> np.ndarray:
    r"""Find stationary points :math:`\nabla L(x) = 0` by Newton's method on the gradient norm.

    From every start, minimise :math:`\tfrac12|\nabla L|^2` with
    Levenberg-damped Gauss-Newton steps

    .. math::

        \Delta = -\left(H^2 + \epsilon |g|\right)^{-1} H g
        \;\longrightarrow\; -H^{-1} g \quad (g \to 0),

    where :math:`g = \nabla L` and :math:`H = \nabla^2 L`. Unlike descent,
    this converges to minima, saddles and maxima alike. Converged points
    (:math:`|g| <` ``gtol``) closer than ``tol`` are merged.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` for ``x`` of shape ``(d,)``, returning a scalar (jax.numpy).
    starts : array_like, shape (n, d) or (d,)
        Starting points, searched in parallel.
    max_iter : int
        Newton iterations per start.
    gtol : float
        A point counts as stationary when :math:`|\nabla L| <` ``gtol``.
    tol : float
        Distance below which two stationary points are the same one.
    max_step : float
        Largest step length (a trust radius that keeps far starts in range).

    Returns
    -------
    numpy.ndarray, shape (m, d)
        The distinct stationary points, sorted by increasing loss. A
        continuous family of stationary points (a symmetry orbit) shows up as
        several nearby representatives, not as one point.

    Example
    -------
    >>> pts = stationary_points(lambda x: (x[0] ** 2 - 1) ** 2, [[-2.0], [0.1], [3.0]])
    >>> np.round(pts[:, 0], 6).tolist()
    [-1.0, 1.0, 0.0]

    References
    ----------
    J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed. (Springer, 2006), ch. 10-11.
    """
    x, _ = _points("starts", starts)
    _check_loss(loss, x.shape[-1])
    max_iter = check_int("max_iter", max_iter, minimum=1)
    gtol = check_positive("gtol", gtol)
    tol = check_positive("tol", tol)
    max_step = check_positive("max_step", max_step)
    xs, gnorm, vals = (np.asarray(a) for a in _newton_on_gradient(loss, jnp.asarray(x),
                                                                 max_iter, max_step))
    good = np.isfinite(gnorm) & (gnorm < gtol)
    xs, vals = xs[good], vals[good]
    order = np.argsort(vals, kind="stable")
    kept: list[np.ndarray] = []
    for p in xs[order]:
        if all(np.linalg.norm(p - q) >= tol for q in kept):
            kept.append(p)
    return np.array(kept).reshape(-1, x.shape[-1])


class Stationary(NamedTuple):
    """The second-order diagnosis of a point (see :func:`classify`)."""

    #: "minimum", "maximum", "saddle", "degenerate" or "not stationary"
    kind: Any
    #: the Morse index, the number of negative Hessian eigenvalues
    index: Any
    #: number of Hessian eigenvalues that are zero within tolerance (flat directions)
    n_flat: Any
    #: Hessian eigenvalues, ascending, shape (..., d)
    eigenvalues: np.ndarray
    #: matching unit eigenvectors as columns, shape (..., d, d)
    eigenvectors: np.ndarray
    #: gradient norm at the point
    grad_norm: Any

    @property
    def unstable(self) -> np.ndarray:
        """The unstable (downhill) directions of a single point, as columns, shape (d, index)."""
        if np.ndim(self.index) != 0:
            raise ValueError("unstable is defined for a single point; index the batch first")
        return self.eigenvectors[:, : int(self.index)]


@partial(jax.jit, static_argnames=("loss",))
def _grad_hess(loss, x):
    return jax.vmap(jax.grad(loss))(x), jax.vmap(jax.hessian(loss))(x)


def classify(loss: Loss, x, *, tol: float = 1e-6, gtol: float = 1e-6) -> Stationary:
    r"""Classify stationary points by the eigenvalues of the Hessian.

    Near a stationary point :math:`x^*`,
    :math:`L(x^* + \delta) \approx L(x^*) + \tfrac12 \sum_k \lambda_k c_k^2` with
    :math:`\delta = \sum_k c_k u_k` in the Hessian eigenbasis. The point is a

    * **minimum** if all :math:`\lambda_k > 0`, a **maximum** if all :math:`< 0`;
    * **saddle** of index :math:`k` if :math:`k` eigenvalues are negative and at
      least one is positive (the :math:`k` unstable directions are the
      eigenvectors of the negative eigenvalues);
    * **degenerate** if some eigenvalues vanish and the signs of the others
      do not already decide (no saddle): then the quadratic test is
      inconclusive, and the function says so instead of guessing;
    * **not stationary** if :math:`|\nabla L| \ge` ``gtol``.

    An eigenvalue counts as zero if
    :math:`|\lambda| \le \mathrm{tol}\cdot\max(1, \max_k|\lambda_k|)`.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` for ``x`` of shape ``(d,)``, returning a scalar (jax.numpy).
    x : array_like, shape (..., d)
        The point(s) to classify.
    tol : float
        Relative tolerance for a zero eigenvalue.
    gtol : float
        Largest gradient norm of a stationary point.

    Returns
    -------
    Stationary
        ``kind`` (str, or an array of str for a batch), ``index``, ``n_flat``,
        ``eigenvalues`` (ascending), ``eigenvectors`` and ``grad_norm``; the
        property ``unstable`` gives the downhill directions of one point.

    Example
    -------
    >>> s = classify(lambda x: x[0] ** 2 - x[1] ** 2, [0.0, 0.0])
    >>> (s.kind, int(s.index), s.unstable[:, 0].tolist())
    ('saddle', 1, [0.0, 1.0])

    References
    ----------
    J. Milnor, Morse Theory (Princeton, 1963);
    Y. Dauphin et al., NeurIPS 27 (2014).
    """
    pts, batch = _points("x", x)
    _check_loss(loss, pts.shape[-1])
    tol = check_positive("tol", tol)
    gtol = check_positive("gtol", gtol)
    g, h = (np.asarray(a) for a in _grad_hess(loss, jnp.asarray(pts)))
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
        raise ValueError("the gradient or Hessian of loss is not finite at x")
    h = 0.5 * (h + np.swapaxes(h, -1, -2))
    lam, vec = np.linalg.eigh(h)
    scale = np.maximum(1.0, np.abs(lam).max(axis=-1, keepdims=True))
    zero = np.abs(lam) <= tol * scale
    neg = (lam < 0) & ~zero
    pos = (lam > 0) & ~zero
    n_neg, n_pos, n_zero = neg.sum(-1), pos.sum(-1), zero.sum(-1)
    gnorm = np.linalg.norm(g, axis=-1)
    d = pts.shape[-1]
    kind = np.where(n_pos == d, "minimum",
                    np.where(n_neg == d, "maximum",
                             np.where((n_neg > 0) & (n_pos > 0), "saddle", "degenerate")))
    kind = np.where(gnorm >= gtol, "not stationary", kind).astype(object)
    # sign convention: the largest component of each eigenvector is positive
    idx = np.argmax(np.abs(vec), axis=-2)[..., None, :]
    vec = vec * np.sign(np.take_along_axis(vec, idx, axis=-2))
    shape = batch
    result = Stationary(kind.reshape(shape), n_neg.reshape(shape), n_zero.reshape(shape),
                        lam.reshape(*shape, d), vec.reshape(*shape, d, d), gnorm.reshape(shape))
    if not shape:
        result = result._replace(kind=str(result.kind[()]), index=int(result.index),
                                 n_flat=int(result.n_flat), grad_norm=float(result.grad_norm))
    return result


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


# ----------------------------------------------------------------------------
# the SCF toy: unrestricted Hartree-Fock for the two-site Hubbard model
# ----------------------------------------------------------------------------
def hubbard_dimer_energy(angles, *, t: float = 1.0, U: float = 4.0):
    r"""Unrestricted Hartree-Fock energy of the half-filled two-site Hubbard model.

    Each spin :math:`\sigma` occupies one real orbital
    :math:`c_\sigma = (\cos\phi_\sigma, \sin\phi_\sigma)` on the two sites;
    with :math:`a_\sigma = \cos 2\phi_\sigma` (the site imbalance
    :math:`n_{1\sigma} - n_{2\sigma}`) and :math:`b_\sigma = \sin 2\phi_\sigma`
    (twice the bond order),

    .. math::

        E(\phi_\uparrow, \phi_\downarrow) = -t\,(b_\uparrow + b_\downarrow)
        + \frac U2 \left(1 + a_\uparrow a_\downarrow\right).

    The restricted solution :math:`\phi_\uparrow = \phi_\downarrow = \pi/4`
    has :math:`E_\mathrm{RHF} = -2t + U/2`; for :math:`U > 2t` it is a saddle
    and the spin-density wave :math:`a_\uparrow = -a_\downarrow = \sqrt{1 - 4t^2/U^2}`
    is lower, :math:`E_\mathrm{UHF} = -2t^2/U`.

    Parameters
    ----------
    angles : array_like, shape (..., 2)
        Orbital angles :math:`(\phi_\uparrow, \phi_\downarrow)`; numpy or JAX
        (the function is written in ``jax.numpy`` and can be differentiated).
    t : float
        Hopping :math:`t > 0`.
    U : float
        On-site repulsion :math:`U \ge 0`.

    Returns
    -------
    array, shape (...)

    Example
    -------
    >>> float(hubbard_dimer_energy(np.array([np.pi / 4, np.pi / 4]), t=1.0, U=4.0))
    0.0

    References
    ----------
    A. Szabo and N. S. Ostlund, Modern Quantum Chemistry (Dover, 1996), ch. 3.
    """
    t = check_positive("t", t)
    U = check_positive("U", U, allow_zero=True)
    if isinstance(angles, jax.Array):
        phi = angles
    else:
        phi = jnp.asarray(check_array("angles", angles, min_ndim=1, dtype="float"))
    if phi.shape[-1] != 2:
        raise ValueError(f"angles must have shape (..., 2) (phi_up, phi_down), got {phi.shape}")
    a, b = jnp.cos(2 * phi), jnp.sin(2 * phi)
    return -t * (b[..., 0] + b[..., 1]) + 0.5 * U * (1.0 + a[..., 0] * a[..., 1])


class SCFPath(NamedTuple):
    """The record of :func:`hubbard_dimer_scf`: angles (..., n_iter + 1, 2), energy (..., n_iter + 1)."""

    angles: np.ndarray
    energy: np.ndarray


def hubbard_dimer_scf(angles0, *, t: float = 1.0, U: float = 4.0, shift: float = 0.0,
                      n_iter: int = 50) -> SCFPath:
    r"""Roothaan SCF iteration, with optional level shift, for the UHF Hubbard dimer.

    Each iteration builds the Fock matrix of each spin from the density of
    the other, shifts the virtual level up by :math:`\mu`, and occupies the
    lowest orbital:

    .. math::

        F^\sigma = \begin{pmatrix} U n_{1\bar\sigma} & -t \\ -t & U n_{2\bar\sigma} \end{pmatrix}
        + \mu\,(1 - c_\sigma c_\sigma^{\mathsf T}),
        \qquad F^\sigma c_\sigma' = \varepsilon\, c_\sigma'.

    To first order the orbital rotates by
    :math:`\kappa = -F_{vo}/(\varepsilon_v - \varepsilon_o + \mu)`, the
    level-shifted Newton step. Without shift the iteration can 2-cycle
    (charge sloshing) instead of converging.

    Parameters
    ----------
    angles0 : array_like, shape (..., 2)
        Initial orbital angles :math:`(\phi_\uparrow, \phi_\downarrow)`.
    t, U : float
        Hopping and on-site repulsion.
    shift : float
        Level shift :math:`\mu \ge 0` (0: plain Roothaan iteration).
    n_iter : int
        Iterations.

    Returns
    -------
    SCFPath
        ``angles`` (in :math:`[0, \pi)`, shape (..., n_iter + 1, 2)) and the UHF
        ``energy`` (..., n_iter + 1) of every iterate.

    Example
    -------
    >>> run = hubbard_dimer_scf([0.6, 1.2], t=1.0, U=4.0, shift=1.0, n_iter=60)
    >>> round(float(run.energy[-1]), 8)
    -0.5

    References
    ----------
    C. C. J. Roothaan, Rev. Mod. Phys. 23, 69 (1951);
    V. R. Saunders and I. H. Hillier, Int. J. Quantum Chem. 7, 699 (1973).
    """
    phi = check_array("angles0", angles0, min_ndim=1, dtype="float")
    if phi.shape[-1] != 2:
        raise ValueError(f"angles0 must have shape (..., 2) (phi_up, phi_down), got {phi.shape}")
    t = check_positive("t", t)
    U = check_positive("U", U, allow_zero=True)
    mu = check_positive("shift", shift, allow_zero=True)
    n_iter = check_int("n_iter", n_iter, minimum=1)
    phi = np.mod(phi, np.pi)
    record = [phi]
    for _ in range(n_iter):
        c = np.stack([np.cos(phi), np.sin(phi)], axis=-1)            # (..., 2 spins, 2 sites)
        n_other = (c ** 2)[..., ::-1, :]                             # densities of the other spin
        fock = U * n_other[..., :, None] * np.eye(2) - t * (1 - np.eye(2))
        fock = fock + mu * (np.eye(2) - c[..., :, None] * c[..., None, :])
        _, vec = np.linalg.eigh(fock)
        phi = np.mod(np.arctan2(vec[..., 1, 0], vec[..., 0, 0]), np.pi)
        record.append(phi)
    angles = np.stack(record, axis=-2)
    return SCFPath(angles, np.asarray(hubbard_dimer_energy(angles, t=t, U=U)))


def hubbard_dimer_exact(*, t: float = 1.0, U: float = 4.0) -> float:
    r"""Exact ground-state energy of the half-filled two-site Hubbard model.

    .. math:: E_0 = \frac U2 - \sqrt{\frac{U^2}{4} + 4t^2}.

    Parameters
    ----------
    t, U : float
        Hopping and on-site repulsion.

    Returns
    -------
    float

    Example
    -------
    >>> round(hubbard_dimer_exact(t=1.0, U=0.0), 12)
    -2.0

    References
    ----------
    A. Szabo and N. S. Ostlund, Modern Quantum Chemistry (Dover, 1996), ch. 3.
    """
    t = check_positive("t", t)
    U = check_positive("U", U, allow_zero=True)
    return float(U / 2 - np.sqrt(U ** 2 / 4 + 4 * t ** 2))


# ----------------------------------------------------------------------------
# normal modes, receptance, PCA
# ----------------------------------------------------------------------------
class NormalModes(NamedTuple):
    """Squared frequencies (ascending) and mass-orthonormal mode shapes (columns)."""

    omega2: np.ndarray
    vectors: np.ndarray

    @property
    def omega(self) -> np.ndarray:
        """Angular frequencies; raises if a mode is unstable (negative omega2)."""
        if np.any(self.omega2 < 0):
            raise ValueError("some omega2 are negative (unstable modes): K is not positive "
                             "semi-definite, so there is no real frequency")
        return np.sqrt(self.omega2)


def _symmetric(name: str, value: Any) -> np.ndarray:
    arr = check_array(name, value, min_ndim=2, dtype="float")
    if arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    if not np.allclose(arr, np.swapaxes(arr, -1, -2), rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    return arr


def _cholesky_mass(M: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        raise ValueError("M must be positive definite (a mass matrix)") from None


def normal_modes(K, M=None) -> NormalModes:
    r"""Normal modes: the generalized eigenproblem :math:`K v = \omega^2 M v`.

    Small oscillations :math:`M\ddot x = -K x` decouple into modes
    :math:`x(t) = v_k \cos(\omega_k t + \varphi_k)`. The modes are
    :math:`M`-orthonormal, :math:`V^{\mathsf T} M V = 1`, and diagonalise
    the stiffness, :math:`V^{\mathsf T} K V = \mathrm{diag}(\omega_k^2)`.
    Solved by Cholesky reduction :math:`M = LL^{\mathsf T}`,
    :math:`L^{-1} K L^{-\mathsf T} w = \omega^2 w`, :math:`v = L^{-\mathsf T} w`.

    Parameters
    ----------
    K : array_like, shape (..., n, n)
        Symmetric stiffness (Hessian of the potential energy).
    M : array_like, shape (..., n, n), optional
        Symmetric positive-definite mass matrix (default: identity).

    Returns
    -------
    NormalModes
        ``omega2`` (..., n) ascending, ``vectors`` (..., n, n) with the modes
        as columns; the property ``omega`` gives the frequencies.

    Example
    -------
    >>> modes = normal_modes([[2.0, -1.0], [-1.0, 2.0]])
    >>> modes.omega2.tolist()
    [1.0, 3.0]

    References
    ----------
    H. Goldstein, C. Poole and J. Safko, Classical Mechanics, 3rd ed. (2002), ch. 6.
    """
    K = _symmetric("K", K)
    M = np.broadcast_to(np.eye(K.shape[-1]), K.shape) if M is None else _symmetric("M", M)
    if M.shape[-1] != K.shape[-1]:
        raise ValueError(f"M must have the same size as K ({K.shape[-1]}), got shape {M.shape}")
    L = _cholesky_mass(M)
    Linv = np.linalg.inv(L)
    A = Linv @ K @ np.swapaxes(Linv, -1, -2)
    w2, W = np.linalg.eigh(0.5 * (A + np.swapaxes(A, -1, -2)))
    V = np.swapaxes(Linv, -1, -2) @ W
    idx = np.argmax(np.abs(V), axis=-2)[..., None, :]
    V = V * np.sign(np.take_along_axis(V, idx, axis=-2))
    return NormalModes(w2, V)


def receptance(omega, K, M=None, damping: Any = 0.0) -> np.ndarray:
    r"""Receptance (dynamic compliance) as a sum over normal modes.

    For :math:`M\ddot x + C\dot x + Kx = f e^{i\omega t}` with Rayleigh
    damping :math:`C = \alpha M + \beta K`, the steady response is
    :math:`x = H(\omega) f` with

    .. math::

        H(\omega) = \left(K - \omega^2 M + i\omega C\right)^{-1}
        = \sum_k \frac{v_k v_k^{\mathsf T}}{\omega_k^2 - \omega^2 + i\omega(\alpha + \beta\omega_k^2)},

    a Lorentzian resonance at every mode frequency :math:`\omega_k`.

    Parameters
    ----------
    omega : float or array_like, shape (...)
        Driving angular frequencies.
    K, M : array_like, shape (n, n)
        Stiffness and mass (default identity), as in :func:`normal_modes`.
    damping : float or (float, float)
        :math:`\alpha` (mass-proportional damping rate) or the Rayleigh pair
        :math:`(\alpha, \beta)`, both :math:`\ge 0`.

    Returns
    -------
    numpy.ndarray of complex, shape (..., n, n)

    Example
    -------
    >>> H = receptance(0.0, [[4.0]], damping=0.1)
    >>> H[0, 0]
    np.complex128(0.25+0j)

    References
    ----------
    D. J. Ewins, Modal Testing: Theory, Practice and Application, 2nd ed. (2000), ch. 2.
    """
    w = check_array("omega", omega, dtype="float")
    if np.ndim(damping) == 0:
        alpha, beta = check_positive("damping", damping, allow_zero=True), 0.0
    else:
        pair = check_array("damping", damping, ndim=1, dtype="float")
        if pair.shape != (2,):
            raise ValueError(f"damping must be a float alpha or a pair (alpha, beta), got "
                             f"shape {pair.shape}")
        alpha = check_positive("damping[0]", pair[0], allow_zero=True)
        beta = check_positive("damping[1]", pair[1], allow_zero=True)
    K = _symmetric("K", K)
    if K.ndim != 2:
        raise ValueError(f"K must be a single (n, n) matrix, got shape {K.shape}")
    modes = normal_modes(K, M)
    w2, V = modes.omega2, modes.vectors
    denom = w2 - w[..., None] ** 2 + 1j * w[..., None] * (alpha + beta * w2)
    if np.any(np.abs(denom) == 0):
        raise ValueError("omega hits an undamped resonance exactly (H is infinite there); "
                         "add damping or move omega")
    return np.einsum("ik,...k,jk->...ij", V, 1.0 / denom, V)


class PCA(NamedTuple):
    """Principal components (rows), their variances (descending) and the data mean."""

    components: np.ndarray
    variances: np.ndarray
    mean: np.ndarray


def pca(X, n_components: int | None = None) -> PCA:
    r"""Principal component analysis by the singular-value decomposition.

    With centred data :math:`X_c = X - \bar x` (samples as rows) and
    :math:`X_c = U S V^{\mathsf T}`, the sample covariance is

    .. math::

        \Sigma = \frac{X_c^{\mathsf T} X_c}{n - 1}
        = V\,\frac{S^2}{n-1}\,V^{\mathsf T},

    so the principal directions (rows of :math:`V^{\mathsf T}`) are the
    eigenvectors of :math:`\Sigma` and the variances :math:`s_k^2/(n-1)` its
    eigenvalues: PCA modes are the normal modes of the data covariance.
    The SVD never forms :math:`\Sigma`, which keeps its accuracy when the
    spectrum spans many orders of magnitude.

    Parameters
    ----------
    X : array_like, shape (..., n_samples, n_features)
        Data, one sample per row (leading axes: independent data sets).
    n_components : int, optional
        Keep the leading components (default: all, ``min(n_samples, n_features)``).

    Returns
    -------
    PCA
        ``components`` (..., k, n_features), unit rows with the largest entry
        positive; ``variances`` (..., k) descending; ``mean`` (..., n_features).

    Example
    -------
    >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])
    >>> np.round(pca(X).variances, 12).tolist()
    [2.0, 0.0]

    References
    ----------
    K. Pearson, Phil. Mag. 2, 559 (1901); H. Hotelling, J. Educ. Psychol. 24, 417 (1933).
    """
    X = check_array("X", X, min_ndim=2, dtype="float")
    n, p = X.shape[-2:]
    if n < 2:
        raise ValueError(f"X must have at least 2 samples (rows), got {n}")
    k_max = min(n, p)
    k = k_max if n_components is None else check_int("n_components", n_components, minimum=1,
                                                      maximum=k_max)
    mean = X.mean(axis=-2)
    _, s, Vt = np.linalg.svd(X - mean[..., None, :], full_matrices=False)
    Vt = Vt[..., :k, :]
    idx = np.argmax(np.abs(Vt), axis=-1)[..., None]
    Vt = Vt * np.sign(np.take_along_axis(Vt, idx, axis=-1))
    return PCA(Vt, s[..., :k] ** 2 / (n - 1), mean)


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
