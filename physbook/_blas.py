"""One BLAS thread for small dense linear algebra (private; used by lensing and the joint law).

The matrices of :mod:`physbook.apprentice.lensing` (10^2-10^3 rows) and of the random-feature
simulation (10^1-10^3 rows) gain little from a second BLAS thread on an idle machine, and on a busy
2-core machine OpenBLAS's spinning second thread made the generalized ``eigh`` 10-100x and the
small solves 20x slower (measured).
"""
from __future__ import annotations

import contextlib
import functools

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - scikit-learn, a dependency, brings threadpoolctl
    threadpool_limits = None


def one_blas_thread(fn):
    """Decorator: run ``fn`` with BLAS/LAPACK limited to one thread."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        limit = threadpool_limits(1, user_api="blas") if threadpool_limits else contextlib.nullcontext()
        with limit:
            return fn(*args, **kwargs)
    return wrapper
