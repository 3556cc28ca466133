r"""Normal modes and the receptance (driven, damped response) of a quadratic landscape."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

from .._validate import check_array, check_positive

__all__ = [
    "normal_modes",
    "NormalModes",
    "receptance",
]

# ----------------------------------------------------------------------------
# normal modes and receptance
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
