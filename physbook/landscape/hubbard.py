r"""The SCF toy: unrestricted Hartree-Fock for the two-site Hubbard model, and its exact ground state."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_array, check_int, check_positive

__all__ = [
    "hubbard_dimer_energy",
    "hubbard_dimer_scf",
    "hubbard_dimer_exact",
    "SCFPath",
]

# ----------------------------------------------------------------------------
# the SCF toy: unrestricted Hartree-Fock for the two-site Hubbard model
# ----------------------------------------------------------------------------
def hubbard_dimer_energy(angles, *, t: float = 1.0, U: float = 4.0) -> jax.Array:
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
