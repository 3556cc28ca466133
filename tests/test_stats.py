"""physbook.stats against processes whose autocorrelation time is known exactly."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physbook import stats


def ar1(phi, n, n_chains=1, seed=0):
    """x_t = phi x_{t-1} + noise: rho(t) = phi^t, tau_int = (1 + phi) / (2 (1 - phi))."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n_chains, n))
    x = np.empty_like(noise)
    x[:, 0] = noise[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, n):  # test helper: a loop over time is fine here
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def tau_exact(phi):
    return (1 + phi) / (2 * (1 - phi))


def test_autocorrelation_of_ar1_decays_geometrically():
    rho = stats.autocorrelation(ar1(0.8, 200_000)[0])
    assert rho[0] == 1.0
    np.testing.assert_allclose(rho[1:6], 0.8 ** np.arange(1, 6), atol=0.01)


def test_autocorrelation_constant_series_is_safe():
    rho = stats.autocorrelation(np.ones(10))
    assert rho[0] == 1 and np.all(rho[1:] == 0)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_integrated_time_matches_ar1(phi):
    x = ar1(phi, 100_000, seed=1)[0]
    assert stats.integrated_time(x) == pytest.approx(tau_exact(phi), rel=0.1)


def test_integrated_time_batches_and_pools():
    x = ar1(0.7, 50_000, n_chains=3, seed=2)
    taus = stats.integrated_time(x)
    assert taus.shape == (3,)
    np.testing.assert_allclose(taus, tau_exact(0.7), rtol=0.15)
    assert stats.integrated_time(x, pool_chains=True) == pytest.approx(tau_exact(0.7), rel=0.1)


def test_binning_error_matches_exact_error_of_ar1_mean():
    phi, n = 0.9, 2**17
    x = ar1(phi, n, seed=3)[0]
    r = stats.binning(x)
    exact = np.sqrt(2 * tau_exact(phi) / (1 - phi**2) / n)  # var(x) = 1/(1-phi^2)
    assert isinstance(r.estimate, stats.Estimate) and r.estimate.mean == pytest.approx(x.mean())
    assert r.estimate.error == pytest.approx(exact, rel=0.25)
    assert r.tau == pytest.approx(tau_exact(phi), rel=0.3)
    assert r.errors[0] < r.estimate.error  # the naive error underestimates


def test_mean_error_coverage_over_many_chains():
    """Error bars are honest: ~68% of independent estimates fall within one error of 0."""
    x = ar1(0.8, 4096, n_chains=400, seed=4)
    hits = [abs(est.mean) < est.error for est in (stats.mean_error(c) for c in x)]
    assert 0.58 < np.mean(hits) < 0.80
    naive_hits = [abs(e.mean) < e.error for e in (stats.mean_error(c, method="naive") for c in x)]
    assert np.mean(naive_hits) < 0.45  # the naive bar is too small for correlated data


def test_mean_error_pools_chains():
    x = ar1(0.5, 20_000, n_chains=4, seed=5)
    pooled = stats.mean_error(x, method="tau")
    single = [stats.mean_error(c, method="tau").error for c in x]
    assert pooled.error == pytest.approx(np.sqrt(np.sum(np.square(single))) / 4)
    assert pooled.mean == pytest.approx(x.mean())


def test_jackknife_of_variance_and_ratio():
    rng = np.random.default_rng(6)
    x = rng.normal(2.0, 1.0, size=20_000)
    est = stats.jackknife(lambda a: a.var(), x, n_blocks=50)
    assert abs(est.mean - 1.0) < 4 * est.error
    assert est.error == pytest.approx(np.sqrt(2 / 20_000), rel=0.3)  # var of sample variance = 2 s^4 / n
    ratio = stats.jackknife(lambda a, b: a.mean() / b.mean(), x, x + 2.0)
    assert abs(ratio.mean - 0.5) < 4 * ratio.error


def test_bootstrap_of_mean_matches_standard_error():
    rng = np.random.default_rng(7)
    x = rng.normal(size=2000)
    est = stats.bootstrap(x, np.mean, n_boot=500, seed=1)
    assert est.error == pytest.approx(x.std() / np.sqrt(2000), rel=0.15)
    assert stats.bootstrap(x, np.mean, seed=3) == stats.bootstrap(x, np.mean, seed=3)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=300))
