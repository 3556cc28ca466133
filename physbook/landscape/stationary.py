r"""Stationary points of a loss and their classification by the Hessian (minimum, saddle of index k, maximum)."""
from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive
from ._common import Loss, _check_loss, _points

__all__ = [
    "stationary_points",
    "classify",
    "Stationary",
]

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
