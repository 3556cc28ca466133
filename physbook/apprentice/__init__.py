r"""AI as the physicist's apprentice: learning phases, surrogate-driven discovery, denoising signals, lensing.

Four applications of machine learning to physics, each next to the physics
baseline it must be measured against:

* Signals. :func:`chirp` (a Newtonian gravitational-wave inspiral), white
  noise at a chosen optimal SNR (:func:`add_noise`), the physics optimum for
  known templates (:func:`template_bank`, :func:`matched_filter`), the linear
  optimum for a known spectrum (:func:`wiener_filter`), and a small 1-D
  convolutional denoising autoencoder (:func:`train_denoiser`,
  :func:`denoise`) trained on simulated data; metrics :func:`overlap` and
  :func:`roc_curve`.
* Surrogates. :func:`bayes_opt`, Bayesian optimisation with a Gaussian-process
  surrogate (:mod:`physbook.gp`: RBF kernel, hyperparameters by marginal
  likelihood), and :func:`grid_calls`, the cost of the uniform grid it
  competes with.
* Phases. :func:`ising_dataset` from :mod:`physbook.ising`, classifiers
  trained far from :math:`T_c` (:func:`train_classifier`,
  :func:`phase_probability`, :func:`learn_phases` with a bootstrap over
  models), :func:`crossing_temperature`; unsupervised PCA is :func:`physbook.stats.pca`.
* Lensing. Ray tracing through point-mass and isothermal lenses with external
  shear (:class:`Lens`, :func:`ray_trace`, :func:`einstein_radius`), the lensing
  operator (:func:`lensing_operator`), the evidence-regularized source
  inversion (:func:`invert`) with a hand-written or a learned Gaussian prior
  (:func:`fit_source_prior`), and the Einstein radius by the evidence
  (:func:`fit_einstein_radius`) or by a learned regressor (:func:`fit_einstein_regressor`).

Networks are tiny JAX models trained with optax (float32); everything else is
float64. Randomness enters only through ``seed``.

References
----------
J. Carrasquilla and R. G. Melko, Nature Physics 13, 431 (2017); L. Wang,
Phys. Rev. B 94, 195105 (2016); D. R. Jones, M. Schonlau and W. J. Welch,
J. Global Optim. 13, 455 (1998); C. Cutler and E. E. Flanagan, Phys. Rev. D 49,
2658 (1994); D. George and E. A. Huerta, Phys. Lett. B 778, 64 (2018);
N. Wiener (1949); S. J. Warren and S. Dye, ApJ 590, 673 (2003); S. H. Suyu et al.,
MNRAS 371, 983 (2006).
"""
from __future__ import annotations

from . import signals, surrogates, phases, lensing
from .signals import *  # noqa: F401,F403  (each file's __all__)
from .surrogates import *  # noqa: F401,F403  (each file's __all__)
from .phases import *  # noqa: F401,F403  (each file's __all__)
from .lensing import *  # noqa: F401,F403  (each file's __all__)

# the public names, file by file (each file owns its __all__)
__all__ = [name for module in (signals, surrogates, phases, lensing,) for name in module.__all__]
