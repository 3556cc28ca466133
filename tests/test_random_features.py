"""The joint law L(N, D) of linear random-feature ridge regression (physbook._random_features, #29).

Theory limits against independent formulas, theory against simulation within Monte Carlo error
bars (with a stated precision), an exact finite-sample identity of the simulation, the
Chinchilla fit and its frontier on exact synthetic laws, and bad input.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

import physbook as pb
from physbook import _random_features as rf

M = 400
K = np.arange(1, M + 1)
LAM = K ** -1.5
POWER = K ** -2.5


def _kappa_df(lam, n):
    """kappa with sum lam/(lam+kappa) = n, by a root finder independent of the library's."""
    return float(np.exp(optimize.brentq(lambda u: np.sum(lam / (lam + np.exp(u))) - n, -80.0, 20.0,
                                        xtol=1e-14)))


# ----------------------------------------------------------------------------- theory limits

@pytest.mark.parametrize("ridge, noise", [(1e-3, 0.0), (1e-2, 0.05), (0.0, 0.01)])
def test_infinite_width_is_kernel_ridge_regression(ridge, noise):
    D = np.array([5, 30, 120, 350])
    th = rf.random_feature_theory(LAM, POWER, np.inf, D, ridge=ridge, noise=noise)
    lc = pb.scaling.learning_curve_theory(LAM, np.sqrt(POWER), D, ridge, noise)
    np.testing.assert_allclose(th.error, lc.error, rtol=1e-9)
    np.testing.assert_allclose(th.kappa, lc.kappa, rtol=1e-9)
    np.testing.assert_allclose(th.overfitting, lc.overfitting, rtol=1e-9)
    # and a very wide (finite) model approaches it like 1/N (variance-limited in the width)
    gap = rf.random_feature_theory(LAM, POWER, [1e5, 1e6], 120, ridge=ridge, noise=noise).error - th.error[2]
    assert 9.0 < gap[0] / gap[1] < 11.0


@pytest.mark.parametrize("n", [3, 20, 150])
def test_infinite_data_is_the_projection_error(n):
    kappa = _kappa_df(LAM, n)
    expected = np.sum(POWER * kappa / (LAM + kappa))
    for ridge in (0.0, 1e-2):            # the bare ridge delta/D vanishes as D -> infinity
        th = rf.random_feature_theory(LAM, POWER, n, np.inf, ridge=ridge, noise=0.3)
        np.testing.assert_allclose(th.error, expected, rtol=1e-9)
        np.testing.assert_allclose(th.kappa, kappa, rtol=1e-9)
    # the finite-D theory approaches it like 1/D (variance-limited in the data)
    e = rf.random_feature_theory(LAM, POWER, n, [1e5, 1e6], ridge=1e-3).error - expected
    assert 9.0 < e[0] / e[1] < 11.0


def test_ridgeless_double_descent_peak_at_n_equals_d():
    D = 100
    N = np.array([25, 50, 90, 100, 110, 200, 300])
    peaks = []
    for ridge in (1e-4, 1e-6, 1e-8):
        e = rf.random_feature_theory(LAM, POWER, N, D, ridge=ridge).error
        assert np.argmax(e) == 3                            # the peak sits at N = D
        peaks.append(e[3])
    # and grows like 1/sqrt(ridge) as ridge -> 0 (a factor 10 per factor 100)
    np.testing.assert_allclose(np.diff(np.log10(peaks)), 1.0, atol=0.05)
    assert peaks[2] > 300 * rf.random_feature_theory(LAM, POWER, 50, D, ridge=1e-8).error
    e0 = rf.random_feature_theory(LAM, POWER, N, D, ridge=0.0).error
    assert np.isinf(e0[3]) and np.all(np.isfinite(np.delete(e0, 3)))
    # ridgeless underparameterized (N < D): projection error times the OLS factor D/(D - N)
    kappa = _kappa_df(LAM, 50)
    np.testing.assert_allclose(e0[1], np.sum(POWER * kappa / (LAM + kappa)) * D / (D - 50), rtol=1e-9)


def test_theory_is_symmetric_in_what_it_should_be_and_broadcasts():
    N, D = np.array([10, 40, 160])[:, None], np.array([20, 80])[None, :]
    th = rf.random_feature_theory(LAM, POWER, N, D, ridge=1e-3, noise=0.1)
    assert th.error.shape == (3, 2)
    flat = rf.random_feature_theory(LAM, POWER, np.repeat([10, 40, 160], 2), np.tile([20, 80], 3),
                                    ridge=1e-3, noise=0.1)
    np.testing.assert_allclose(th.error.ravel(), flat.error, rtol=1e-12)
    np.testing.assert_allclose(th.test_mse - th.error, 0.1, rtol=1e-12)
    # the two renormalizations: delta/D <= kappa_F <= kappa, kappa_F = delta/(D - df1)
    df1 = np.sum(LAM / (LAM + th.kappa[..., None]), axis=-1)
    np.testing.assert_allclose(th.kappa_features, 1e-3 / (D - df1), rtol=1e-9)
    assert np.all(th.kappa >= th.kappa_features) and np.all(th.kappa_features >= 1e-3 / D)
    # zero-eigenvalue modes carry no signal but their power is never learned
    lam0, p0 = np.append(LAM, 0.0), np.append(POWER, 0.25)
    plain = rf.random_feature_theory(LAM, POWER, 40, 80, ridge=1e-3)
    np.testing.assert_allclose(rf.random_feature_theory(lam0, p0, 40, 80, ridge=1e-3).error,
                               plain.error + 0.25 * plain.overfitting, rtol=1e-9)