def test_mean_error_naive_is_the_standard_error(values):
    x = np.array(values)
    est = stats.mean_error(x, method="naive")
    assert est.mean == pytest.approx(x.mean(), abs=1e-9)
    assert est.error == pytest.approx(x.std(ddof=1) / np.sqrt(len(x)), abs=1e-9)


def test_estimate_formatting_and_contains():
    e = stats.Estimate(1.23456, 0.0123)
    assert str(e) == "1.235 +/- 0.012"
    assert e.contains(1.26) and not e.contains(1.3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="x must have at least 2 samples"):
        stats.autocorrelation([1.0])
    with pytest.raises(ValueError, match="x must contain only finite values"):
        stats.mean_error([1.0, np.nan])
    with pytest.raises(ValueError, match="method must be one of"):
        stats.mean_error([1.0, 2.0], method="magic")
    with pytest.raises(ValueError, match="x must be one time series"):
        stats.binning(np.ones((2, 10)))
    with pytest.raises(ValueError, match="c must be a positive float"):
        stats.integrated_time([1.0, 2.0, 3.0], c=0)
    with pytest.raises(TypeError, match="statistic must be callable"):
        stats.jackknife(3, [1.0, 2.0])
    with pytest.raises(ValueError, match="same number of samples"):
        stats.jackknife(lambda a, b: 0.0, np.ones(10), np.ones(11))
    with pytest.raises(ValueError, match="n_blocks must be an integer <= 10"):
        stats.jackknife(np.mean, np.ones(10), n_blocks=20)
    with pytest.raises(ValueError, match="data must have at least 2 samples"):
        stats.bootstrap([1.0])


# --- check_close / check_bound / check_exact: the hidden-check helpers of the chapters ----------

def test_check_close_passes_and_returns_sigma():
    import jax.numpy as jnp
    assert stats.check_close("x", 0.51, 0.5, 0.01, within=0.1) == pytest.approx(1.0)
    assert stats.check_close("x", jnp.float64(0.5), np.float32(0.5), np.array([0.1]),
                             within_abs=0.5) == 0.0


def test_check_close_fails_outside_n_sigma():
    with pytest.raises(AssertionError, match=r"x: measured 0.6.*10.00 sigma > 5 sigma"):
        stats.check_close("x", 0.6, 0.5, 0.01, within=0.1)
    with pytest.raises(AssertionError):
        stats.check_close("x", 0.53, 0.5, 0.01, within=0.1, n_sigma=2.0)


