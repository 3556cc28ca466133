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
* modes: :func:`normal_modes` and :func:`receptance` (PCA, the normal modes of data,
  is :func:`physbook.stats.pca`);
* coarse-graining: :func:`generator`, :func:`relaxation_rates`,
  :func:`effective_rate` and :func:`first_passage_times` for continuous-time
  Markov chains.

Conventions: a loss is a Python callable mapping a parameter vector of shape
``(d,)`` to a scalar, written with ``jax.numpy`` so that JAX can
differentiate it. Starting points carry leading batch dimensions,
``x0[..., d]``; every walker runs independently in one jitted call.
"""
from __future__ import annotations

from .dynamics import (  # noqa: F401
    gradient_flow,
    langevin,
)
from .stationary import (  # noqa: F401
    stationary_points,
    classify,
    Stationary,
)
from .newton import (  # noqa: F401
    shifted_newton_step,
    shifted_newton,
    damped_newton,
    DampedPath,
)
from .hubbard import (  # noqa: F401
    hubbard_dimer_energy,
    hubbard_dimer_scf,
    hubbard_dimer_exact,
    SCFPath,
)
from .modes import (  # noqa: F401
    normal_modes,
    NormalModes,
    receptance,
)
from .markov import (  # noqa: F401
    generator,
    relaxation_rates,
    effective_rate,
    first_passage_times,
)

__all__ = [
    "gradient_flow",
    "langevin",
    "stationary_points",
    "classify",
    "Stationary",
    "shifted_newton_step",
    "shifted_newton",
    "damped_newton",
    "DampedPath",
    "hubbard_dimer_energy",
    "hubbard_dimer_scf",
    "hubbard_dimer_exact",
    "SCFPath",
    "normal_modes",
    "NormalModes",
    "receptance",
    "generator",
    "relaxation_rates",
    "effective_rate",
    "first_passage_times",
]