@pytest.mark.parametrize("alpha, gamma", [(2.0, 2.5), (1.5, 3.5)])
def test_asymptotic_exponents(alpha, gamma):
    k = np.arange(1, 40001)
    lam, p = k ** -alpha, k ** -gamma
    a, b = rf.random_feature_exponents(alpha, gamma)
    n = np.array([1000.0, 2000.0])
    eN = rf.random_feature_theory(lam, p, n, np.inf).error
    eD = rf.random_feature_theory(lam, p, np.inf, n, ridge=1e-12).error
    slope_N = -np.diff(np.log(eN))[0] / np.log(2)
    slope_D = -np.diff(np.log(eD))[0] / np.log(2)
    assert abs(slope_N - a) < 0.1, (slope_N, a)
    assert abs(slope_D - b) < 0.1, (slope_D, b)


# ----------------------------------------------------------------------------- simulation

def test_simulation_agrees_with_theory_within_error_bars():
    """Claim: away from the interpolation peak and for N >= 64 the deterministic equivalent equals
    the measured mean to 6 % (its finite-size corrections are a few % there), and the test can
    tell: each standard error is below 1.5 %, so a 6 % window is 4 or more standard errors wide."""
    N, D = np.array([64, 160])[:, None], np.array([24, 320])[None, :]
    sim = rf.random_feature_simulation(LAM, POWER, N, D, ridge=1e-2, noise=0.01, n_draws=600, seed=3)
    th = rf.random_feature_theory(LAM, POWER, N, D, ridge=1e-2, noise=0.01).error
    assert np.all(sim.error <= 0.015 * th), sim.error / th
    assert np.all(np.abs(sim.mean / th - 1) <= 0.06), sim.mean / th


def test_simulation_exact_identities():
    lam, p = LAM[:40], POWER[:40]
    # N, D >= M, no ridge, no noise: the fit recovers the teacher exactly
    exact = rf.random_feature_simulation(lam, p, 60, 80, ridge=0.0, n_draws=3, seed=1)
    assert np.all(exact.mean < 1e-18 * np.sum(p) + 1e-20)
    # pure noise, no ridge, N < D: ordinary least squares, E = sigma^2 N / (D - N - 1) exactly
    sigma2, n, d = 0.5, 10, 30
    ols = rf.random_feature_simulation(lam, 0.0 * p, n, d, noise=sigma2, n_draws=4000, seed=2)
    assert abs(ols.mean - sigma2 * n / (d - n - 1)) < 5 * ols.error
    assert ols.error < 0.02 * sigma2 * n / (d - n - 1)
    # seeds reproduce; grids broadcast; nested sizes come from the same draws
    a = rf.random_feature_simulation(lam, p, [4, 8], [[10], [20]], ridge=1e-2, n_draws=3, seed=5)
    b = rf.random_feature_simulation(lam, p, [4, 8], [[10], [20]], ridge=1e-2, n_draws=3, seed=5)
    assert a.mean.shape == (2, 2) and np.array_equal(a.mean, b.mean)


# ----------------------------------------------------------------------------- the joint law

def test_scaling_law_fit_recovers_an_exact_law_and_its_frontier():
    N, D = [x.ravel() for x in np.meshgrid(np.geomspace(10, 1000, 6), np.geomspace(10, 1e4, 7))]
    E = 0.02 + 3.0 * N ** -0.7 + 8.0 * D ** -1.1
    fit = rf.scaling_law_fit(N, D, E)
    got = [fit.irreducible.mean, fit.amplitude_features.mean, fit.exponent_features.mean,
           fit.amplitude_samples.mean, fit.exponent_samples.mean]
    np.testing.assert_allclose(got, [0.02, 3.0, 0.7, 8.0, 1.1], rtol=1e-6)
    np.testing.assert_allclose(fit.predict(N, D), E, rtol=1e-8)
    front = rf.compute_optimal(fit, [1e4, 1e6, 1e8])
    assert front.exponent_features.mean == pytest.approx(1.1 / 1.8, rel=1e-6)
    assert front.exponent_samples.mean == pytest.approx(0.7 / 1.8, rel=1e-6)
    np.testing.assert_allclose(front.n_features * front.n_samples, [1e4, 1e6, 1e8], rtol=1e-12)
    # N* is the minimum of the law on the iso-compute line N D = C
    n = front.n_features[1] * np.array([0.9, 1.0, 1.1])
    e = fit.predict(n, 1e6 / n)
    assert e[1] < e[0] and e[1] < e[2]