def test_check_close_needs_a_claim_and_rejects_a_window_wider_than_it():
    with pytest.raises(TypeError, match="within= .*within_abs="):
        stats.check_close("x", 0.5, 0.5, 0.01)
    with pytest.raises(TypeError, match="exactly one"):
        stats.check_close("x", 0.5, 0.5, 0.01, within=0.1, within_abs=0.1)
    with pytest.raises(ValueError, match="within_abs"):
        stats.check_close("x", 0.0, 0.0, 0.01, within=0.1)
    # 5 x 0.01 = 0.05 is 10 % of 0.5: a 5 % claim is too strong for this error bar, even though
    # the value sits exactly on the expectation.
    with pytest.raises(stats.CheckTooWeak, match=r"wider than the claimed precision \+-5 %"):
        stats.check_close("x", 0.5, 0.5, 0.01, within=0.05)
    assert stats.check_close("x", 0.5, 0.5, 0.01, within=0.10) == 0.0
    with pytest.raises(ValueError, match="within must be"):
        stats.check_close("x", 0.5, 0.5, 0.01, within=-0.1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_check_close_rejects_nan(bad):
    with pytest.raises(ValueError, match="value must be finite"):
        stats.check_close("x", bad, 0.5, 0.01, within=0.2)
    with pytest.raises(ValueError, match="error"):
        stats.check_close("x", 0.5, 0.5, bad if bad != bad else -1.0, within=0.2)


def test_check_exact():
    assert stats.check_exact("id", 1.0 + 1e-13, 1.0, within=1e-12) == pytest.approx(0.1, rel=1e-3)
    with pytest.raises(AssertionError, match="id: got 1.01"):
        stats.check_exact("id", 1.01, 1.0, within_abs=1e-3)
    with pytest.raises(TypeError, match="precision"):
        stats.check_exact("id", 1.0, 1.0)


def test_check_bound_margins_and_failures():
    assert stats.check_bound("r", 3.0, lower=2.0, error=0.25, margin=1.5) == pytest.approx(4.0)
    assert stats.check_bound("r", 3.0, upper=4.0, margin=2.0) == pytest.approx(0.5)
    with pytest.raises(AssertionError, match="required > 2"):
        stats.check_bound("r", 1.0, lower=2.0, error=0.25, margin=0.5)
    with pytest.raises(AssertionError, match="3 required"):
        stats.check_bound("r", 2.5, lower=2.0, error=0.25, n_sigma=3.0, margin=0.5)
    with pytest.raises(ValueError, match="lower, upper or both"):
        stats.check_bound("r", 1.0, margin=0.5)
    with pytest.raises(TypeError, match="margin="):
        stats.check_bound("r", 3.0, lower=2.0)


def _rows(log):
    import json
    return {r["name"]: r for r in map(json.loads, log.read_text().splitlines())}


def test_check_log_records_margins(tmp_path, monkeypatch):
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("PHYSBOOK_CHECK_LOG", str(log))
    stats.check_close("a", 1.02, 1.0, 0.01, within=0.05)
    with pytest.raises(AssertionError):
        stats.check_bound("b", 0.5, lower=1.0, margin=0.1)
    rows = _rows(log)
    assert list(rows) == ["a", "b"]
    assert rows["a"]["margin_sigma"] == pytest.approx(3.0) and rows["a"]["passed"]
    assert not rows["b"]["passed"]


def test_check_log_slack_is_uniform_across_kinds(tmp_path, monkeypatch):
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("PHYSBOOK_CHECK_LOG", str(log))
    stats.check_close("close", 1.02, 1.0, 0.01, within=0.05)                 # z = 2, slack 3
    stats.check_bound("bound", 3.0, lower=2.0, error=0.25, n_sigma=1.0, margin=1)  # slack 3
    stats.check_bound("rel", 3.0, upper=4.0, margin=2.0)                     # half the margin
    rows = _rows(log)
    assert rows["close"]["kind"] == "close" and rows["close"]["z"] == pytest.approx(2.0)
    assert rows["bound"]["margin_sigma"] == pytest.approx(3.0) and rows["bound"]["z"] == pytest.approx(4.0)
    assert rows["bound"]["unit"] == "sigma" and rows["close"]["unit"] == "sigma"
    assert rows["rel"]["unit"] == "relative" and rows["rel"]["margin_sigma"] is None
    assert rows["rel"]["margin_relative"] == pytest.approx(0.5)


def test_mutation_detection_is_logged(tmp_path, monkeypatch):
    """A check detects its mutation (expected moved by 2 x the claim, or a bound moved by its
    margin) unless its window or its bound is loose."""
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("PHYSBOOK_CHECK_LOG", str(log))
    stats.check_close("tight", 1.01, 1.0, 0.004, within=0.02)   # window 0.02: 0.96/1.04 fail
    stats.check_exact("exact", 1.0, 1.0, within=1e-9)
    stats.check_bound("sharp", 3.0, lower=2.0, error=0.25, n_sigma=2.0, margin=1.0)
    stats.check_bound("loose", 3.0, lower=0.0, error=0.25, n_sigma=2.0, margin=1.0)
    stats.check_bound("two-sided", 0.5, lower=0.4, upper=10.0, margin=0.2)
    rows = _rows(log)
    assert rows["tight"]["detected"] and rows["exact"]["detected"] and rows["sharp"]["detected"]
    assert not rows["loose"]["detected"]          # 3 - 0.5 = 2.5 > 1: the bound 0 cannot fail
    assert not rows["two-sided"]["detected"]      # the upper side 10 is not a claim
    assert rows["tight"]["claim"] == "+-2 %" and rows["tight"]["window"] == pytest.approx(0.02)


@given(value=st.floats(-10, 10), expected=st.floats(0.1, 10), error=st.floats(1e-3, 1.0),
       within=st.floats(0.01, 1.0))
def test_check_close_window_never_wider_than_the_claim(value, expected, error, within):
    """Property: whenever check_close passes, |value - expected| <= within |expected|, so a
    passing check never admits a result the sentence rules out."""
    try:
        stats.check_close("p", value, expected, error, within=within)
    except AssertionError:
        return
    assert abs(value - expected) <= within * abs(expected) * (1 + 1e-9)


# --------------------------------------------------------------------------- issue 18: shared analysis

def test_jackknife_of_a_vector_statistic_equals_elementwise_jackknives():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4000)).cumsum(axis=1) * 0.01 + rng.normal(size=(2, 4000))
    vec = stats.jackknife(lambda a: np.array([a[0].var(), a[1].mean(), (a[0] * a[1]).mean()]), x)
    assert vec.mean.shape == (3,) and vec.error.shape == (3,)
    for k, f in enumerate((lambda a: a[0].var(), lambda a: a[1].mean(), lambda a: (a[0] * a[1]).mean())):
        one = stats.jackknife(f, x)
        assert vec.mean[k] == pytest.approx(one.mean, rel=1e-12)
        assert vec.error[k] == pytest.approx(one.error, rel=1e-12)
    assert str(vec).startswith("[") and str(vec).count("+/-") == 3   # value +/- error per entry


