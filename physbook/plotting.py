"""The book's figure style and the small drawing helpers every chapter shares.

Call :func:`style` once per chapter. Theory is drawn as lines
(:func:`theory`), simulation as points with error bars (:func:`data`);
spin lattices and binary patterns as images (:func:`lattice`,
:func:`image_grid`); time evolutions as animations that also work on the
static site (:func:`animate`).
"""
from __future__ import annotations

import re

from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from ._validate import check_array, check_int, check_positive

__all__ = ["PALETTE", "style", "theory", "data", "lattice", "image_grid", "animate"]

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
            cmap: str = "gray_r", size: float = 3.0, draw: Callable | None = None):
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

    Returns
    -------
    IPython.display.HTML
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
        html = HTML(_offline_player(anim.to_jshtml(default_mode="once")))
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
