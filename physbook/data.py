"""Small data sets made in code (or shipped inside an installed package): no downloads.

* :func:`letters` - capital letters as 7 x 5 pixel patterns in {-1, +1} (Hopfield).
* :func:`bars_and_stripes` - the classic toy distribution for Boltzmann machines.
* :func:`binarized_digits` - scikit-learn's bundled 8 x 8 digits, thresholded to {0, 1}.
* :func:`train_test_split` - a seeded split of rows.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_array, check_int, check_probability, check_real
from .random import Seed, as_generator

__all__ = ["FONT_SHAPE", "letters", "bars_and_stripes", "binarized_digits", "train_test_split"]

#: (rows, columns) of one letter pattern.
FONT_SHAPE = (7, 5)

_FONT = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
}


def letters(text: str, *, scale: int = 1) -> np.ndarray:
    """Return the letters of ``text`` as pixel patterns with +1 for ink and -1 for paper.

    Parameters
    ----------
    text : str
        Capital letters A-Z and spaces (lower case is upper-cased).
    scale : int
        Each pixel becomes a ``scale x scale`` block (patterns of 7s x 5s).

    Returns
    -------
    numpy.ndarray of int8, shape (len(text), 7*scale, 5*scale)

    Example
    -------
    >>> letters("CAT").shape
    (3, 7, 5)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError("text must contain at least one letter")
    scale = check_int("scale", scale, minimum=1)
    bad = sorted({ch for ch in text.upper() if ch not in _FONT})
    if bad:
        raise ValueError(f"text may contain only letters A-Z and spaces, got {''.join(bad)!r}")
    rows = [[[1 if p == "#" else -1 for p in row] for row in _FONT[ch].split()] for ch in text.upper()]
    out = np.array(rows, dtype=np.int8)
    return np.kron(out, np.ones((1, scale, scale), dtype=np.int8)) if scale > 1 else out


def bars_and_stripes(n: int) -> np.ndarray:
    """All distinct n x n bars-and-stripes images (MacKay 2003), flattened, in {0, 1}.

    Each image has every row constant (bars) or every column constant
    (stripes); there are ``2 * 2**n - 2`` distinct ones (all-0 and all-1
    appear once).

    Returns
    -------
    numpy.ndarray of float64, shape (2**(n+1) - 2, n*n)

    Example
    -------
    >>> bars_and_stripes(3).shape
    (14, 9)
    """
    n = check_int("n", n, minimum=1, maximum=5)
    bits = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)
    bars = np.repeat(bits[:, :, None], n, axis=2)
    stripes = np.repeat(bits[:, None, :], n, axis=1)
    images = np.concatenate([bars, stripes[1:-1]]).reshape(-1, n * n)
    return images


def binarized_digits(threshold: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8 x 8 handwritten digits (1797 images), thresholded to {0, 1}.

    Parameters
    ----------
    threshold : float
        A pixel (intensity 0-16) is 1 when its value exceeds ``threshold``.

    Returns
    -------
    X : numpy.ndarray of float64, shape (1797, 64)
    y : numpy.ndarray of int, shape (1797,)

    Example
    -------
    >>> X, y = binarized_digits()
    >>> X.shape, sorted(set(X.ravel().tolist()))
    ((1797, 64), [0.0, 1.0])
    """
    threshold = check_real("threshold", threshold, low=0.0, high=16.0)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.data > threshold).astype(np.float64), digits.target.astype(int)


def train_test_split(X, y=None, *, test_fraction: float = 0.2, seed: Seed = None) -> tuple:
    """Shuffle rows with ``seed`` and split them; returns (X_train, X_test[, y_train, y_test])."""
    X = check_array("X", X, min_ndim=1)
    test_fraction = check_probability("test_fraction", test_fraction)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    perm = as_generator(seed).permutation(X.shape[0])
    n_test = max(1, int(round(test_fraction * X.shape[0])))
    test, train = perm[:n_test], perm[n_test:]
    if y is None:
        return X[train], X[test]
    y = check_array("y", y, min_ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have as many rows as X ({X.shape[0]}), got {y.shape[0]}")
    return X[train], X[test], y[train], y[test]
