"""The book's figure style and the small drawing helpers every chapter shares.

Call :func:`style` once per chapter. Theory is drawn as lines
(:func:`theory`), simulation as points with error bars (:func:`data`);
spin lattices and binary patterns as images (:func:`lattice`,
:func:`image_grid`); time evolutions as animations that also work on the
static site (:func:`animate`).
"""
from __future__ import annotations

import html as _html
import re

from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from ._validate import check_array, check_choice, check_int, check_positive

__all__ = ["PALETTE", "style", "theory", "data", "lattice", "image_grid", "animate", "feynman_diagrams"]

#: Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008), black last.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
           "#56B4E9", "#F0E442", "#000000")


def style() -> None:
    """Apply the book's matplotlib style (palette, sizes, grid) to the session.

    Example
    -------
    >>> style()
    >>> mpl.rcParams["axes.grid"]
    True
    """
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "axes.labelsize": 12,
        "legend.fontsize": 10,
        "legend.frameon": False,
        "lines.linewidth": 1.8,
        "lines.markersize": 5,
        "errorbar.capsize": 2.5,
        "image.cmap": "viridis",
        "animation.embed_limit": 30.0,
        "figure.constrained_layout.use": True,
    })


def theory(ax, x, y, label: str | None = None, **kwargs):
    """Draw an exact/theoretical curve as a line; returns the Line2D."""
    kwargs.setdefault("zorder", 2)
    (line,) = ax.plot(x, y, label=label, **kwargs)
    return line


def data(ax, x, y, yerr=None, label: str | None = None, **kwargs):
    """Draw simulation results as markers with error bars (no connecting line)."""
    kwargs.setdefault("fmt", "o")
    kwargs.setdefault("zorder", 3)
    kwargs.setdefault("markersize", 4.5)
    return ax.errorbar(x, y, yerr=yerr, label=label, **kwargs)