def test_power_law_fit_recovers_exponent_and_its_error_bar():
    # exact power law: exact exponent, zero error
    x = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
    fit = stats.power_law_fit(x, 5.0 * x ** -1.5)
    assert fit.exponent.mean == pytest.approx(-1.5, abs=1e-12) and fit.exponent.error < 1e-10
    assert fit.amplitude.mean == pytest.approx(5.0, rel=1e-12)
    # noisy data with known errors: the exponent is within 5 of its standard errors over many draws,
    # and the pulls have unit spread (the error bar is honest)
    rng = np.random.default_rng(0)
    err = 0.05 * 5.0 * x ** -1.5
    pulls = []
    for _ in range(400):
        y = 5.0 * x ** -1.5 + err * rng.normal(size=x.size)
        f = stats.power_law_fit(x, y, error=err)
        pulls.append((f.exponent.mean + 1.5) / f.exponent.error)
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls) < 5)
    assert 0.8 < pulls.std() < 1.1          # <= 1: chi2/dof < 1 draws keep the nominal error
    # the same as numpy's unweighted log-log polyfit when no errors are given
    y = 3.0 * x ** 0.7 * np.exp(0.1 * rng.normal(size=x.size))
    assert stats.power_law_fit(x, y).exponent.mean == pytest.approx(np.polyfit(np.log(x), np.log(y), 1)[0])


def test_crossing_linear_quadratic_and_bootstrap():
    x = np.linspace(0.0, 1.0, 11)
    assert stats.crossing(x, 1.0 - 2.0 * x).mean == pytest.approx(0.5)
    assert stats.crossing(x, 1.0 - 2.0 * x).error == np.inf    # no error bar without errors
    assert stats.crossing(x, 2.0 * x - 1.0, direction="up").mean == pytest.approx(0.5)
    with pytest.raises(ValueError, match="never crosses"):
        stats.crossing(x, 2.0 * x - 1.0, direction="down")
    # a quadratic through its root is found exactly by degree=2, and linear interpolation is biased
    y = (x - 0.33) * (x + 1.0)
    assert stats.crossing(x, y, degree=2).mean == pytest.approx(0.33, abs=1e-12)
    assert abs(stats.crossing(x, y).mean - 0.33) > 1e-4
    # bootstrap error: the spread of the crossing under noise of the stated size
    err = np.full(x.size, 0.01)
    est = stats.crossing(x, 1.0 - 2.0 * x, error=err, degree=2, seed=1)
    assert est.mean == pytest.approx(0.5, abs=1e-12)
    rng = np.random.default_rng(2)
    spread = np.std([stats.crossing(x, 1.0 - 2.0 * x + err * rng.normal(size=x.size), degree=2).mean
                     for _ in range(400)])
    assert est.error == pytest.approx(spread, rel=0.2)
    assert stats.crossing(x, 1.0 - 2.0 * x, error=err, degree=2, seed=1) == est   # reproducible
    # first and last crossing
    wave = np.sin(2 * np.pi * 1.5 * x + 0.3)
    first, last = stats.crossing(x, wave).mean, stats.crossing(x, wave, which="last").mean
    assert first < last