def test_scaling_law_fit_error_bars_cover_the_truth():
    rng = np.random.default_rng(0)
    N, D = [x.ravel() for x in np.meshgrid(np.geomspace(10, 1000, 5), np.geomspace(10, 1e4, 6))]
    E = 1.0 * N ** -0.8 + 4.0 * D ** -1.4
    pulls = []
    for _ in range(40):
        sig = 0.02 * E
        fit = rf.scaling_law_fit(N, D, E + sig * rng.standard_normal(E.size), error=sig,
                                 irreducible=0.0)
        pulls.append([(fit.exponent_features.mean - 0.8) / fit.exponent_features.error,
                      (fit.exponent_samples.mean - 1.4) / fit.exponent_samples.error])
        assert fit.irreducible.error == 0.0
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.6)          # unbiased to 0.6 sigma over 40 fits
    assert np.all((pulls.std(axis=0) > 0.6) & (pulls.std(axis=0) < 1.5))   # honest error bars


def test_compute_optimal_theory_follows_the_fitted_frontier():
    k = np.arange(1, 4001)
    lam, p = k ** -1.5, k ** -3.0
    C = np.geomspace(1e4, 1e6, 5)
    front = rf.compute_optimal_theory(lam, p, C, ridge=1e-6)
    e = rf.random_feature_theory(lam, p, front.n_features[:, None] * np.array([0.95, 1.0, 1.05]),
                                 C[:, None] / (front.n_features[:, None] * np.array([0.95, 1.0, 1.05])),
                                 ridge=1e-6).error
    assert np.all(e[:, 1] <= e[:, 0]) and np.all(e[:, 1] <= e[:, 2])
    assert np.all(np.diff(front.n_features) > 0) and np.all(np.diff(front.error) < 0)
    assert 0.4 < front.exponent_features.mean < 0.8
    assert front.exponent_samples.mean == pytest.approx(1 - front.exponent_features.mean)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, exc, match", [
    (lambda: rf.random_feature_theory(-LAM, POWER, 10, 10), ValueError, "eigenvalues"),
    (lambda: rf.random_feature_theory(LAM, POWER[:5], 10, 10), ValueError, "target_power"),
    (lambda: rf.random_feature_theory(LAM, POWER, 0, 10), ValueError, "n_features"),
    (lambda: rf.random_feature_theory(LAM, POWER, 10, np.nan), ValueError, "n_samples"),
    (lambda: rf.random_feature_theory(LAM, POWER, 10, 10, ridge=-1.0), ValueError, "ridge"),
    (lambda: rf.random_feature_theory(LAM, POWER, 10, 10, noise="x"), TypeError, "noise"),
    (lambda: rf.random_feature_simulation(LAM, POWER, 10.5, 10), TypeError, "n_features"),
    (lambda: rf.random_feature_simulation(LAM, POWER, 10, 10), ValueError, "ridge"),
    (lambda: rf.random_feature_simulation(LAM, POWER, 10, 20, n_draws=1), ValueError, "n_draws"),
    (lambda: rf.random_feature_simulation(np.append(LAM, 0), np.append(POWER, 0), 10, 20),
     ValueError, "eigenvalues"),
    (lambda: rf.random_feature_exponents(1.0, 3.0), ValueError, "alpha"),
    (lambda: rf.scaling_law_fit([1, 2], [1, 2], [1, 1]), ValueError, "at least"),
    (lambda: rf.scaling_law_fit([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, -1]),
     ValueError, "positive"),
    (lambda: rf.scaling_law_fit(np.arange(1, 7), np.arange(1, 7), np.ones(6), error=np.zeros(6)),
     ValueError, "error"),
    (lambda: rf.compute_optimal((1, 2), [10.0]), TypeError, "ScalingLawFit"),
    (lambda: rf.compute_optimal_theory(LAM, POWER, [0.5]), ValueError, "compute"),
])
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_api_conventions():
    """The checks of tests/test_api_conventions.py, by hand (the module is not public yet)."""
    import inspect
    for name in rf.__all__:
        obj = getattr(rf, name)
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, name
            for bad in ("key", "rng", "lr", "steps", "batch"):
                assert bad not in sig.parameters, name
            if "seed" in sig.parameters:
                assert sig.parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY
                assert sig.parameters["seed"].default is None
            assert obj.__doc__ and "Example" in obj.__doc__, name
        elif isinstance(obj, type) and hasattr(obj, "_fields"):
            assert not any(f.endswith(("_err", "_std", "_stderr")) for f in obj._fields), name
