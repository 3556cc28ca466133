r"""Shared pieces of :mod:`physbook.landscape`: the loss type and the boundary checks."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_array

__all__ = [
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
