import numpy as np
import pytest

from physbook import _validate as v


def test_check_real_accepts_numbers_and_0d_arrays():
    assert v.check_real("T", 2) == 2.0
    assert v.check_real("T", np.float32(1.5)) == 1.5
    assert v.check_real("T", np.array(3.0)) == 3.0


@pytest.mark.parametrize("bad", ["1", None, True, [1.0], np.ones(2)])
def test_check_real_type_errors_name_the_argument(bad):
    with pytest.raises(TypeError, match="T must be a real number"):
        v.check_real("T", bad)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_real_refuses_non_finite(bad):
    with pytest.raises(ValueError, match="T must be finite"):
        v.check_real("T", bad)


def test_check_real_interval():
    assert v.check_real("p", 0.0, low=0.0, high=1.0) == 0.0
    with pytest.raises(ValueError, match=r"p must be in \(0.0, 1.0\], got 0.0"):
        v.check_real("p", 0.0, low=0.0, high=1.0, low_inclusive=False)
    with pytest.raises(ValueError, match=r"p must be in \[0.0, 1.0\], got 1.5"):
        v.check_real("p", 1.5, low=0.0, high=1.0)


def test_check_positive_message_matches_style():
    with pytest.raises(ValueError, match=r"^T must be a positive float, got -1.0$"):
        v.check_positive("T", -1.0)
    with pytest.raises(ValueError, match="positive"):
        v.check_positive("T", 0.0)
    assert v.check_positive("T", 0.0, allow_zero=True) == 0.0


def test_check_int():
    assert v.check_int("n", np.int64(5), minimum=1) == 5
    with pytest.raises(TypeError, match="n must be an integer, got 5.0"):
        v.check_int("n", 5.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        v.check_int("n", True)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        v.check_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match="n must be an integer <= 3, got 4"):
        v.check_int("n", 4, maximum=3)


def test_check_choice():
    assert v.check_choice("rule", "sync", ("sync", "async")) == "sync"
    with pytest.raises(ValueError, match="rule must be one of 'sync', 'async'; got 'x'"):
        v.check_choice("rule", "x", ("sync", "async"))


def test_check_array():
    a = v.check_array("x", [[1, 2], [3, 4]], ndim=2, dtype="float")
    assert a.dtype == np.float64 and a.shape == (2, 2)
    with pytest.raises(ValueError, match=r"x must have 1 dimension\(s\), got shape \(2, 2\)"):
        v.check_array("x", a, ndim=1)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        v.check_array("x", [1.0, np.nan])
    with pytest.raises(TypeError, match="x must be a numeric array"):
        v.check_array("x", ["a", "b"])
    with pytest.raises(TypeError, match="x must have an integer dtype"):
        v.check_array("x", [1.5], dtype="int")
    with pytest.raises(ValueError, match="at least 3 dimension"):
        v.check_array("x", a, min_ndim=3)


def test_check_spins_and_binary():
    s = v.check_spins("spins", [[1, -1], [-1, 1]])
    assert s.dtype == np.int8
    with pytest.raises(ValueError, match="spins must contain only -1 and \\+1"):
        v.check_spins("spins", [1, 0])
    assert v.check_binary("v", [0, 1, 1]).dtype == np.float64
    with pytest.raises(ValueError, match="v must contain only 0 and 1"):
        v.check_binary("v", [0, -1])


def test_check_shape():
    assert v.check_shape("shape", 4) == (4,)
    assert v.check_shape("shape", (2, 3)) == (2, 3)
    with pytest.raises(ValueError, match="shape must contain positive integers"):
        v.check_shape("shape", (2, 0))
    with pytest.raises(TypeError, match="shape must be an int or a tuple"):
        v.check_shape("shape", 2.5)
