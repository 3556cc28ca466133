"""Argument checks shared by every public function of physbook.

Validation happens once, at the public boundary, and the error names the
argument, the value received and what is allowed, in the style of
scikit-learn: ``ValueError: T must be a positive float, got -1.0``.
Kernels behind the boundary assume their inputs are valid.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import jax
import numpy as np

__all__ = [
    "is_tracer",
    "check_real",
    "check_positive",
    "check_probability",
    "check_int",
    "check_choice",
    "check_array",
    "check_spins",
    "check_binary",
    "check_shape",
]


def is_tracer(*values: Any) -> bool:
    """True if any value is a JAX tracer (the function is being traced by ``jax.jit``/``grad``).

    Validation lets tracers through: their shapes are checked, their values cannot be.
    This is the one place in physbook that knows what a tracer is.
    """
    return any(isinstance(v, jax.core.Tracer) for v in values)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_real(name: str, value: Any, *, low: float | None = None,
               high: float | None = None, low_inclusive: bool = True,
               high_inclusive: bool = True) -> float:
    """Return ``value`` as a finite Python float, optionally inside [low, high].

    Raises ``TypeError`` for non-numbers (bools included) and ``ValueError``
    for NaN, infinities and values outside the interval. A JAX tracer is
    returned unchanged (its value is unknown while tracing).
    """
    if is_tracer(value):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if low is not None and (x < low or (x == low and not low_inclusive)):
        bracket = "[" if low_inclusive else "("
        upper = "inf)" if high is None else f"{high}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be in {bracket}{low}, {upper}, got {x!r}")
    if high is not None and (x > high or (x == high and not high_inclusive)):
        lower = "(-inf" if low is None else f"{'[' if low_inclusive else '('}{low}"
        raise ValueError(
            f"{name} must be in {lower}, {high}{']' if high_inclusive else ')'}, got {x!r}")
    return x


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float that is > 0 (or >= 0 with ``allow_zero``)."""
    x = check_real(name, value)
    if x < 0 or (x == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} float, got {x!r}")
    return x


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1]."""
    return check_real(name, value, low=0.0, high=1.0)


def check_int(name: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as a Python int in [minimum, maximum].

    Integral floats such as ``10.0`` are refused: a count given as a float is
    usually a bug upstream.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    n = int(value)
    if minimum is not None and n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n}")
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {n}")
    return n


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_array(name: str, value: Any, *, ndim: int | None = None,
                min_ndim: int | None = None, dtype: str | None = None,
                finite: bool = True) -> np.ndarray:
    """Return ``value`` as a numpy array after checking rank, kind and finiteness.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    value : array_like
        The argument. JAX arrays are accepted and converted.
    ndim, min_ndim : int, optional
        Exact or minimal number of dimensions.
    dtype : {"float", "int", None}
        ``"float"`` accepts integer and float input and returns float64;
        ``"int"`` requires integer (or boolean) input.
    finite : bool
        Refuse NaN and infinities (float input only).

    A JAX tracer has its rank checked and is returned unchanged (values, and hence
    finiteness, cannot be checked while tracing).
    """
    if is_tracer(value):
        if ndim is not None and value.ndim != ndim:
            raise ValueError(f"{name} must have {ndim} dimension(s), got shape {value.shape}")
        if min_ndim is not None and value.ndim < min_ndim:
            raise ValueError(
                f"{name} must have at least {min_ndim} dimension(s), got shape {value.shape}")
        return value
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - re-raised with the argument's name
        raise TypeError(f"{name} must be array-like, got {_describe(value)}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got {_describe(value)}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if dtype == "float":
        arr = arr.astype(np.float64, copy=False)
    elif dtype == "int" and arr.dtype.kind not in "biu":
        raise TypeError(f"{name} must have an integer dtype, got {arr.dtype}")
    elif dtype not in (None, "float", "int"):
        raise ValueError(f"dtype must be 'float', 'int' or None, got {dtype!r}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def check_spins(name: str, value: Any, *, min_ndim: int = 1) -> np.ndarray:
    """Return ``value`` as an int8 array whose entries are all -1 or +1."""
    arr = check_array(name, value, min_ndim=min_ndim)
    if is_tracer(arr):
        return arr
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must contain only -1 and +1 (spins/neurons)")
    return arr.astype(np.int8, copy=False)


def check_binary(name: str, value: Any, *, min_ndim: int = 1) -> np.ndarray:
    """Return ``value`` as a float64 array whose entries are all 0 or 1."""
    arr = check_array(name, value, min_ndim=min_ndim)
    if is_tracer(arr):
        return arr
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only 0 and 1 (binary units)")
    return arr.astype(np.float64, copy=False)


def check_shape(name: str, value: Any) -> tuple[int, ...]:
    """Return ``value`` (an int or a sequence of ints) as a shape tuple of positive ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {_describe(value)}") from None
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"{name} must contain positive integers, got {shape!r}")
    return tuple(int(n) for n in shape)
