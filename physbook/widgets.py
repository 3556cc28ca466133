"""Interactive explorers for the chapters, each with a static fallback.

A chapter writes its figure once, as ``plot(ax, **params)``, and gets both

* :func:`explorer` - sliders/dropdowns that redraw the figure live (Jupyter,
  Binder, Colab; tag the cell ``remove-output`` so the site shows no dead
  widget), and
* :func:`static_panel` - the same figure at a few hand-picked settings as
  small multiples, for the rendered site where no kernel runs.

Both are readable without a mouse or a screen: every explorer control carries
its parameter name as a visible, untruncated label, and the static panel is
shown as an image with alt text (WCAG 2.1 AA, issue #25).
"""
from __future__ import annotations

import html
import re
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
    explorer_ = widgets.interactive(redraw, options, **dict(controls))
    for control in explorer_.children:
        # the label is the control's accessible name: show it whole, never cut to "learnin..."
        if getattr(control, "description", "") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"
    return explorer_


def static_panel(plot: Callable[..., Any], settings: Sequence[Mapping[str, Any]], *,
                 ncols: int | None = None, titles: Sequence[str] | None = None,
                 size: tuple[float, float] = (3.4, 2.8), sharey: bool = False,
                 alt: str | None = None):
    """Draw ``plot(ax, **params)`` for each dict in ``settings`` as small multiples.

    In a notebook and on the rendered site the figure shows as an image with
    alt text (``alt``, or by default the list of panel settings), drawn when the
    cell displays it, so changes to ``axes`` after the call still show.

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
    sharey : bool
        One y axis for all panels.
    alt : str, optional
        What the figure shows, for readers who cannot see it (default: "The
        explorer's figure at n settings: ..." with the panel titles).

    Returns
    -------
    (matplotlib.figure.Figure, numpy.ndarray of Axes)

    Example
    -------
    >>> plot = lambda ax, a: ax.plot([0, a])
    >>> fig, axes = static_panel(plot, [dict(a=1), dict(a=2)])
    >>> "explorer's figure at 2 settings: a=1; a=2." in fig._repr_html_()
    True
    """
    if not callable(plot):
        raise TypeError(f"plot must be callable, got {type(plot).__name__}")
    settings = list(settings)
    if not settings or not all(isinstance(s, Mapping) for s in settings):
        raise ValueError("settings must be a non-empty sequence of dicts of parameter values")
    n = len(settings)
    ncols = min(n, 4) if ncols is None else check_int("ncols", ncols, minimum=1)
    nrows = -(-n // ncols)
    if alt is not None and not isinstance(alt, str):
        raise TypeError(f"alt must be a str, got {type(alt).__name__}")
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False, sharey=sharey)
    shown = []
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        plot(ax, **settings[k])
        title = titles[k] if titles is not None else ", ".join(
            f"{key}={val}" for key, val in settings[k].items())
        ax.set_title(title, fontsize=10)
        shown.append(_plain(title))
    if alt is None:
        alt = f"The explorer's figure at {n} settings: " + "; ".join(shown) + "."
    # IPython asks a displayed object for HTML before PNG: the panel becomes <img alt=...>.
    fig._repr_html_ = lambda: _img_html(fig, alt)
    return fig, axes


def _plain(title: str) -> str:
    r"""A panel title as alt text, no TeX: ``$\eta = 0.05,\ \beta$`` -> ``eta = 0.05, beta``."""
    text = re.sub(r"\\[ ,;:!]", " ", title).replace("$", "")
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text).replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def _img_html(fig, alt: str) -> str:
    """The figure as an inline PNG (as the inline backend draws it) with alt text."""
    from IPython.core.pylabtools import print_figure

    data = print_figure(fig, "png", bbox_inches="tight", base64=True)
    text = html.escape(alt, quote=False).replace('"', "&quot;")
    return (f'<img src="data:image/png;base64,{data}" alt="{text}" '
            'style="max-width: 100%; height: auto;">')
