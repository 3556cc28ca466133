"""Interactive explorers for the chapters, each with a static fallback.

A chapter writes its figure once, as ``plot(ax, **params)``, and gets both

* :func:`explorer` - sliders/dropdowns that redraw the figure live (Jupyter,
  Binder, Colab; tag the cell ``remove-output`` so the site shows no dead
  widget), and
* :func:`static_panel` - the same figure at a few hand-picked settings as
  small multiples, for the rendered site where no kernel runs.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt

from ._validate import check_int

__all__ = ["explorer", "static_panel"]


def explorer(plot: Callable[..., Any], controls: Mapping[str, Any], *,
             figsize: tuple[float, float] = (6.4, 4.0), manual: bool = False):
    """Return an ipywidgets explorer that calls ``plot(ax, **params)`` on every change.

    Parameters
    ----------
    plot : callable
        ``plot(ax, **params)`` draws on a fresh axis.
    controls : mapping
        Parameter name -> ipywidgets control, or an ``interact`` abbreviation
        such as ``(0.5, 4.0, 0.1)`` (float slider) or ``["a", "b"]`` (dropdown).
    figsize : (float, float)
        Figure size in inches.
    manual : bool
        Add a "Run" button instead of redrawing on every slider move (for
        plots that simulate for more than a fraction of a second).

    Returns
    -------
    ipywidgets.interactive

    Example
    -------
    >>> w = explorer(lambda ax, a: ax.plot([0, a]), {"a": (0.0, 1.0, 0.1)}, manual=True)
    >>> sorted(c.description for c in w.children[:1])
    ['a']
    """
    import ipywidgets as widgets

    if not callable(plot):
        raise TypeError(f"plot must be callable, got {type(plot).__name__}")
    if not isinstance(controls, Mapping) or not controls:
        raise ValueError("controls must be a non-empty mapping of parameter name -> widget")

    def redraw(**params):
        fig, ax = plt.subplots(figsize=figsize)
        plot(ax, **params)
        plt.show()

    options = {"manual": True, "manual_name": "Run"} if manual else {}
    return widgets.interactive(redraw, options, **dict(controls))


def static_panel(plot: Callable[..., Any], settings: Sequence[Mapping[str, Any]], *,
                 ncols: int | None = None, titles: Sequence[str] | None = None,
                 size: tuple[float, float] = (3.4, 2.8), sharey: bool = False):
    """Draw ``plot(ax, **params)`` for each dict in ``settings`` as small multiples.

    Parameters
    ----------
    plot : callable
        The same function given to :func:`explorer`.
    settings : sequence of dict
        Parameter values, one dict per panel.
    ncols : int, optional
        Panels per row (default: up to 4).
    titles : sequence of str, optional
        Panel titles (default: ``"name=value, ..."``).
    size : (float, float)
        Inches per panel.

    Returns
    -------
    (matplotlib.figure.Figure, numpy.ndarray of Axes)
    """
    if not callable(plot):
        raise TypeError(f"plot must be callable, got {type(plot).__name__}")
    settings = list(settings)
    if not settings or not all(isinstance(s, Mapping) for s in settings):
        raise ValueError("settings must be a non-empty sequence of dicts of parameter values")
    n = len(settings)
    ncols = min(n, 4) if ncols is None else check_int("ncols", ncols, minimum=1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False, sharey=sharey)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        plot(ax, **settings[k])
        title = titles[k] if titles is not None else ", ".join(
            f"{key}={val}" for key, val in settings[k].items())
        ax.set_title(title, fontsize=10)
    return fig, axes
