"""physbook.data, plotting and widgets, and the package surface."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import physbook as pb  # noqa: E402
from physbook import data, plotting, widgets  # noqa: E402


def test_package_surface():
    assert pb.__version__ == "0.1.0"
    assert pb.stats.Estimate(1.0, 0.1).mean == 1.0
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        pb.nonsense  # noqa: B018


def test_x64_is_on():
    import jax.numpy as jnp
    assert jnp.array(1.0).dtype == jnp.float64


def test_letters():
    cat = data.letters("CAT")
    assert cat.shape == (3, 7, 5) and cat.dtype == np.int8
    assert set(np.unique(cat)) == {-1, 1}
    # the T has a full top bar and a centre stem
    assert np.all(cat[2, 0] == 1) and np.all(cat[2, 1:, 2] == 1) and np.all(cat[2, 1:, [0, 1, 3, 4]] == -1)
    assert data.letters("a").tolist() == data.letters("A").tolist()
    assert data.letters("I", scale=2).shape == (1, 14, 10)
    all_letters = data.letters("ABCDEFGHIJKLMNOPQRSTUVWXYZ").reshape(26, -1)
    assert len({row.tobytes() for row in all_letters}) == 26
    with pytest.raises(ValueError, match="text may contain only letters"):
        data.letters("C3PO")
    with pytest.raises(TypeError, match="text must be a str"):
        data.letters(5)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_bars_and_stripes(n):
    x = data.bars_and_stripes(n)
    assert x.shape == (2 ** (n + 1) - 2, n * n)
    assert len({row.tobytes() for row in x}) == len(x)
    img = x.reshape(-1, n, n)
    rows_const = np.all(img == img[:, :, :1], axis=(1, 2))
    cols_const = np.all(img == img[:, :1, :], axis=(1, 2))
    assert np.all(rows_const | cols_const)


def test_binarized_digits_and_split():
    X, y = data.binarized_digits()
    assert X.shape == (1797, 64) and set(np.unique(X)) == {0.0, 1.0}
    assert np.bincount(y).tolist()[0] == 178
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert len(Xte) == 449 and len(Xtr) + len(Xte) == 1797 and len(ytr) == len(Xtr)
    again = data.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert np.array_equal(Xte, again[1])
    with pytest.raises(ValueError, match="test_fraction must be strictly between 0 and 1"):
        data.train_test_split(X, test_fraction=1.0)
    with pytest.raises(ValueError, match="y must have as many rows as X"):
        data.train_test_split(X, y[:-1])


def test_style_and_helpers_draw():
    plotting.style()
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.PALETTE[0]
    fig, ax = plt.subplots()
    line = plotting.theory(ax, [0, 1], [0, 1], label="exact")
    cont = plotting.data(ax, [0, 1], [0, 1], [0.1, 0.1], label="mc")
    assert line.get_label() == "exact" and cont.lines[0].get_linestyle() == "None"
    im = plotting.lattice(ax, np.array([[1, -1], [-1, 1]]))
    assert im.get_array().shape == (2, 2)
    with pytest.raises(ValueError, match="spins must have 2 dimension"):
        plotting.lattice(ax, np.ones(3))
    fig2, axes = plotting.image_grid(np.ones((5, 4)), shape=(2, 2), ncols=3, titles=list("abcde"))
    assert axes.shape == (2, 3)
    plt.close("all")


def test_animate_returns_html_player():
    html = plotting.animate(np.sign(np.random.default_rng(0).normal(size=(3, 4, 4))), titles=["a", "b", "c"])
    assert "<script" in html.data and "animation" in html.data.lower()
    # offline: no style sheet or script from another host, every Font Awesome icon replaced
    assert "://" not in html.data.replace("http://www.w3.org", "")
    assert 'class="fa ' not in html.data and "\u25b6" in html.data
    with pytest.raises(ValueError, match="frames must have 3 dimension"):
        plotting.animate(np.ones((4, 4)))


def test_explorer_and_static_panel():
    calls = []

    def plot(ax, a=1.0, kind="x"):
        calls.append((a, kind))
        ax.plot([0, a])

    w = widgets.explorer(plot, {"a": (0.0, 2.0, 0.5), "kind": ["x", "y"]})
    assert [c.description for c in w.children[:2]] == ["a", "kind"]
    assert calls  # drawn once on creation
    w.children[0].value = 2.0
    assert calls[-1] == (2.0, "x")
    manual = widgets.explorer(plot, {"a": (0.0, 2.0, 0.5)}, manual=True)
    assert any(getattr(c, "description", "") == "Run" for c in manual.children)
    fig, axes = widgets.static_panel(plot, [dict(a=0.5), dict(a=1.5, kind="y"), dict(a=1.0)], ncols=2)
    assert axes.shape == (2, 2) and axes[0, 1].get_title() == "a=1.5, kind=y"
    with pytest.raises(ValueError, match="controls must be a non-empty mapping"):
        widgets.explorer(plot, {})
    with pytest.raises(TypeError, match="plot must be callable"):
        widgets.static_panel(None, [dict(a=1)])
    plt.close("all")


def test_animation_player_has_alt_text_and_a_labelled_slider():
    """#25: the player's frame is an <img> with alt text, its slider a labelled control."""
    frames = np.sign(np.random.default_rng(0).normal(size=(3, 4, 4)))
    data = plotting.animate(frames, titles=["sweep 0", "sweep 1", "sweep 2"]).data
    assert 'alt="Animation of 3 frames, from sweep 0 to sweep 2"' in data
    assert 'type="range" class="anim-slider" aria-label="Frame"' in data
    data = plotting.animate(frames, alt='Domains "coarsen" & grow').data
    assert 'alt="Domains &quot;coarsen&quot; &amp; grow"' in data