def lattice(ax, spins, *, title: str | None = None, cmap: str = "gray_r"):
    """Show a 2-D array of spins (or pixels) as an image without ticks.

    +1 is drawn black and -1 white with the default ``cmap``.
    """
    arr = check_array("spins", spins, ndim=2)
    im = ax.imshow(arr, cmap=cmap, vmin=min(arr.min(), -1), vmax=max(arr.max(), 1),
                   interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title is not None:
        ax.set_title(title)
    return im


def image_grid(images, *, ncols: int | None = None, titles: Sequence[str] | None = None,
               shape: tuple[int, int] | None = None, cmap: str = "gray_r",
               size: float = 1.3, suptitle: str | None = None):
    """Show a stack of images (or flat patterns reshaped to ``shape``) in a grid.

    Parameters
    ----------
    images : array_like, shape (n, H, W) or (n, H*W) with ``shape``
    ncols : int, optional
        Columns of the grid (default: all in one row up to 10).
    titles : sequence of str, optional
        One title per image.
    shape : (H, W), optional
        Reshape flat patterns to this shape.
    size : float
        Inches per panel.

    Returns
    -------
    (matplotlib.figure.Figure, numpy.ndarray of Axes)
    """
    arr = check_array("images", images, min_ndim=2)
    if shape is not None:
        arr = arr.reshape(arr.shape[0], *shape)
    if arr.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or be given a shape=, got {arr.shape}")
    n = arr.shape[0]
    ncols = min(n, 10) if ncols is None else check_int("ncols", ncols, minimum=1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * arr.shape[1] / arr.shape[2] + (0.3 if titles is not None else 0)),
                             squeeze=False)
    vmin, vmax = float(arr.min()), float(arr.max())
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(arr[k], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes


def animate(frames, *, titles: Sequence[str] | None = None, interval: int = 120,
            cmap: str = "gray_r", size: float = 3.0, draw: Callable | None = None,
            alt: str | None = None):
    """Animate a sequence of images (or call ``draw(ax, i)`` per frame) as embedded HTML.

    The result is a JavaScript player (``to_jshtml``) that works on the
    static site, in Jupyter, Binder and Colab; no ffmpeg is needed.

    Parameters
    ----------
    frames : array_like, shape (n_frames, H, W), or int with ``draw``
        Images to show, or the number of frames when ``draw`` is given.
    titles : sequence of str, optional
        One title per frame.
    interval : int
        Milliseconds between frames.
    draw : callable, optional
        ``draw(ax, i)`` redraws frame ``i`` on a cleared axis.
    alt : str, optional
        What the animation shows, for readers who cannot see it (default:
        "Animation of n frames", with the first and last titles).

    Returns
    -------
    IPython.display.HTML
        The player; its frame carries ``alt`` and its slider a label.
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    interval = check_int("interval", interval, minimum=1)
    check_positive("size", size)
    if draw is None:
        arr = check_array("frames", frames, ndim=3)
        n_frames = arr.shape[0]
    else:
        n_frames = check_int("frames", frames, minimum=1)
    with mpl.rc_context({"figure.constrained_layout.use": False}):
        fig, ax = plt.subplots(figsize=(size, size))

        def update(i):
            ax.clear()
            if draw is None:
                lattice(ax, arr[i], cmap=cmap)
            else:
                draw(ax, i)
            if titles is not None:
                ax.set_title(titles[i])
            return ()

        update(0)
        anim = FuncAnimation(fig, update, frames=n_frames, interval=interval, blit=False)
        if alt is None:
            alt = f"Animation of {n_frames} frames" + (
                f", from {titles[0]} to {titles[-1]}" if titles is not None else "")
        html = HTML(_accessible_player(_offline_player(anim.to_jshtml(default_mode="once")), alt))
        plt.close(fig)
    return html


# matplotlib's player takes its button icons from a Font Awesome style sheet on a CDN; the book's
# pages must work offline, so the sheet is dropped and the icons become plain Unicode glyphs.
_PLAYER_ICONS = {
    "fa fa-minus": "\u2212", "fa fa-fast-backward": "\u23ee", "fa fa-step-backward": "\u2039",
    "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "\u23f8", "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u203a", "fa fa-fast-forward": "\u23ed", "fa fa-plus": "+",
}


def _offline_player(html: str) -> str:
    """The jshtml player without requests to other hosts (no Font Awesome CDN)."""
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", html)
    for cls, glyph in _PLAYER_ICONS.items():
        html = html.replace(f'<i class="{cls}"></i>', glyph)
    return html


def _accessible_player(html: str, alt: str) -> str:
    """The jshtml player with alt text on its frame and a label on its slider (WCAG 1.1.1, 4.1.2)."""
    text = _html.escape(str(alt), quote=False).replace('"', "&quot;")
    html = html.replace('<img id="_anim_img', f'<img alt="{text}" id="_anim_img', 1)
    return html.replace('type="range" class="anim-slider"',
                        'type="range" class="anim-slider" aria-label="Frame"', 1)


# --------------------------------------------------------------------------- Feynman diagrams
def _diagram(ax, legs, vertices, internal, label):
    ax.set_aspect("equal")
    ax.axis("off")
    for (x0, y0), v in legs:
        vx, vy = vertices[v]
        ax.plot([x0, vx], [y0, vy], color="0.15", lw=1.6, zorder=1)
    for v, w in internal:
        ax.plot([vertices[v][0], vertices[w][0]], [vertices[v][1], vertices[w][1]],
                color="#0072B2", lw=2.2, zorder=1)
    for j, ((x0, y0), _) in enumerate(legs):
        ax.plot(x0, y0, "o", ms=6, mfc="white", mec="0.15", zorder=3)
        ax.annotate(f"$x_{j + 1}$", (x0, y0), textcoords="offset points",
                    xytext=(7 * np.sign(x0 or 1), 7 * np.sign(y0 or 1)), ha="center", va="center",
                    fontsize=9)
    for vx, vy in vertices:
        ax.plot(vx, vy, "o", ms=9, color="#D55E00", zorder=4)
    ax.set_title(label, fontsize=10)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.35, 1.35)


def feynman_diagrams(order: int, axes=None) -> list:
    r"""Draw the Feynman diagrams of the network field theory at a given order in :math:`1/N`.

    The diagrams of :mod:`physbook.finite_width` (chapter "Interactions"). Feynman rules: a line is the propagator :math:`K = G^{(2)}` (the NNGP
    kernel), an open circle an external input :math:`x_j`, a filled
    vertex with :math:`2m` legs a coupling of order :math:`N^{1-m}`.
    Order 0: the free propagator; order 1: the quartic contact vertex
    (:math:`G^{(4)}_c`); order 2: the sextic contact vertex and the exchange
    of a propagator between two quartic vertices (:math:`G^{(6)}_c`).

    Parameters
    ----------
    order : {0, 1, 2}
        Power of :math:`1/N`.
    axes : sequence of matplotlib Axes, optional
        One axis per diagram (1, 1 and 2 of them); a new figure if omitted.

    Returns
    -------
    list of matplotlib Axes

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> len(feynman_diagrams(2))
    2

    References
    ----------
    J. Halverson, A. Maiti and K. Stoner (2021), sec. 3.
    """
    order = check_choice("order", order, (0, 1, 2))
    n_diag = 2 if order == 2 else 1
    if axes is None:
        _, axes = plt.subplots(1, n_diag, figsize=(2.6 * n_diag, 2.3))
    axes = list(np.atleast_1d(axes))
    if len(axes) != n_diag:
        raise ValueError(f"axes must hold {n_diag} axis/axes for order {order}, got {len(axes)}")
    if order == 0:
        ax = axes[0]
        ax.set_aspect("equal")
        ax.axis("off")
        ax.plot([-1.1, 1.1], [0, 0], color="0.15", lw=1.6, zorder=1)
        for j, x0 in enumerate((-1.1, 1.1)):
            ax.plot(x0, 0, "o", ms=6, mfc="white", mec="0.15", zorder=3)
            ax.annotate(f"$x_{j + 1}$", (x0, 0), textcoords="offset points", xytext=(0, 9),
                        ha="center", fontsize=9)
        ax.set_title(r"$G^{(2)} = K$:  $O(1)$", fontsize=10)
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.35, 1.35)
        return axes
    if order == 1:
        legs = [((-1, 1), 0), ((1, 1), 0), ((-1, -1), 0), ((1, -1), 0)]
        _diagram(axes[0], legs, [(0.0, 0.0)], [], r"$-\lambda_4 \sim 1/N$")
        return axes
    ang = np.pi / 2 + np.arange(6) * np.pi / 3
    legs6 = [((1.05 * np.cos(t), 1.05 * np.sin(t)), 0) for t in ang]
    _diagram(axes[0], legs6, [(0.0, 0.0)], [], r"sextic contact $\sim 1/N^2$")
    legs_ex = [((-1.3, 1.0), 0), ((-1.3, 0.0), 0), ((-1.3, -1.0), 0),
               ((1.3, 1.0), 1), ((1.3, 0.0), 1), ((1.3, -1.0), 1)]
    _diagram(axes[1], legs_ex, [(-0.5, 0.0), (0.5, 0.0)], [(0, 1)],
             r"exchange $\lambda_4 K \lambda_4 \sim 1/N^2$")
    return axes
