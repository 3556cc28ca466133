"""Tests of physbook.apprentice.lensing: closed forms, ray tracing, the lensing operator, inversion."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

import physbook.apprentice as ap

IN, IW, SN, SW = 24, 3.2, 12, 1.6
coords = st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 0.05)


# ----------------------------------------------------------------------------- closed forms
@settings(max_examples=40, deadline=None)
@given(coords, coords, st.floats(0.2, 3.0))
def test_point_and_sis_deflection_closed_forms(x, y, te):
    r = np.hypot(x, y)
    a_point = ap.deflection(ap.Lens(te, "point"), x, y)
    a_sis = ap.deflection(ap.Lens(te, "sis"), x, y)
    np.testing.assert_allclose(a_point, te ** 2 / r ** 2 * np.array([x, y]), rtol=1e-12)
    np.testing.assert_allclose(np.hypot(*a_sis), te, rtol=1e-12)      # SIS: constant |alpha| = theta_E
    np.testing.assert_allclose(a_sis[0] * y - a_sis[1] * x, 0.0, atol=1e-12)   # radial


def test_shear_and_centre():
    lens = ap.Lens(1.0, "sis", x0=0.3, y0=-0.2, gamma1=0.1, gamma2=-0.05)
    x, y = np.array([1.3, -0.7]), np.array([0.5, 0.9])
    base = ap.deflection(ap.Lens(1.0, "sis"), x - 0.3, y + 0.2)
    dx, dy = x - 0.3, y + 0.2
    np.testing.assert_allclose(ap.deflection(lens, x, y),
                               base + np.array([0.1 * dx - 0.05 * dy, -0.05 * dx - 0.1 * dy]), rtol=1e-12)
    np.testing.assert_allclose(ap.lens_equation(lens, x, y), np.array([x, y]) - ap.deflection(lens, x, y))


@pytest.mark.parametrize("profile", ["point", "sis"])
def test_magnification_is_the_inverse_jacobian_of_the_lens_equation(profile):
    lens = ap.Lens(0.9, profile, x0=0.1, gamma1=0.07, gamma2=0.03)
    x, y, h = np.array([1.4, -0.6, 0.3]), np.array([0.2, 1.1, -1.7]), 1e-6
    bxp, bxm = ap.lens_equation(lens, x + h, y), ap.lens_equation(lens, x - h, y)
    byp, bym = ap.lens_equation(lens, x, y + h), ap.lens_equation(lens, x, y - h)
    jx, jy = (bxp - bxm) / (2 * h), (byp - bym) / (2 * h)
    det = jx[0] * jy[1] - jx[1] * jy[0]
    np.testing.assert_allclose(ap.magnification(lens, x, y), 1 / det, rtol=1e-6)
    r = np.hypot(1.5, 0.0)
    plain = ap.Lens(0.9, profile)
    exact = 1 / (1 - (0.9 / r) ** 4) if profile == "point" else 1 / (1 - 0.9 / r)
    assert ap.magnification(plain, 1.5, 0.0) == pytest.approx(exact, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 5.0), st.floats(0.1, 3.0))
def test_point_lens_images_solve_the_lens_equation(beta, te):
    im = ap.point_lens_images(beta, te)
    lens = ap.Lens(te, "point")
    for theta, mu in ((im.theta_plus, im.mu_plus), (im.theta_minus, im.mu_minus)):
        assert ap.lens_equation(lens, theta, 0.0)[0] == pytest.approx(beta, rel=1e-9, abs=1e-9 * te)
        assert ap.magnification(lens, theta, 0.0) == pytest.approx(mu, rel=1e-8)
    assert im.theta_plus > te > 0 > im.theta_minus
    assert abs(im.mu_plus) + abs(im.mu_minus) == pytest.approx(im.mu_total, rel=1e-9)
    assert im.mu_plus + im.mu_minus == pytest.approx(1.0, rel=1e-8)   # point lens: mu+ + mu- = 1


def test_einstein_radius_numbers_and_scaling():
    # 4 G M_sun / c^2 = 5906.5 m, 1 Mpc = 3.0857e22 m
    expected = np.sqrt(4 * 1476.625 * 1e11 * 1200 / (1000 * 2000 * 3.0857e22)) * 206264.806
    assert ap.einstein_radius(1e11, 1000.0, 2000.0, 1200.0) == pytest.approx(expected, rel=1e-4)
    assert ap.einstein_radius(4e11, 1000.0, 2000.0, 1200.0) == pytest.approx(
        2 * ap.einstein_radius(1e11, 1000.0, 2000.0, 1200.0), rel=1e-12)
    # SIS: theta_E = 4 pi sigma_v^2 / c^2 D_ls / D_s; 250 km/s, D_ls/D_s = 0.6 -> 1.08 arcsec
    assert ap.sis_einstein_radius(250.0, 2000.0, 1200.0) == pytest.approx(
        4 * np.pi * (250 / 299792.458) ** 2 * 0.6 * 206264.806, rel=1e-6)


def test_angular_diameter_distance():
    assert ap.angular_diameter_distance(1e-4) == pytest.approx(299792.458 / 70 * 1e-4, rel=1e-3)
    assert ap.angular_diameter_distance(0.5) == pytest.approx(1259.0, rel=2e-3)   # Hogg 1999, Fig. 2
    d = ap.angular_diameter_distance(np.array([0.3, 1.0]))
    d_ls = ap.angular_diameter_distance(0.3, 1.0)
    # flat universe: comoving distances add
    assert 2.0 * d[1] == pytest.approx(1.3 * d[0] + 2.0 * d_ls, rel=1e-10)
    assert d_ls > d[1] - d[0]


# ----------------------------------------------------------------------------- ray tracing
def test_pixel_grid_and_sources():
    g = ap.pixel_grid(4, 2.0)
    np.testing.assert_allclose(g[0, 0], [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(g[1, :, 0], [-0.75, -0.25, 0.25, 0.75])
    s1, s2 = ap.random_sources(5, SN, SW, seed=3), ap.random_sources(5, SN, SW, seed=3)
    np.testing.assert_array_equal(s1, s2)
    assert s1.min() >= 0 and np.allclose(s1.max(axis=(1, 2)), 1.0)
    assert not np.allclose(s1, ap.random_sources(5, SN, SW, seed=4))
    assert ap.sersic(0.5, 0.0, r_eff=0.5, index=4.0) == pytest.approx(1.0)


def test_surface_brightness_is_conserved():
    lens = ap.Lens(1.0, "sis", gamma1=0.1)
    # a uniform source gives a uniform image wherever the rays land inside the source grid
    img = ap.ray_trace(np.ones((SN, SN)), lens, image_n=IN, image_width=IW, source_width=SW)
    bx, by = ap.lens_equation(lens, *ap.pixel_grid(IN, IW))
    inside = (np.abs(bx) < SW / 2 - SW / SN) & (np.abs(by) < SW / 2 - SW / SN)
    np.testing.assert_allclose(img[inside], 1.0, rtol=1e-12)
    # I(theta) = S(beta(theta)): pixelized smooth source vs the analytic one at beta
    fine_n = 64
    gx, gy = ap.pixel_grid(fine_n, SW)
    src = ap.sersic(gx, gy, r_eff=0.25, index=0.5, q=0.7, angle=0.4, x0=0.1)
    img = ap.ray_trace(src, lens, image_n=IN, image_width=IW, source_width=SW)
    exact = ap.sersic(bx, by, r_eff=0.25, index=0.5, q=0.7, angle=0.4, x0=0.1)
    assert np.max(np.abs(img - exact)) < 0.01 * exact.max()
    assert img.max() <= src.max() + 1e-12 and img.min() >= 0.0      # no brightness is created


def test_flux_magnification_of_a_small_source_matches_the_point_lens():
    te, beta, w = 1.0, 0.5, 0.02
    lens = ap.Lens(te, "point")
    n, width = 400, 4.0
    gx, gy = ap.pixel_grid(n, width)
    bx, by = ap.lens_equation(lens, gx, gy)
    image_flux = np.sum(np.exp(-((bx - beta) ** 2 + by ** 2) / (2 * w * w))) * (width / n) ** 2
    source_flux = 2 * np.pi * w * w
    # finite-source correction to mu is O((w/beta)^2) ~ 0.2 %
    assert image_flux / source_flux == pytest.approx(ap.point_lens_images(beta, te).mu_total, rel=0.01)


def test_operator_equals_ray_trace_on_random_sources():
    lens = ap.Lens(0.8, "point", x0=0.1, gamma2=0.05)
    op = ap.lensing_operator(lens, image_n=IN, image_width=IW, source_n=SN, source_width=SW)
    src = np.random.default_rng(0).normal(size=(3, SN, SN))
    img = ap.ray_trace(src, lens, image_n=IN, image_width=IW, source_width=SW)
    np.testing.assert_allclose(img.reshape(3, -1), src.reshape(3, -1) @ op.T, rtol=1e-12, atol=1e-12)
    assert np.all((op >= 0) & (op <= 1)) and np.all(op.sum(1) <= 1 + 1e-12)
    assert np.max(np.count_nonzero(op, axis=1)) <= 4


# ----------------------------------------------------------------------------- inversion
def _setup(seed, n_src=4):
    lens = ap.Lens(1.0, "sis", gamma1=0.05)
    op = ap.lensing_operator(lens, image_n=IN, image_width=IW, source_n=SN, source_width=SW)
    src = ap.random_sources(n_src, SN, SW, seed=seed)
    return op, src, (src.reshape(n_src, -1) @ op.T).reshape(n_src, IN, IN)


def test_regularization_matrices():
    n = 5
    for kind in ("identity", "gradient", "curvature"):
        assert np.all(np.linalg.eigvalsh(ap.regularization_matrix(n, kind)) > 0)
    ramp = np.add.outer(np.arange(n), np.arange(n)).ravel().astype(float)
    grad = ap.regularization_matrix(n, "gradient")
    # sum of squared forward differences, with zero beyond the edge: 2 n (n-1) unit steps + edge terms
    img = ramp.reshape(n, n)
    edges = np.sum(img[:, -1] ** 2) + np.sum(img[-1, :] ** 2)
    assert ramp @ grad @ ramp == pytest.approx(2 * n * (n - 1) + edges)


@pytest.mark.parametrize("prior, tol", [("gradient", 0.005), ("curvature", 0.005), ("identity", 0.03)])
def test_inversion_recovers_a_noiseless_source(prior, tol):
    # Measured: relative errors <= 0.15 % (gradient), 0.29 % (curvature), 1.4 % (identity) over three draws;
    # what is left is the handful of modes the image does not constrain, filled in by the prior.
    for seed in (1, 2):
        op, src, img = _setup(seed)
        for sigma in (1e-6, 1e-4):
            inv = ap.invert(img, op, sigma, prior=prior)
            assert np.all(ap.reconstruction_error(inv.source.mean, src) < tol)
            assert np.max(np.abs(inv.source.mean - src)) < 2 * tol
    # with a fixed, tiny regularization the fit reproduces the data exactly
    inv = ap.invert(img, op, 1e-4, prior=prior, lam=1e-6)
    fitted = inv.source.mean.reshape(len(src), -1) @ op.T
    np.testing.assert_allclose(fitted, img.reshape(len(src), -1), atol=1e-6)


def test_log_evidence_equals_the_gaussian_marginal_likelihood():
    op, src, img = _setup(2, n_src=2)
    prior = ap.fit_source_prior(ap.random_sources(300, SN, SW, seed=5))
    data = ap.observe(img, 0.05, seed=6)
    for pr, mean, reg in (("gradient", np.zeros(SN * SN), ap.regularization_matrix(SN, "gradient")),
                          (prior, prior.mean, np.linalg.inv(prior.covariance))):
        inv = ap.invert(data, op, 0.05, prior=pr, lam=0.7)
        cov_s = np.linalg.inv(0.7 * reg)
        for k in range(2):
            marg = multivariate_normal(op @ mean, 0.05 ** 2 * np.eye(IN * IN) + op @ cov_s @ op.T)
            assert inv.log_evidence[k] == pytest.approx(marg.logpdf(data[k].ravel()), rel=1e-8)
        post = np.linalg.inv(op.T @ op / 0.05 ** 2 + 0.7 * reg)
        np.testing.assert_allclose(inv.source.error[0].ravel(), np.sqrt(np.diag(post)), rtol=1e-7)
        np.testing.assert_allclose(inv.source.mean[0].ravel(),
                                   mean + post @ op.T @ (data[0].ravel() - op @ mean) / 0.05 ** 2, atol=1e-8)


def test_evidence_choice_of_lambda_is_the_maximum_and_sigma_broadcasts():
    op, src, img = _setup(3, n_src=2)
    sig = np.array([[0.02], [0.2]])
    data = ap.observe(np.broadcast_to(img, (2, *img.shape)), 1.0, seed=7)
    data = img + (data - img) * sig[..., None, None]
    inv = ap.invert(data, op, sig)
    assert inv.source.mean.shape == (2, 2, SN, SN) and inv.lam.shape == (2, 2)
    for fac in (0.5, 2.0):
        worse = ap.invert(data[1, 0], op, 0.2, lam=float(inv.lam[1, 0]) * fac)
        assert worse.log_evidence < inv.log_evidence[1, 0]
    # more noise, less information: a larger error per pixel and a larger reconstruction error
    assert np.all(inv.source.error[1].mean(axis=(-2, -1)) > inv.source.error[0].mean(axis=(-2, -1)))
    assert np.all(ap.reconstruction_error(inv.source.mean[1], src)
                  > ap.reconstruction_error(inv.source.mean[0], src))


def test_fit_source_prior_is_the_sample_mean_and_covariance():
    s = ap.random_sources(40, 4, 1.0, seed=8)
    prior = ap.fit_source_prior(s, shrinkage=0.1)
    flat = s.reshape(40, -1)
    cov = np.cov(flat.T)
    np.testing.assert_allclose(prior.mean, flat.mean(0))
    np.testing.assert_allclose(prior.covariance, cov + 0.1 * np.trace(cov) / 16 * np.eye(16))


def test_fit_einstein_radius_recovers_the_lens():
    lens = ap.Lens(1.05, "sis", gamma1=0.05)
    op = ap.lensing_operator(lens, image_n=IN, image_width=IW, source_n=SN, source_width=SW)
    src = ap.random_sources(3, SN, SW, seed=9)
    data = ap.observe((src.reshape(3, -1) @ op.T).reshape(3, IN, IN), 0.05, seed=10)
    fit = ap.fit_einstein_radius(data, 0.05, np.linspace(0.9, 1.2, 16), shear=(0.05, 0.0), image_width=IW,
                                 source_n=SN, source_width=SW)
    assert fit.log_evidence.shape == (3, 16)
    assert np.all(np.abs(fit.theta_e.mean - 1.05) < 5 * fit.theta_e.error + 1e-3)
    assert np.all(fit.theta_e.error < 0.02)


def test_point_lens_ring_radius_is_the_einstein_radius():
    te = float(ap.einstein_radius(3e11, 900.0, 1650.0, 1050.0))
    n, width = 64, 4 * te
    src_w = te
    gx, gy = ap.pixel_grid(32, src_w)
    src = np.exp(-(gx ** 2 + gy ** 2) / (2 * (0.03 * te) ** 2))
    img = ap.ray_trace(src, ap.Lens(te, "point"), image_n=n, image_width=width, source_width=src_w)
    r = np.hypot(*ap.pixel_grid(n, width))
    ring = np.sum(r * img) / np.sum(img)
    assert abs(ring - te) < width / n


def test_radial_profile_and_the_learned_regressor():
    te = float(ap.einstein_radius(3e11, 900.0, 1650.0, 1050.0))
    gs = ap.pixel_grid(32, te)
    ring = ap.ray_trace(np.exp(-(gs[0] ** 2 + gs[1] ** 2) / (2 * (0.03 * te) ** 2)), ap.Lens(te, "point"),
                        image_n=64, image_width=4 * te, source_width=te)
    prof = ap.radial_profile(np.stack([ring, 2 * ring]), 4 * te, n_bins=15)
    np.testing.assert_allclose(prof.sum(axis=-1), 1.0)
    np.testing.assert_allclose(prof[0], prof[1])                        # brightness scale drops out
    assert np.argmax(prof[0]) == 7                                      # theta_E is mid-bin 7 of 15
    # ridge with l2 = 0 is least squares on the standardized profile
    rng = np.random.default_rng(0)
    imgs, t = rng.random((30, 12, 12)), rng.uniform(0.8, 1.2, 30)
    reg = ap.fit_einstein_regressor(imgs, t, image_width=3.0, n_bins=5, l2=0.0)
    x = ap.radial_profile(imgs, 3.0, 5)
    design = np.column_stack([x, np.ones(30)])
    np.testing.assert_allclose(ap.predict_einstein_radius(reg, imgs),
                               design @ np.linalg.lstsq(design, t, rcond=None)[0], atol=1e-8)
    # on simulated lenses the regressor learns theta_E
    te_train = np.repeat(np.linspace(0.9, 1.2, 7), 20)
    src = ap.random_sources(len(te_train), SN, SW, seed=11)
    img = np.concatenate([ap.ray_trace(src[te_train == v], ap.Lens(v), image_n=IN, image_width=IW,
                                       source_width=SW) for v in np.unique(te_train)])
    reg = ap.fit_einstein_regressor(img, te_train, image_width=IW)
    assert np.sqrt(np.mean((ap.predict_einstein_radius(reg, img) - te_train) ** 2)) < 0.03


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="lens.profile"):
        ap.deflection(ap.Lens(1.0, "nfw"), 1.0, 0.0)
    with pytest.raises(ValueError, match="lens.theta_e"):
        ap.lens_equation(ap.Lens(-1.0), 1.0, 0.0)
    with pytest.raises(TypeError, match="lens"):
        ap.magnification((1.0, "sis"), 1.0, 0.0)
    with pytest.raises(ValueError, match="mass"):
        ap.einstein_radius(-1.0, 1.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="source must be square"):
        ap.ray_trace(np.ones((4, 5)), ap.Lens(1.0), image_n=8, image_width=2.0, source_width=1.0)
    with pytest.raises(ValueError, match="image_width"):
        ap.ray_trace(np.ones((4, 4)), ap.Lens(1.0), image_n=8, image_width=0.0, source_width=1.0)
    op = ap.lensing_operator(ap.Lens(1.0), image_n=8, image_width=2.0, source_n=4, source_width=1.0)
    with pytest.raises(ValueError, match="sigma"):
        ap.invert(np.zeros((8, 8)), op, -0.1)
    with pytest.raises(ValueError, match="operator expects 64"):
        ap.invert(np.zeros((6, 6)), op, 0.1)
    with pytest.raises(ValueError, match="kind"):
        ap.invert(np.zeros((8, 8)), op, 0.1, prior="tv")
    with pytest.raises(TypeError, match="prior"):
        ap.invert(np.zeros((8, 8)), op, 0.1, prior=3)
    with pytest.raises(ValueError, match="lam"):
        ap.invert(np.zeros((8, 8)), op, 0.1, lam=0.0)
    with pytest.raises(ValueError, match="theta_e"):
        ap.fit_einstein_radius(np.zeros((8, 8)), 0.1, [1.0, 0.9, 1.1], image_width=2.0, source_n=4,
                               source_width=1.0)
    with pytest.raises(ValueError, match="beta"):
        ap.point_lens_images(0.0, 1.0)
    with pytest.raises(ValueError, match="redshifts"):
        ap.angular_diameter_distance(1.0, 0.5)
    with pytest.raises(ValueError, match="sources"):
        ap.fit_source_prior(np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="q"):
        ap.sersic(0.0, 0.0, r_eff=1.0, q=0.0)
    with pytest.raises(ValueError, match="sigma"):
        ap.observe(np.zeros(3), -1.0)
    with pytest.raises(ValueError, match="theta_e must have one value per image"):
        ap.fit_einstein_regressor(np.zeros((3, 4, 4)), [1.0, 1.1], image_width=1.0)
    with pytest.raises(TypeError, match="regressor"):
        ap.predict_einstein_radius("model", np.zeros((4, 4)))
    with pytest.raises(ValueError, match="images must be square"):
        ap.radial_profile(np.zeros((4, 5)), 1.0)
