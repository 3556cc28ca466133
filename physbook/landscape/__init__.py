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

from . import dynamics, stationary, newton, hubbard, modes, markov
from .dynamics import *  # noqa: F401,F403  (each file's __all__)
from .stationary import *  # noqa: F401,F403  (each file's __all__)
from .newton import *  # noqa: F401,F403  (each file's __all__)
from .hubbard import *  # noqa: F401,F403  (each file's __all__)
from .modes import *  # noqa: F401,F403  (each file's __all__)
from .markov import *  # noqa: F401,F403  (each file's __all__)

# the public names, file by file (each file owns its __all__)
__all__ = [name for module in (dynamics, stationary, newton, hubbard, modes, markov,) for name in module.__all__]
