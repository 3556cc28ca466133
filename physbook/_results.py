"""The one result type of every training function in physbook, and the one pytree helper.

Every ``train*`` function returns ``TrainResult(params, history)``: the trained
parameters (a NamedTuple pytree of the module) and what was recorded on the way
(a module-specific NamedTuple or array, documented by the function). It unpacks
like a pair, ``params, history = pb.boltzmann.train(...)``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax

__all__ = ["TrainResult", "pytree_dataclass"]


class TrainResult(NamedTuple):
    """Trained parameters and the training history (unpacks as ``params, history``)."""

    #: The trained parameters (a pytree of the module, e.g. ``boltzmann.RBM``).
    params: Any
    #: What the training recorded (losses, parameters per epoch, ...), documented per function.
    history: Any


def pytree_dataclass(*, meta_fields: tuple[str, ...] = ()):
    """Class decorator: a frozen dataclass registered as a JAX pytree.

    Parameter containers are NamedTuples (automatically pytrees) unless they need static
    metadata that ``jax.jit`` must not trace (an activation, a lattice size): then they are
    declared with this decorator, the one mechanism for that in physbook. Fields named in
    ``meta_fields`` are static; all others are traced leaves.
    """
    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        data = [f.name for f in dataclasses.fields(cls) if f.name not in meta_fields]
        jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=list(meta_fields))
        return cls
    return wrap