def test_pca_scores_and_ratios():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) * np.array([3.0, 1.0, 0.2])
    p = stats.pca(X, 2)
    np.testing.assert_allclose(p.scores, (X - X.mean(0)) @ p.components.T, atol=1e-12)
    assert p.explained_variance_ratio.sum() < 1 and p.explained_variance_ratio[0] > 0.85
    np.testing.assert_allclose(p.variances, p.scores.var(axis=0, ddof=1), rtol=1e-10)


def test_analysis_bad_input():
    with pytest.raises(ValueError, match="positive"):
        stats.power_law_fit([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="error"):
        stats.power_law_fit([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], error=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="increasing"):
        stats.crossing([1.0, 0.5], [1.0, -1.0])
    with pytest.raises(ValueError, match="which"):
        stats.crossing([0.0, 1.0], [1.0, -1.0], which="middle")
    with pytest.raises(ValueError, match="window"):
        stats.crossing(np.arange(5.0), np.arange(5.0) - 2, degree=2, window=(0.5, 1.5))


# ----------------------------------------------------------------------------- crossing_point
def test_crossing_point_of_two_lines_is_exact_and_its_error_matches_propagation():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    a = stats.Estimate(0.5 - 0.1 * x, np.full(4, 1e-3))          # crosses b at x = 1.5, y = 0.35
    b = stats.Estimate(0.8 - 0.3 * x, np.full(4, 1e-3))
    cp = stats.crossing_point(x, a, b, n_boot=4000, seed=0)
    assert abs(cp.x.mean - 1.5) < 1e-12 and abs(cp.y.mean - 0.35) < 1e-12 and cp.rate == 1.0
    # linear error propagation at the bracket midpoint: x = 1.5 with d = (b - a) falling by 0.2 per unit;
    # var(d at t = 1/2) = 2 * (e^2/4 + e^2/4) = e^2, so sd(x) = e / 0.2
    assert abs(cp.x.error - 1e-3 / 0.2) < 0.1 * 1e-3 / 0.2


def test_crossing_point_rejects_bad_input():
    x = np.array([0.0, 1.0, 2.0])
    up = stats.Estimate(np.array([0.0, 1.0, 2.0]), np.full(3, 0.1))
    down = stats.Estimate(np.array([2.0, 1.0, 0.0]), np.full(3, 0.1))
    with pytest.raises(ValueError, match="no crossing"):
        stats.crossing_point(x, down, up)                      # b starts below a
    with pytest.raises(TypeError, match="Estimate"):
        stats.crossing_point(x, (up.mean, up.error), down)
    with pytest.raises(ValueError, match="x must be strictly increasing"):
        stats.crossing_point(x[::-1], up, down)
    with pytest.raises(ValueError, match="b must hold 3 values"):
        stats.crossing_point(x, up, stats.Estimate(np.zeros(2), np.zeros(2)))


def test_estimate_prints_scalars_and_arrays_as_value_plus_error():
    assert str(stats.Estimate(1.2345, 0.012)) == "1.234 +/- 0.012"
    assert str(stats.Estimate(np.array([1.0, 2.0]), np.array([0.1, 0.25]))) == \
        "[1.00 +/- 0.10, 2.00 +/- 0.25]"
    long = str(stats.Estimate(np.arange(20.0), np.full(20, 0.5)))
    assert long.startswith("[0.00 +/- 0.50, 1.00 +/- 0.50, 2.00 +/- 0.50, ...") and "19.00" in long


def test_two_point_power_law_without_errors_has_no_error_bar():
    fit = stats.power_law_fit([1.0, 2.0], [1.0, 0.25])
    assert fit.exponent.mean == pytest.approx(-2.0) and fit.exponent.error == np.inf