def test_static_panel_shows_as_an_image_with_alt_text():
    """#25: the static fallback is displayed as <img alt=...>, drawn when the cell shows it."""
    import base64

    from IPython.core.formatters import DisplayFormatter

    def plot(ax, eta=0.1):
        ax.plot([0, eta])

    fig, axes = widgets.static_panel(plot, [dict(eta=0.05), dict(eta=0.2)],
                                     titles=[r"$\eta = 0.05,\ \beta = 0$", r"$\sigma^{2} = 10^{-3}$"])
    html = fig._repr_html_()
    assert html.startswith('<img src="data:image/png;base64,')
    assert 'alt="The explorer\'s figure at 2 settings: eta = 0.05, beta = 0; sigma^2 = 10^-3."' in html
    png = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert png.startswith(b"\x89PNG")
    formats, _ = DisplayFormatter().format(fig)
    assert formats["text/html"] == html          # notebooks and the site render the HTML, not the PNG
    axes[0, 0].set_xlabel("a label added after the call")
    assert fig._repr_html_() != html             # drawn at display time
    fig, _ = widgets.static_panel(plot, [dict(eta=1)], alt="One <panel>")
    assert 'alt="One &lt;panel&gt;"' in fig._repr_html_()
    with pytest.raises(TypeError, match="alt must be a str"):
        widgets.static_panel(plot, [dict(eta=1)], alt=3)
    plt.close("all")


def test_explorer_labels_are_shown_whole():
    """#25: each control's label (its accessible name) is the parameter name, never truncated."""
    import ipywidgets

    w = widgets.explorer(lambda ax, learning_rate, momentum: None,
                         {"learning_rate": (0.01, 0.25, 0.01),
                          "momentum": ipywidgets.FloatSlider(min=0.0, max=0.9)}, manual=True)
    controls = [c for c in w.children if isinstance(c, (ipywidgets.FloatSlider, ipywidgets.Button))]
    assert [c.description for c in controls] == ["learning_rate", "momentum", "Run"]
    assert all(c.style.description_width == "initial" for c in controls[:2])
    plt.close("all")


def test_x64_is_visible_and_controllable():
    """#26 item 6: import physbook turns on JAX's 64-bit mode unless PHYSBOOK_ENABLE_X64=0."""
    import os
    import subprocess
    import sys
    code = "import physbook, jax; print(jax.config.jax_enable_x64)"
    for value, expected in (("1", "True"), ("0", "False")):
        env = dict(os.environ, PHYSBOOK_ENABLE_X64=value, JAX_ENABLE_X64="0")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == expected, (value, out)
    env = dict(os.environ, PHYSBOOK_ENABLE_X64="maybe")
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "PHYSBOOK_ENABLE_X64 must be 0 or 1" in bad.stderr
    import pytest
    import physbook as pb
    with pytest.raises(TypeError, match="enabled must be True or False"):
        pb.enable_x64("yes")
