r"""Strong gravitational lensing: ray tracing, the Einstein ring and source reconstruction.

Angles are in arcseconds on the sky. A lens (:class:`Lens`) deflects a light ray
seen at image-plane position :math:`\boldsymbol\theta` by :math:`\boldsymbol\alpha(\boldsymbol\theta)`;
the ray left the source plane at

.. math:: \boldsymbol\beta = \boldsymbol\theta - \boldsymbol\alpha(\boldsymbol\theta)
          \qquad\text{(the lens equation)},

and because lensing conserves surface brightness the image is
:math:`I(\boldsymbol\theta) = S(\boldsymbol\beta(\boldsymbol\theta))`. Images and sources
are square pixel grids centred on the optical axis (:func:`pixel_grid`), stored as
``array[..., row, column]`` with rows along :math:`\theta_y` (increasing) and columns
along :math:`\theta_x`; a pixelized source is interpolated bilinearly and is zero outside
its grid. With that interpolation the lensed image is linear in the source pixels,
:math:`\mathbf d = L\mathbf s + \mathbf n` (:func:`lensing_operator`), and the source is
recovered by the regularized (semi-linear) inversion of Warren and Dye with the
regularization strength set by the Bayesian evidence (:func:`invert`), with a
hand-written prior (identity, gradient, curvature) or a Gaussian prior learned from
simulated sources (:func:`fit_source_prior`). :func:`fit_einstein_radius` estimates the
lens strength by the evidence, :func:`fit_einstein_regressor` by a regression learned from
simulated lenses. Everything is float64 numpy.

References
----------
P. Schneider, J. Ehlers and E. E. Falco, *Gravitational Lenses* (Springer, 1992);
R. Narayan and M. Bartelmann, arXiv:astro-ph/9606001 (1996);
S. J. Warren and S. Dye, ApJ 590, 673 (2003);
S. H. Suyu, P. J. Marshall, M. P. Hobson and R. D. Blandford, MNRAS 371, 983 (2006).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import integrate, linalg

from .._blas import one_blas_thread
from .._validate import check_array, check_choice, check_int, check_positive, check_real
from ..random import Seed, as_generator
from ..stats import Estimate

__all__ = [
    "angular_diameter_distance",
    "einstein_radius",
    "sis_einstein_radius",
    "Lens",
    "deflection",
    "lens_equation",
    "magnification",
    "PointImages",
    "point_lens_images",
    "pixel_grid",
    "sersic",
    "random_sources",
    "ray_trace",
    "lensing_operator",
    "regularization_matrix",
    "observe",
    "SourcePrior",
    "fit_source_prior",
    "Inversion",
    "invert",
    "reconstruction_error",
    "EinsteinFit",
    "fit_einstein_radius",
    "radial_profile",
    "EinsteinRegressor",
    "fit_einstein_regressor",
    "predict_einstein_radius",
]


#: :math:`G M_\odot / c^2` in metres.
_GM_SUN_C2_M = 1476.625
_MPC_M = 3.0856775814913673e22
_C_KM_S = 299792.458
_RAD_ARCSEC = 180.0 / np.pi * 3600.0
_PROFILES = ("sis", "point")
_REGULARIZATIONS = ("identity", "gradient", "curvature")


# ----------------------------------------------------------------------------- distances
def angular_diameter_distance(z1, z2=None, *, h0: float = 70.0, omega_m: float = 0.3) -> np.ndarray:
    r"""Angular-diameter distance in Mpc in a flat :math:`\Lambda`\ CDM universe.

    .. math:: D(z_1, z_2) = \frac{1}{1+z_2}\,\frac{c}{H_0}\int_{z_1}^{z_2}
              \frac{dz}{\sqrt{\Omega_m(1+z)^3 + 1 - \Omega_m}},

    the distance from redshift :math:`z_1` to :math:`z_2` (from us, :math:`z_1 = 0`, if
    ``z2`` is None: then ``z1`` is the target). In a flat universe comoving distances add,
    so :math:`D_{ls} \ne D_s - D_l`.

    Parameters
    ----------
    z1 : float or array_like
        Redshift of the near end (or of the target, if ``z2`` is None).
    z2 : float or array_like, optional
        Redshift of the far end, ``z2 >= z1``.
    h0 : float
        Hubble constant in km/s/Mpc.
    omega_m : float
        Matter density parameter in [0, 1].

    Returns
    -------
    numpy.ndarray
        Distances in Mpc (0-d for scalar input).

    Example
    -------
    >>> round(float(angular_diameter_distance(0.5)), -1)
    1260.0

    References
    ----------
    D. W. Hogg, arXiv:astro-ph/9905116 (1999).
    """
    if z2 is None:
        z1, z2 = 0.0, z1
    z1 = check_array("z1", z1, dtype="float")
    z2 = check_array("z2", z2, dtype="float")
    h0 = check_positive("h0", h0)
    omega_m = check_real("omega_m", omega_m, low=0.0, high=1.0)
    if np.any(z1 < 0) or np.any(z2 < z1):
        raise ValueError("redshifts must satisfy 0 <= z1 <= z2")

    def comoving(z):
        return np.vectorize(lambda zz: integrate.quad(
            lambda x: 1.0 / np.sqrt(omega_m * (1 + x) ** 3 + 1 - omega_m), 0.0, zz)[0])(z)

    return _C_KM_S / h0 * (comoving(z2) - comoving(z1)) / (1.0 + z2)


def einstein_radius(mass, d_l, d_s, d_ls) -> np.ndarray:
    r"""Einstein radius of a point mass, in arcseconds.

    .. math:: \theta_E = \sqrt{\frac{4GM}{c^2}\,\frac{D_{ls}}{D_l D_s}},

    with angular-diameter distances to the lens :math:`D_l`, to the source :math:`D_s`
    and from lens to source :math:`D_{ls}`. A source exactly behind the lens is imaged into a
    ring of this angular radius.

    Parameters
    ----------
    mass : float or array_like
        Lens mass in solar masses (> 0).
    d_l, d_s, d_ls : float or array_like
        Distances in Mpc (> 0).

    Returns
    -------
    numpy.ndarray
        :math:`\theta_E` in arcsec.

    Example
    -------
    >>> round(float(einstein_radius(1e11, 1000.0, 2000.0, 1200.0)), 3)
    0.699

    References
    ----------
    P. Schneider, J. Ehlers and E. E. Falco, *Gravitational Lenses* (1992), eq. (2.6b).
    """
    args = {"mass": mass, "d_l": d_l, "d_s": d_s, "d_ls": d_ls}
    for name, value in args.items():
        arr = check_array(name, value, dtype="float")
        if np.any(arr <= 0):
            raise ValueError(f"{name} must be positive, got {value!r}")
        args[name] = arr
    theta2 = 4.0 * _GM_SUN_C2_M * args["mass"] * args["d_ls"] / (args["d_l"] * args["d_s"] * _MPC_M)
    return np.sqrt(theta2) * _RAD_ARCSEC


def sis_einstein_radius(sigma_v, d_s, d_ls) -> np.ndarray:
    r"""Einstein radius of a singular isothermal sphere, in arcseconds.

    .. math:: \theta_E = 4\pi\,\frac{\sigma_v^2}{c^2}\,\frac{D_{ls}}{D_s},

    for the one-dimensional velocity dispersion :math:`\sigma_v` of the lens galaxy.

    Parameters
    ----------
    sigma_v : float or array_like
        Velocity dispersion in km/s (> 0).
    d_s, d_ls : float or array_like
        Angular-diameter distances in Mpc (> 0).

    Returns
    -------
    numpy.ndarray
        :math:`\theta_E` in arcsec.

    Example
    -------
    >>> round(float(sis_einstein_radius(250.0, 1600.0, 1000.0)), 2)
    1.13

    References
    ----------
    R. Narayan and M. Bartelmann, arXiv:astro-ph/9606001, eq. (44).
    """
    args = {"sigma_v": sigma_v, "d_s": d_s, "d_ls": d_ls}
    for name, value in args.items():
        arr = check_array(name, value, dtype="float")
        if np.any(arr <= 0):
            raise ValueError(f"{name} must be positive, got {value!r}")
        args[name] = arr
    return 4 * np.pi * (args["sigma_v"] / _C_KM_S) ** 2 * args["d_ls"] / args["d_s"] * _RAD_ARCSEC


# ----------------------------------------------------------------------------- lenses
class Lens(NamedTuple):
    """A lens: a point mass or a singular isothermal sphere, optionally in an external shear.

    Angles in arcsec. The shear potential is
    :math:`\\psi_\\gamma = \\tfrac{\\gamma_1}{2}(x^2 - y^2) + \\gamma_2 x y` about the lens centre.
    """

    #: Einstein radius :math:`\theta_E` (arcsec).
    theta_e: float
    #: ``"sis"`` (singular isothermal sphere) or ``"point"`` (point mass).
    profile: str = "sis"
    #: Lens centre (arcsec).
    x0: float = 0.0
    y0: float = 0.0
    #: External shear components.
    gamma1: float = 0.0
    gamma2: float = 0.0


def _check_lens(lens) -> Lens:
    if not isinstance(lens, Lens):
        raise TypeError(f"lens must be a Lens, got {type(lens).__name__}")
    return Lens(check_positive("lens.theta_e", lens.theta_e),
                check_choice("lens.profile", lens.profile, _PROFILES),
                check_real("lens.x0", lens.x0), check_real("lens.y0", lens.y0),
                check_real("lens.gamma1", lens.gamma1), check_real("lens.gamma2", lens.gamma2))


def _positions(x, y):
    x = check_array("x", x, dtype="float")
    y = check_array("y", y, dtype="float")
    try:
        return np.broadcast_arrays(x, y)
    except ValueError:
        raise ValueError(f"x and y must broadcast, got shapes {x.shape} and {y.shape}") from None


def _deflection(lens: Lens, x, y):
    dx, dy = x - lens.x0, y - lens.y0
    r2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        if lens.profile == "point":
            scale = np.where(r2 > 0, lens.theta_e ** 2 / r2, 0.0)
        else:
            scale = np.where(r2 > 0, lens.theta_e / np.sqrt(r2), 0.0)
    ax = scale * dx + lens.gamma1 * dx + lens.gamma2 * dy
    ay = scale * dy + lens.gamma2 * dx - lens.gamma1 * dy
    return ax, ay


def deflection(lens: Lens, x, y) -> np.ndarray:
    r"""Deflection angle :math:`\boldsymbol\alpha(\boldsymbol\theta)` of a lens, in arcsec.

    With :math:`\mathbf r = \boldsymbol\theta - \boldsymbol\theta_0` from the lens centre,

    .. math:: \boldsymbol\alpha_\mathrm{point} = \theta_E^2\,\frac{\mathbf r}{|\mathbf r|^2},\qquad
              \boldsymbol\alpha_\mathrm{SIS} = \theta_E\,\frac{\mathbf r}{|\mathbf r|},\qquad
              \boldsymbol\alpha_\gamma = \begin{pmatrix}\gamma_1 & \gamma_2\\ \gamma_2 & -\gamma_1
              \end{pmatrix}\mathbf r,

    the gradient of the lensing potential (:math:`\theta_E^2\ln r`, :math:`\theta_E r`, and the
    shear term). The deflection at the centre itself is set to zero.

    Parameters
    ----------
    lens : Lens
    x, y : array_like
        Image-plane positions :math:`\theta_x, \theta_y` in arcsec (broadcast together).

    Returns
    -------
    numpy.ndarray, shape (2, *broadcast shape)
        :math:`(\alpha_x, \alpha_y)`.

    Example
    -------
    >>> deflection(Lens(1.0, "point"), 2.0, 0.0).tolist()
    [0.5, 0.0]

    References
    ----------
    R. Narayan and M. Bartelmann, arXiv:astro-ph/9606001, sections 2-3.
    """
    lens = _check_lens(lens)
    x, y = _positions(x, y)
    return np.stack(_deflection(lens, x, y))


def lens_equation(lens: Lens, x, y) -> np.ndarray:
    r"""Source-plane position :math:`\boldsymbol\beta = \boldsymbol\theta - \boldsymbol\alpha(\boldsymbol\theta)`.

    Parameters
    ----------
    lens : Lens
    x, y : array_like
        Image-plane positions in arcsec.

    Returns
    -------
    numpy.ndarray, shape (2, *broadcast shape)
        :math:`(\beta_x, \beta_y)` in arcsec.

    Example
    -------
    >>> lens_equation(Lens(1.0, "sis"), 1.0, 0.0).tolist()   # on the Einstein ring
    [0.0, 0.0]

    References
    ----------
    P. Schneider, J. Ehlers and E. E. Falco, *Gravitational Lenses* (1992), eq. (2.15).
    """
    lens = _check_lens(lens)
    x, y = _positions(x, y)
    ax, ay = _deflection(lens, x, y)
    return np.stack([x - ax, y - ay])


def magnification(lens: Lens, x, y) -> np.ndarray:
    r"""Signed magnification :math:`\mu = 1/\det A` at image-plane positions.

    .. math:: A = \frac{\partial\boldsymbol\beta}{\partial\boldsymbol\theta}
              = I - \frac{\partial\boldsymbol\alpha}{\partial\boldsymbol\theta},

    computed from the analytic derivatives of :func:`deflection`; for a point mass without
    shear :math:`\det A = 1 - (\theta_E/r)^4`, for an SIS :math:`\det A = 1 - \theta_E/r`.
    Negative values are images of reversed parity; on a critical curve :math:`\mu = \pm\infty`.

    Parameters
    ----------
    lens : Lens
    x, y : array_like
        Image-plane positions in arcsec.

    Returns
    -------
    numpy.ndarray
        :math:`\mu`, broadcast shape of ``x`` and ``y``.

    Example
    -------
    >>> float(magnification(Lens(1.0, "sis"), 2.0, 0.0))
    2.0

    References
    ----------
    P. Schneider, J. Ehlers and E. E. Falco, *Gravitational Lenses* (1992), section 5.
    """
    lens = _check_lens(lens)
    x, y = _positions(x, y)
    dx, dy = x - lens.x0, y - lens.y0
    r2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        if lens.profile == "point":
            f = lens.theta_e ** 2 / r2 ** 2
            axx, axy, ayy = f * (dy * dy - dx * dx), -2 * f * dx * dy, f * (dx * dx - dy * dy)
        else:
            f = lens.theta_e / r2 ** 1.5
            axx, axy, ayy = f * dy * dy, -f * dx * dy, f * dx * dx
        axx, axy, ayy = axx + lens.gamma1, axy + lens.gamma2, ayy - lens.gamma1
        det = (1 - axx) * (1 - ayy) - axy * axy
        return 1.0 / det


class PointImages(NamedTuple):
    """The two images of a point source behind a point-mass lens (positions on the source's axis)."""

    #: Outer image position :math:`\theta_+ > \theta_E` (arcsec, along the source direction).
    theta_plus: np.ndarray
    #: Inner image position :math:`\theta_- < 0` (opposite side).
    theta_minus: np.ndarray
    #: Signed magnifications :math:`\mu_\pm`.
    mu_plus: np.ndarray
    mu_minus: np.ndarray
    #: Total magnification :math:`|\mu_+| + |\mu_-| = (u^2+2)/(u\sqrt{u^2+4})`.
    mu_total: np.ndarray


def point_lens_images(beta, theta_e) -> PointImages:
    r"""Images and magnifications of a point source at distance ``beta`` from a point-mass lens.

    The lens equation :math:`\beta = \theta - \theta_E^2/\theta` has the two roots

    .. math:: \theta_\pm = \tfrac12\big(\beta \pm \sqrt{\beta^2 + 4\theta_E^2}\big),\qquad
              \mu_\pm = \big[1 - (\theta_E/\theta_\pm)^4\big]^{-1},\qquad
              |\mu_+| + |\mu_-| = \frac{u^2 + 2}{u\sqrt{u^2+4}},\ u = \beta/\theta_E.

    Parameters
    ----------
    beta : float or array_like
        Source offset from the lens in arcsec (> 0).
    theta_e : float
        Einstein radius in arcsec.

    Returns
    -------
    PointImages

    Example
    -------
    >>> im = point_lens_images(0.5, 1.0)
    >>> round(float(im.mu_total), 4)
    2.1828

    References
    ----------
    B. Paczynski, ApJ 304, 1 (1986); P. Schneider, J. Ehlers and E. E. Falco (1992), section 8.1.
    """
    beta = check_array("beta", beta, dtype="float")
    if np.any(beta <= 0):
        raise ValueError("beta must be positive (beta = 0 is the Einstein ring)")
    theta_e = check_positive("theta_e", theta_e)
    root = np.sqrt(beta ** 2 + 4 * theta_e ** 2)
    tp, tm = (beta + root) / 2, (beta - root) / 2
    mup, mum = 1 / (1 - (theta_e / tp) ** 4), 1 / (1 - (theta_e / tm) ** 4)
    u = beta / theta_e
    return PointImages(tp, tm, mup, mum, (u * u + 2) / (u * np.sqrt(u * u + 4)))


# ----------------------------------------------------------------------------- grids and sources
def pixel_grid(n: int, width: float) -> np.ndarray:
    r"""Pixel-centre coordinates of an ``n`` x ``n`` grid of side ``width`` centred on the axis.

    Pixel :math:`j` has centre :math:`-w/2 + (j + \tfrac12)\,w/n`.

    Parameters
    ----------
    n : int
        Pixels per side.
    width : float
        Side length in arcsec.

    Returns
    -------
    numpy.ndarray, shape (2, n, n)
        :math:`(\theta_x, \theta_y)`, indexed ``[row, column]`` with :math:`\theta_y` along rows.

    Example
    -------
    >>> pixel_grid(2, 2.0)[0].tolist()
    [[-0.5, 0.5], [-0.5, 0.5]]
    """
    n = check_int("n", n, minimum=1)
    width = check_positive("width", width)
    c = -width / 2 + (np.arange(n) + 0.5) * width / n
    return np.stack(np.meshgrid(c, c, indexing="xy"))


def sersic(x, y, *, r_eff: float, index: float = 1.0, q: float = 1.0, angle: float = 0.0,
           x0: float = 0.0, y0: float = 0.0, amplitude: float = 1.0) -> np.ndarray:
    r"""Elliptical Sersic surface-brightness profile.

    .. math:: S = A\exp\!\Big[-b_n\Big(\big(R/R_e\big)^{1/n} - 1\Big)\Big],\qquad
              R^2 = q\,x'^2 + y'^2/q,

    with :math:`(x', y')` the offset from :math:`(x_0, y_0)` rotated by ``angle``,
    :math:`b_n \approx 2n - 1/3 + 4/(405 n)` so that half the light lies within :math:`R_e`;
    :math:`n = 1/2` is a Gaussian, :math:`n = 1` an exponential disc, :math:`n = 4` de Vaucouleurs.

    Parameters
    ----------
    x, y : array_like
        Positions in arcsec.
    r_eff : float
        Effective (half-light) radius in arcsec.
    index : float
        Sersic index :math:`n > 0`.
    q : float
        Axis ratio in (0, 1].
    angle : float
        Position angle of the major axis (radians).
    x0, y0 : float
        Centre.
    amplitude : float
        Brightness :math:`A` at :math:`R = R_e`.

    Returns
    -------
    numpy.ndarray
        :math:`S(x, y)`.

    Example
    -------
    >>> round(float(sersic(0.3, 0.0, r_eff=0.3)), 6)
    1.0

    References
    ----------
    J. L. Sersic, *Atlas de Galaxias Australes* (1968); C. N. Ciotti and G. Bertin, A&A 352, 447 (1999).
    """
    x, y = _positions(x, y)
    r_eff = check_positive("r_eff", r_eff)
    index = check_positive("index", index)
    q = check_real("q", q, low=0.0, high=1.0, low_inclusive=False)
    angle, x0, y0 = check_real("angle", angle), check_real("x0", x0), check_real("y0", y0)
    amplitude = check_real("amplitude", amplitude)
    return _sersic(x, y, r_eff, index, q, angle, x0, y0, amplitude)


def _sersic(x, y, r_eff, index, q, angle, x0, y0, amplitude):
    c, s = np.cos(angle), np.sin(angle)
    xp = c * (x - x0) + s * (y - y0)
    yp = -s * (x - x0) + c * (y - y0)
    radius = np.sqrt(q * xp * xp + yp * yp / q)
    b = 2 * index - 1 / 3 + 4 / (405 * index)
    return amplitude * np.exp(-b * ((radius / r_eff) ** (1 / index) - 1))


def random_sources(n_sources: int, source_n: int, source_width: float, *,
                   seed: Seed = None) -> np.ndarray:
    r"""Random source galaxies: one to three elliptical Sersic components, peak brightness 1.

    Each source has a main component (index :math:`n \in [0.5, 2]`, half-light radius
    :math:`0.06`-:math:`0.16` of the grid, axis ratio :math:`0.4`-:math:`1`, centre within
    :math:`\pm 0.15` of the grid around the axis) and with probability 2/3 one or two fainter
    clumps (brightness 0.2-0.8, radius 0.03-0.08 of the grid, a few radii away), evaluated at
    the pixel centres and divided by the maximum.

    Parameters
    ----------
    n_sources : int
        Number of sources.
    source_n : int
        Pixels per side of the source grid.
    source_width : float
        Side of the source grid in arcsec.
    seed : int, numpy.random.Generator, JAX key or None

    Returns
    -------
    numpy.ndarray, shape (n_sources, source_n, source_n)

    Example
    -------
    >>> s = random_sources(3, 16, 1.6, seed=0)
    >>> s.shape, float(s.max())
    ((3, 16, 16), 1.0)
    """
    n_sources = check_int("n_sources", n_sources, minimum=1)
    source_n = check_int("source_n", source_n, minimum=2)
    w = check_positive("source_width", source_width)
    rng = as_generator(seed)
    k = 3
    shape = (n_sources, k)
    index = rng.uniform(0.5, 2.0, shape)
    r_eff = np.concatenate([rng.uniform(0.06, 0.16, (n_sources, 1)),
                            rng.uniform(0.03, 0.08, (n_sources, k - 1))], axis=1) * w
    q = rng.uniform(0.4, 1.0, shape)
    angle = rng.uniform(0, np.pi, shape)
    centre = rng.uniform(-0.15, 0.15, (n_sources, 1, 2)) * w
    offset = rng.normal(0.0, 0.12, (n_sources, k, 2)) * w
    offset[:, 0] = 0.0
    pos = centre + offset
    n_extra = rng.integers(0, 3, n_sources)
    amp = np.concatenate([np.ones((n_sources, 1)), rng.uniform(0.2, 0.8, (n_sources, k - 1))], axis=1)
    amp = amp * (np.arange(k)[None, :] <= n_extra[:, None])
    gx, gy = pixel_grid(source_n, w)
    par = [a[:, :, None, None] for a in (r_eff, index, q, angle, pos[..., 0], pos[..., 1], amp)]
    img = _sersic(gx, gy, par[0], par[1], par[2], par[3], par[4], par[5], par[6]).sum(axis=1)
    return img / img.max(axis=(1, 2), keepdims=True)


# ----------------------------------------------------------------------------- ray tracing
def _bilinear(bx, by, source_n, source_width):
    """Flat source indices (4, ...) and weights (4, ...) of bilinear interpolation; weight 0 off-grid."""
    h = source_width / source_n
    u = (bx + source_width / 2) / h - 0.5
    v = (by + source_width / 2) / h - 0.5
    i0, j0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = u - i0, v - j0
    idx, wts = [], []
    for di, dj, wt in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)),
                       (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
        i, j = i0 + di, j0 + dj
        inside = (i >= 0) & (i < source_n) & (j >= 0) & (j < source_n)
        idx.append(np.where(inside, j * source_n + i, 0))
        wts.append(np.where(inside, wt, 0.0))
    return np.stack(idx), np.stack(wts)


def _traced(lens, image_n, image_width, source_n, source_width):
    lens = _check_lens(lens)
    image_n = check_int("image_n", image_n, minimum=1)
    image_width = check_positive("image_width", image_width)
    source_width = check_positive("source_width", source_width)
    gx, gy = pixel_grid(image_n, image_width)
    ax, ay = _deflection(lens, gx, gy)
    return _bilinear(gx - ax, gy - ay, source_n, source_width)


def ray_trace(source, lens: Lens, *, image_n: int, image_width: float,
              source_width: float) -> np.ndarray:
    r"""Lens a pixelized source: :math:`I(\boldsymbol\theta) = S\big(\boldsymbol\theta - \boldsymbol\alpha(\boldsymbol\theta)\big)`.

    Every image pixel centre is traced back to the source plane through :func:`lens_equation`
    and takes the source's surface brightness there (bilinear interpolation between source
    pixel centres, zero outside the source grid). Surface brightness is conserved; the flux
    of an image is magnified only because its area is. Batched over leading axes of ``source``.

    Parameters
    ----------
    source : array_like, shape (..., m, m)
        Source surface brightness on an m x m grid of side ``source_width``.
    lens : Lens
    image_n : int
        Image pixels per side.
    image_width, source_width : float
        Sides of the image and source grids in arcsec.

    Returns
    -------
    numpy.ndarray, shape (..., image_n, image_n)

    Example
    -------
    >>> img = ray_trace(np.ones((8, 8)), Lens(1.0), image_n=16, image_width=3.0, source_width=4.0)
    >>> bool(np.allclose(img, 1.0))    # a uniform source stays uniform: brightness is conserved
    True

    References
    ----------
    P. Schneider, J. Ehlers and E. E. Falco, *Gravitational Lenses* (1992), section 5.1.
    """
    source = check_array("source", source, min_ndim=2, dtype="float")
    m = source.shape[-1]
    if source.shape[-2] != m or m < 2:
        raise ValueError(f"source must be square (..., m, m) with m >= 2, got shape {source.shape}")
    idx, wts = _traced(lens, image_n, image_width, m, source_width)
    flat = source.reshape(*source.shape[:-2], m * m)
    return np.einsum("...kij,kij->...ij", flat[..., idx], wts)


def lensing_operator(lens: Lens, *, image_n: int, image_width: float, source_n: int,
                     source_width: float) -> np.ndarray:
    r"""The lensing operator :math:`L`: image pixels = :math:`L` (source pixels), a dense matrix.

    Row :math:`p` holds the bilinear-interpolation weights of the source pixels around
    :math:`\boldsymbol\beta(\boldsymbol\theta_p)`, so that
    ``L @ s.ravel() == ray_trace(s, ...).ravel()``; each row has at most four non-zeros
    summing to 1 (to 0 where the ray leaves the source grid). This is the linear map of
    the semi-linear inversion of Warren and Dye.

    Parameters
    ----------
    lens : Lens
    image_n, source_n : int
        Pixels per side of the image and source grids.
    image_width, source_width : float
        Their sides in arcsec.

    Returns
    -------
    numpy.ndarray, shape (image_n**2, source_n**2)

    Example
    -------
    >>> L = lensing_operator(Lens(1.0), image_n=10, image_width=3.0, source_n=6, source_width=2.0)
    >>> L.shape
    (100, 36)

    References
    ----------
    S. J. Warren and S. Dye, ApJ 590, 673 (2003).
    """
    source_n = check_int("source_n", source_n, minimum=2)
    idx, wts = _traced(lens, image_n, image_width, source_n, source_width)
    n_pix = idx[0].size
    op = np.zeros((n_pix, source_n * source_n))
    rows = np.broadcast_to(np.arange(n_pix), (4, n_pix))
    np.add.at(op, (rows.ravel(), idx.reshape(4, -1).ravel()), wts.reshape(4, -1).ravel())
    return op


# ----------------------------------------------------------------------------- inversion
def regularization_matrix(n: int, kind: str = "gradient") -> np.ndarray:
    r"""Regularization matrix :math:`R = D^\top D` of an n x n source grid (positive definite).

    ``"identity"``: :math:`D = I` (penalises brightness); ``"gradient"``: :math:`D` the
    forward differences along both axes (penalises :math:`\lVert\nabla s\rVert^2`);
    ``"curvature"``: :math:`D` the five-point Laplacian (penalises
    :math:`\lVert\nabla^2 s\rVert^2`). Pixels outside the grid count as zero, which makes
    :math:`R` invertible.

    Parameters
    ----------
    n : int
        Source pixels per side.
    kind : {"identity", "gradient", "curvature"}

    Returns
    -------
    numpy.ndarray, shape (n*n, n*n)

    Example
    -------
    >>> R = regularization_matrix(3, "gradient")
    >>> bool(np.all(np.linalg.eigvalsh(R) > 0))
    True

    References
    ----------
    S. J. Warren and S. Dye, ApJ 590, 673 (2003); S. H. Suyu et al., MNRAS 371, 983 (2006).
    """
    n = check_int("n", n, minimum=1)
    kind = check_choice("kind", kind, _REGULARIZATIONS)
    eye = np.eye(n)
    if kind == "identity":
        return np.eye(n * n)
    diff = np.eye(n, k=1) - eye                                  # s[i+1] - s[i], zero beyond the edge
    if kind == "gradient":
        dx, dy = np.kron(eye, diff), np.kron(diff, eye)
        return dx.T @ dx + dy.T @ dy
    second = np.eye(n, k=1) + np.eye(n, k=-1) - 2 * eye
    lap = np.kron(eye, second) + np.kron(second, eye)
    return lap.T @ lap


def observe(image, sigma: float, *, seed: Seed = None) -> np.ndarray:
    r"""A noisy observation :math:`\mathbf d = \mathbf I + \mathbf n`, :math:`n_p \sim \mathcal N(0, \sigma^2)` i.i.d.

    Parameters
    ----------
    image : array_like
        Noise-free image(s).
    sigma : float
        Noise standard deviation per pixel (>= 0).
    seed : int, numpy.random.Generator, JAX key or None

    Returns
    -------
    numpy.ndarray, the shape of ``image``.

    Example
    -------
    >>> observe(np.zeros((2, 2)), 0.0, seed=0).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    image = check_array("image", image, dtype="float")
    sigma = check_positive("sigma", sigma, allow_zero=True)
    return image + sigma * as_generator(seed).standard_normal(image.shape)


class SourcePrior(NamedTuple):
    """A Gaussian prior on source pixels, :math:`\\mathbf s \\sim \\mathcal N(\\boldsymbol\\mu, \\Sigma)`."""

    #: Mean source, shape (m*m,).
    mean: np.ndarray
    #: Covariance, shape (m*m, m*m), positive definite.
    covariance: np.ndarray


@one_blas_thread
def fit_source_prior(sources, *, shrinkage: float = 1e-3) -> SourcePrior:
    r"""Learn a Gaussian source prior from examples: sample mean and shrunk sample covariance.

    .. math:: \boldsymbol\mu = \frac1N\sum_a \mathbf s_a,\qquad
              \Sigma = \frac{1}{N-1}\sum_a(\mathbf s_a-\boldsymbol\mu)(\mathbf s_a-\boldsymbol\mu)^\top
              + \epsilon\,\frac{\operatorname{tr}\Sigma}{m^2}\,I,

    the shrinkage :math:`\epsilon` keeping :math:`\Sigma` invertible when :math:`N` is not much
    larger than the number of pixels. Used with :func:`invert`, it gives the linear posterior
    mean (the Wiener estimate), the best linear reconstruction for sources drawn like the
    training set.

    Parameters
    ----------
    sources : array_like, shape (N, m, m)
        Training sources (e.g. from :func:`random_sources`), N >= 2.
    shrinkage : float
        :math:`\epsilon > 0`.

    Returns
    -------
    SourcePrior

    Example
    -------
    >>> prior = fit_source_prior(random_sources(50, 6, 1.0, seed=0))
    >>> prior.covariance.shape
    (36, 36)

    References
    ----------
    O. Ledoit and M. Wolf, J. Multivariate Anal. 88, 365 (2004); N. Wiener (1949).
    """
    sources = check_array("sources", sources, ndim=3, dtype="float")
    if sources.shape[0] < 2 or sources.shape[1] != sources.shape[2]:
        raise ValueError(f"sources must have shape (N, m, m) with N >= 2, got {sources.shape}")
    shrinkage = check_positive("shrinkage", shrinkage)
    flat = sources.reshape(len(sources), -1)
    mean = flat.mean(axis=0)
    cov = np.cov(flat, rowvar=False)
    cov = cov + shrinkage * np.trace(cov) / len(cov) * np.eye(len(cov))
    return SourcePrior(mean, cov)


class Inversion(NamedTuple):
    """A reconstructed source with its posterior error bars and the regularization chosen."""

    #: Posterior mean and marginal standard deviation per source pixel, each (..., m, m).
    source: Estimate
    #: Regularization strength :math:`\lambda` used (chosen by the evidence unless given), (...,).
    lam: np.ndarray
    #: Log evidence :math:`\ln P(\mathbf d\mid\lambda)` at that :math:`\lambda`, (...,).
    log_evidence: np.ndarray


def _prior_parts(prior, m):
    if isinstance(prior, SourcePrior):
        mean = check_array("prior.mean", prior.mean, ndim=1, dtype="float")
        cov = check_array("prior.covariance", prior.covariance, ndim=2, dtype="float")
        if mean.shape != (m * m,) or cov.shape != (m * m, m * m):
            raise ValueError(f"prior must be for {m} x {m} sources, got mean shape {mean.shape}")
        return mean, np.linalg.inv(cov)
    if not isinstance(prior, str):
        raise TypeError(f"prior must be one of {_REGULARIZATIONS} or a SourcePrior, got {type(prior).__name__}")
    return np.zeros(m * m), regularization_matrix(m, prior)


class _Solver(NamedTuple):
    w: np.ndarray       # generalized eigenvalues of (L^T L, R)
    vecs: np.ndarray    # V with V^T R V = I
    mean: np.ndarray
    op: np.ndarray


def _solver(op, prior, m):
    mean, reg = _prior_parts(prior, m)
    w, vecs = linalg.eigh(op.T @ op, reg)
    return _Solver(np.maximum(w, 0.0), vecs, mean, op)


# With M = L^T L / sigma^2 + lam R = (L^T L + mu R) / sigma^2 and mu = lam sigma^2, the posterior
# depends on mu only, so one eigendecomposition serves every noise level and every lambda.
def _log_evidence(sv: _Solver, c, dd, sigma2, mu):
    """Coefficients y (B, K, Ns) and log evidence (B, K); c (B, Ns), dd, sigma2 (B,), mu (B or 1, K)."""
    y = c[:, None, :] / (sv.w + mu[..., None])
    misfit = dd[:, None] - 2 * np.sum(y * c[:, None, :], -1) + np.sum(sv.w * y * y, -1)
    prior_term = mu * np.sum(y * y, -1)
    n_s, n_d = sv.w.size, sv.op.shape[0]
    log_ev = (-0.5 * (misfit + prior_term) / sigma2[:, None]
              - 0.5 * np.sum(np.log(sv.w + mu[..., None]), -1) + 0.5 * n_s * np.log(mu)
              - 0.5 * n_d * np.log(2 * np.pi * sigma2[:, None]))
    return y, log_ev


# mu / mean(w): 6 per decade, refined by a parabola. Below 1e-10 the modes the image does not
# constrain at all (w = 0 up to rounding) would be filled with amplified rounding errors.
_MU_GRID = np.logspace(-10, 6, 97)


def _best_mu(sv: _Solver, c, dd, sigma2):
    mu = (np.mean(sv.w) + 1e-300) * _MU_GRID
    log_ev = np.concatenate([_log_evidence(sv, c[i:i + 64], dd[i:i + 64], sigma2[i:i + 64], mu[None])[1]
                             for i in range(0, len(c), 64)])         # blocks of 64 images: memory
    k = np.clip(np.argmax(log_ev, axis=1), 1, mu.size - 2)
    rows = np.arange(len(c))
    f0, f1, f2 = log_ev[rows, k - 1], log_ev[rows, k], log_ev[rows, k + 1]
    curv = f0 - 2 * f1 + f2
    shift = np.where(curv < 0, 0.5 * (f0 - f2) / np.where(curv < 0, curv, -1.0), 0.0)
    return np.exp(np.log(mu[k]) + np.clip(shift, -1, 1) * np.log(mu[1] / mu[0]))


def _solve(sv: _Solver, data, sigma2, lam=None):
    """Posterior mean, error, log evidence and lambda for data (B, Nd), sigma2 (B,), lam (B,) or None."""
    resid = data - sv.mean @ sv.op.T
    c = (resid @ sv.op) @ sv.vecs
    dd = np.sum(resid * resid, axis=-1)
    mu = _best_mu(sv, c, dd, sigma2) if lam is None else lam * sigma2
    y, log_ev = _log_evidence(sv, c, dd, sigma2, mu[:, None])
    mean = sv.mean + y[:, 0] @ sv.vecs.T
    var = (sv.vecs ** 2) @ (1.0 / (sv.w[:, None] + mu[None, :])) * sigma2   # (Ns, B)
    return mean, np.sqrt(var.T), log_ev[:, 0], mu / sigma2


def _noise_variance(sigma, batch):
    sigma = check_array("sigma", sigma, dtype="float")
    if np.any(sigma <= 0):
        raise ValueError("sigma must be positive")
    try:
        return np.broadcast_to(sigma ** 2, batch).ravel()
    except ValueError:
        raise ValueError(f"sigma of shape {sigma.shape} does not broadcast to the images' batch "
                         f"shape {batch}") from None


@one_blas_thread
def invert(data, operator, sigma: float, *, prior="gradient", lam=None) -> Inversion:
    r"""Regularized linear source inversion with the regularization chosen by the Bayesian evidence.

    With white noise of variance :math:`\sigma^2` and a Gaussian prior
    :math:`\mathbf s\sim\mathcal N(\boldsymbol\mu, (\lambda R)^{-1})`, the posterior mean
    (the most probable source) and its covariance are

    .. math:: \hat{\mathbf s} = \boldsymbol\mu + M^{-1}L^\top(\mathbf d - L\boldsymbol\mu)/\sigma^2,
              \qquad M = L^\top L/\sigma^2 + \lambda R,

    and the evidence of the data for :math:`\lambda` is

    .. math:: \ln P(\mathbf d\mid\lambda) = -\tfrac12\chi^2(\hat{\mathbf s})
              - \tfrac{\lambda}{2}(\hat{\mathbf s}-\boldsymbol\mu)^\top R(\hat{\mathbf s}-\boldsymbol\mu)
              - \tfrac12\ln\det M + \tfrac{N_s}{2}\ln\lambda + \tfrac12\ln\det R
              - \tfrac{N_d}{2}\ln(2\pi\sigma^2).

    ``prior`` is a hand-written regularization (:func:`regularization_matrix`, :math:`\boldsymbol\mu = 0`)
    or a learned :class:`SourcePrior` (:math:`R = \Sigma^{-1}`; :math:`\lambda = 1` is the prior as
    learned). Unless ``lam`` is given, :math:`\lambda` maximises the evidence (a grid of 97
    values over 16 decades, refined by a parabola), separately for each image. The posterior depends
    on :math:`\lambda\sigma^2` only, so one generalized eigendecomposition of :math:`(L^\top L, R)`
    serves every :math:`\lambda`, every image and every noise level.

    Parameters
    ----------
    data : array_like, shape (..., n, n)
        Observed images.
    operator : array_like, shape (n*n, m*m)
        The lensing operator from :func:`lensing_operator`.
    sigma : float or array_like
        Noise standard deviation per pixel (> 0), broadcastable to the batch shape ``data.shape[:-2]``.
    prior : {"identity", "gradient", "curvature"} or SourcePrior
    lam : float, optional
        Fixed regularization strength (> 0).

    Returns
    -------
    Inversion
        ``source`` (posterior mean and marginal error, (..., m, m)), ``lam`` and ``log_evidence`` (...,).

    Example
    -------
    >>> L = lensing_operator(Lens(1.0), image_n=12, image_width=3.0, source_n=6, source_width=1.6)
    >>> s = random_sources(1, 6, 1.6, seed=0)[0]
    >>> bool(np.allclose(invert((L @ s.ravel()).reshape(12, 12), L, 1e-6).source.mean, s, atol=1e-3))
    True

    References
    ----------
    S. J. Warren and S. Dye, ApJ 590, 673 (2003); S. H. Suyu, P. J. Marshall, M. P. Hobson and
    R. D. Blandford, MNRAS 371, 983 (2006); D. J. C. MacKay, Neural Comput. 4, 415 (1992).
    """
    operator = check_array("operator", operator, ndim=2, dtype="float")
    data = check_array("data", data, min_ndim=2, dtype="float")
    n_d, n_s = operator.shape
    m = int(round(np.sqrt(n_s)))
    if m * m != n_s:
        raise ValueError(f"operator must map a square source grid, got {n_s} source pixels")
    if data.shape[-1] * data.shape[-2] != n_d:
        raise ValueError(f"data images have {data.shape[-2]} x {data.shape[-1]} pixels but the "
                         f"operator expects {n_d}")
    batch = data.shape[:-2]
    sigma2 = _noise_variance(sigma, batch)
    flat = data.reshape(-1, n_d)
    sv = _solver(operator, prior, m)
    fixed = None if lam is None else np.full(len(flat), check_positive("lam", lam))
    mean, err, log_ev, lams = _solve(sv, flat, sigma2, fixed)
    return Inversion(Estimate(mean.reshape(*batch, m, m), err.reshape(*batch, m, m)),
                     lams.reshape(batch), log_ev.reshape(batch))


def reconstruction_error(estimate, truth) -> np.ndarray:
    r"""Relative reconstruction error :math:`\lVert\hat{\mathbf s} - \mathbf s\rVert/\lVert\mathbf s\rVert` per image.

    Parameters
    ----------
    estimate, truth : array_like, shape (..., m, m)

    Returns
    -------
    numpy.ndarray, shape (...,)

    Example
    -------
    >>> round(float(reconstruction_error(np.ones((2, 2)) * 1.1, np.ones((2, 2)))), 12)
    0.1
    """
    estimate = check_array("estimate", estimate, min_ndim=2, dtype="float")
    truth = check_array("truth", truth, min_ndim=2, dtype="float")
    if estimate.shape[-2:] != truth.shape[-2:]:
        raise ValueError(f"estimate and truth images differ: {estimate.shape} vs {truth.shape}")
    norm = np.linalg.norm(truth, axis=(-2, -1))
    if np.any(norm == 0):
        raise ValueError("truth must not contain an all-zero image")
    return np.linalg.norm(estimate - truth, axis=(-2, -1)) / norm


class EinsteinFit(NamedTuple):
    """Einstein radius from the evidence: estimate per image, and the evidence on the grid."""

    #: Most probable :math:`\theta_E` with its (Laplace) error, each (...,).
    theta_e: Estimate
    #: The trial values of :math:`\theta_E`, (K,).
    grid: np.ndarray
    #: :math:`\max_\lambda \ln P(\mathbf d\mid\theta_E, \lambda)` on the grid, (..., K).
    log_evidence: np.ndarray


@one_blas_thread
def fit_einstein_radius(data, sigma: float, theta_e, *, profile: str = "sis", shear=(0.0, 0.0),
                        image_width: float, source_n: int, source_width: float,
                        prior="gradient") -> EinsteinFit:
    r"""Estimate the Einstein radius of a centred lens (known shear) from images by the Bayesian evidence.

    For each trial :math:`\theta_E` of the grid the source is inverted (:func:`invert`, evidence-optimal
    :math:`\lambda`), and the log evidence :math:`\ln P(\mathbf d\mid\theta_E)` is profiled over
    :math:`\lambda`. The estimate is the vertex of the parabola through the best grid point and its
    neighbours, with the Laplace error
    :math:`\big(-\partial^2_{\theta_E}\ln P\big)^{-1/2}` (the posterior width for a flat prior on
    :math:`\theta_E`); the grid should be finer than that width or the error is only an upper bound
    of the grid spacing's order.

    Parameters
    ----------
    data : array_like, shape (..., n, n)
        Observed images of side ``image_width``.
    sigma : float or array_like
        Noise standard deviation per pixel, broadcastable to ``data.shape[:-2]``.
    theta_e : array_like, shape (K,)
        Increasing trial Einstein radii in arcsec (K >= 3).
    profile : {"sis", "point"}
    shear : (float, float)
        External shear :math:`(\gamma_1, \gamma_2)` of the lens, assumed known.
    image_width, source_width : float
        Sides of the image and of the model source grid in arcsec.
    source_n : int
        Model source pixels per side.
    prior : {"identity", "gradient", "curvature"} or SourcePrior

    Returns
    -------
    EinsteinFit

    Example
    -------
    >>> lens = Lens(1.0)
    >>> L = lensing_operator(lens, image_n=16, image_width=3.0, source_n=8, source_width=1.6)
    >>> d = observe((L @ random_sources(1, 8, 1.6, seed=0)[0].ravel()).reshape(16, 16), 0.02, seed=1)
    >>> fit = fit_einstein_radius(d, 0.02, np.linspace(0.8, 1.2, 21), image_width=3.0, source_n=8,
    ...                           source_width=1.6)
    >>> abs(float(fit.theta_e.mean) - 1.0) < 0.05
    True

    References
    ----------
    S. H. Suyu et al., MNRAS 371, 983 (2006); S. J. Warren and S. Dye, ApJ 590, 673 (2003).
    """
    data = check_array("data", data, min_ndim=2, dtype="float")
    n = data.shape[-1]
    if data.shape[-2] != n:
        raise ValueError(f"data must be square images (..., n, n), got shape {data.shape}")
    sigma2 = _noise_variance(sigma, data.shape[:-2])
    grid = check_array("theta_e", theta_e, ndim=1, dtype="float")
    if grid.size < 3 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
        raise ValueError("theta_e must be an increasing grid of at least 3 positive values")
    profile = check_choice("profile", profile, _PROFILES)
    if np.shape(shear) != (2,):
        raise ValueError(f"shear must be a pair (gamma1, gamma2), got {shear!r}")
    g1, g2 = check_real("shear[0]", shear[0]), check_real("shear[1]", shear[1])
    source_n = check_int("source_n", source_n, minimum=2)
    batch = data.shape[:-2]
    flat = data.reshape(-1, n * n)
    log_ev = np.empty((len(flat), grid.size))
    for k, te in enumerate(grid):          # one inversion per trial lens, all images at once
        op = lensing_operator(Lens(float(te), profile, gamma1=g1, gamma2=g2), image_n=n, image_width=image_width,
                              source_n=source_n, source_width=source_width)
        log_ev[:, k] = _solve(_solver(op, prior, source_n), flat, sigma2)[2]
    best = np.clip(np.argmax(log_ev, axis=1), 1, grid.size - 2)
    rows = np.arange(len(flat))
    x0, x1, x2 = grid[best - 1], grid[best], grid[best + 1]
    f0, f1, f2 = log_ev[rows, best - 1], log_ev[rows, best], log_ev[rows, best + 1]
    # parabola through three (possibly unevenly spaced) points
    d01, d12 = (f1 - f0) / (x1 - x0), (f2 - f1) / (x2 - x1)
    a = (d12 - d01) / (x2 - x0)
    b = d01 - a * (x0 + x1)
    ok = a < 0
    vertex = np.where(ok, -b / (2 * np.where(ok, a, -1.0)), x1)
    vertex = np.clip(vertex, x0, x2)
    err = np.where(ok, 1.0 / np.sqrt(-2 * np.where(ok, a, -1.0)), x2 - x0)
    return EinsteinFit(Estimate(vertex.reshape(batch), err.reshape(batch)), grid,
                       log_ev.reshape(*batch, grid.size))


# ----------------------------------------------------------------------------- a learned regressor
def radial_profile(images, image_width: float, n_bins: int = 20) -> np.ndarray:
    r"""Azimuthally averaged brightness in ``n_bins`` rings about the image centre, as fractions of the flux.

    .. math:: p_k = \frac{\sum_{r_p \in [r_k, r_{k+1})} I_p}{\sum_p I_p},\qquad
              r_k = k\,\frac{w}{2 n_\mathrm{bins}},

    over the pixels inside the inscribed circle of the image of side :math:`w`. Rotation invariant
    and independent of the source's brightness: the features of :func:`fit_einstein_regressor`.

    Parameters
    ----------
    images : array_like, shape (..., n, n)
    image_width : float
        Side of the images in arcsec.
    n_bins : int
        Number of rings.

    Returns
    -------
    numpy.ndarray, shape (..., n_bins)

    Example
    -------
    >>> p = radial_profile(np.ones((8, 8)), 2.0, n_bins=4)
    >>> round(float(p.sum()), 6)
    1.0
    """
    images = check_array("images", images, min_ndim=2, dtype="float")
    n = images.shape[-1]
    if images.shape[-2] != n:
        raise ValueError(f"images must be square (..., n, n), got shape {images.shape}")
    image_width = check_positive("image_width", image_width)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    r = np.hypot(*pixel_grid(n, image_width))
    ring = np.floor(r / (image_width / 2) * n_bins).astype(int)
    onehot = (ring.ravel()[:, None] == np.arange(n_bins)[None, :]).astype(float)   # (n*n, n_bins)
    sums = images.reshape(*images.shape[:-2], n * n) @ onehot
    total = sums.sum(axis=-1, keepdims=True)
    return sums / np.where(total != 0, total, 1.0)


class EinsteinRegressor(NamedTuple):
    """A ridge regression of the Einstein radius on the radial profile (:func:`fit_einstein_regressor`)."""

    #: Weights on the standardized profile, shape (n_bins,), and the intercept (arcsec).
    weights: np.ndarray
    bias: float
    #: Feature means and scales used for standardizing, each (n_bins,).
    mean: np.ndarray
    scale: np.ndarray
    #: Side of the images in arcsec and number of rings.
    image_width: float
    n_bins: int


def fit_einstein_regressor(images, theta_e, *, image_width: float, n_bins: int = 20,
                           l2: float = 1e-3) -> EinsteinRegressor:
    r"""Learn the Einstein radius from simulated lenses: ridge regression on the radial profile.

    With standardized features :math:`x_a` (:func:`radial_profile`) and targets :math:`\theta_{E,a}`,

    .. math:: \hat{\mathbf w} = \arg\min_{\mathbf w, b} \sum_a (\mathbf w\cdot\mathbf x_a + b
              - \theta_{E,a})^2 + \ell_2 N\lVert\mathbf w\rVert^2,

    solved in closed form. A deliberately simple learned estimator: it costs one dot product per
    image, where the evidence fit (:func:`fit_einstein_radius`) costs one inversion per trial lens.

    Parameters
    ----------
    images : array_like, shape (N, n, n)
        Training images (simulated lenses, with noise).
    theta_e : array_like, shape (N,)
        Their Einstein radii in arcsec.
    image_width : float
        Side of the images in arcsec.
    n_bins : int
        Number of rings of the profile.
    l2 : float
        Ridge penalty per example (>= 0).

    Returns
    -------
    EinsteinRegressor

    Example
    -------
    >>> te = np.linspace(0.8, 1.2, 9)
    >>> imgs = np.stack([ray_trace(random_sources(1, 10, 1.2, seed=0)[0], Lens(t), image_n=16,
    ...                            image_width=3.2, source_width=1.2) for t in te])
    >>> reg = fit_einstein_regressor(imgs, te, image_width=3.2, n_bins=4)
    >>> bool(np.all(np.abs(predict_einstein_radius(reg, imgs) - te) < 0.1))
    True

    References
    ----------
    A. E. Hoerl and R. W. Kennard, Technometrics 12, 55 (1970); Y. D. Hezaveh, L. Perreault Levasseur
    and P. J. Marshall, Nature 548, 555 (2017) (the idea, with a convolutional network).
    """
    images = check_array("images", images, ndim=3, dtype="float")
    theta_e = check_array("theta_e", theta_e, ndim=1, dtype="float")
    if len(theta_e) != len(images) or len(images) < 2:
        raise ValueError(f"theta_e must have one value per image (>= 2 images), got {len(theta_e)} "
                         f"for {len(images)} images")
    l2 = check_positive("l2", l2, allow_zero=True)
    x = radial_profile(images, image_width, n_bins)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-12
    z = (x - mean) / scale
    t0 = theta_e.mean()
    w = np.linalg.solve(z.T @ z + l2 * len(z) * np.eye(n_bins), z.T @ (theta_e - t0))
    return EinsteinRegressor(w, float(t0), mean, scale, float(image_width), int(n_bins))


def predict_einstein_radius(regressor: EinsteinRegressor, images) -> np.ndarray:
    r"""Einstein radius predicted by a trained :class:`EinsteinRegressor`, in arcsec.

    .. math:: \hat\theta_E = \mathbf w\cdot(\mathbf p - \bar{\mathbf p})/\mathbf s + b.

    Parameters
    ----------
    regressor : EinsteinRegressor
    images : array_like, shape (..., n, n)
        Images of the same side as the training images.

    Returns
    -------
    numpy.ndarray, shape (...,)

    Example
    -------
    >>> reg = EinsteinRegressor(np.zeros(4), 1.0, np.zeros(4), np.ones(4), 3.2, 4)
    >>> float(predict_einstein_radius(reg, np.ones((8, 8))))
    1.0
    """
    if not isinstance(regressor, EinsteinRegressor):
        raise TypeError(f"regressor must be an EinsteinRegressor, got {type(regressor).__name__}")
    x = radial_profile(images, regressor.image_width, regressor.n_bins)
    return (x - regressor.mean) / regressor.scale @ regressor.weights + regressor.bias
