"""Helpers the chapters use: glue values must reach the prose as plain numbers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from radonbook.book import plain


@pytest.mark.parametrize(
    ("value", "expected", "kind"),
    [
        (np.float32(0.5), 0.5, float),
        (np.float64(1.25), 1.25, float),
        (np.int64(7), 7, int),
        (np.array(2.5), 2.5, float),
        (xr.DataArray(np.float32(0.25)), 0.25, float),
        (3, 3, int),
        ("CASS", "CASS", str),
    ],
)
def test_plain_turns_numpy_scalars_into_python_numbers(value, expected, kind) -> None:
    result = plain(value)
    assert result == expected and type(result) is kind
    assert "np." not in repr(result)


def _figure(value: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, value])
    return fig


def test_frame_slider_shows_one_figure_and_names_every_setting() -> None:
    import re
    from urllib.parse import unquote
    from xml.etree import ElementTree

    from radonbook.book import frame_slider

    values = ["0.01", "0.1", "1 < 2"]
    page = frame_slider(
        [_figure(v) for v in (1.0, 2.0, 3.0)],
        values,
        ["first", "second", 'third "alt"'],
        name="dial-1",
        label="sigma held fixed",
        start=1,
    )
    images = re.findall(r"<img ([^>]*)>", page)
    assert len(images) == 3
    assert ["hidden" in image for image in images] == [True, False, True]
    assert 'alt="third &quot;alt&quot;"' in images[2]
    source = re.search(r'src="data:image/svg\+xml;charset=utf-8,([^"]+)"', images[0]).group(1)
    assert not set('#"&<>') & set(source)  # nothing a URI or the HTML would misread
    svg = unquote(source)
    assert svg.startswith("<svg")
    ElementTree.fromstring(svg.encode())  # well-formed SVG
    assert 'for="dial-1-input"' in page and 'id="dial-1-input"' in page
    assert 'max="2"' in page and 'value="1"' in page
    assert '<output for="dial-1-input">0.1</output>' in page
    # setting names reach the script as JSON, with "<" escaped so no value can end it
    assert '"0.01", "0.1", "1 \\u003c 2"' in page
    assert page.count("<script>") == 1 and "1 < 2" not in page.split("<script>")[1]


def test_frame_slider_images_are_compact_and_keep_their_text() -> None:
    import base64
    import io
    import re
    from urllib.parse import unquote

    from radonbook.book import frame_slider

    figure = _figure(1.0)
    figure.axes[0].plot(*np.random.default_rng(0).normal(size=(2, 300)), ".")  # 600 coordinates
    figure.text(0.5, 0.5, "p = 0.12345 & <more>")
    plain = io.BytesIO()
    figure.savefig(plain, format="svg")
    page = frame_slider([figure], ["a"], ["alt"], name="s", label="setting")
    source = re.search(r'src="data:image/svg\+xml;charset=utf-8,([^"]+)"', page).group(1)
    svg = unquote(source)
    assert len(source) < len(plain.getvalue())
    assert len(source) < 0.75 * len(base64.b64encode(plain.getvalue()))  # the old form
    # coordinates keep two decimals; the text drawn keeps all its digits and characters
    assert not re.search(r'="[^"]*\d\.\d{3}', svg)
    assert "p = 0.12345 &amp; &lt;more&gt;" in svg


def test_frame_slider_label_keeps_only_sub_and_superscripts() -> None:
    from radonbook.book import frame_slider

    def label(text: str) -> str:
        page = frame_slider([_figure(1.0)], ["a"], ["alt"], name="s", label=text)
        return page.split('<label for="s-input">')[1].split(": <output")[0]

    assert label("s<sub>a</sub> held fixed") == "s<sub>a</sub> held fixed"
    assert label("e<sup>x</sup>, <i>x</i>") == "e<sup>x</sup>, <i>x</i>"
    assert label('<b onclick="x">a</b> & <sub id="y">') == (
        '&lt;b onclick="x"&gt;a&lt;/b&gt; &amp; &lt;sub id="y"&gt;'
    )
    for bad in ("s<sub>a", "s</sub>", "<sub><i>a</sub></i>"):
        with pytest.raises(ValueError, match="label"):
            label(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "two words"}, "name must be"),
        ({"values": ["a"]}, "one value and one alt text per figure"),
        ({"start": 2}, "start must be between 0 and 1"),
    ],
)
def test_frame_slider_rejects_bad_arguments(kwargs, message) -> None:
    from radonbook.book import frame_slider

    arguments = {
        "figures": [_figure(1.0), _figure(2.0)],
        "values": ["a", "b"],
        "alts": ["a", "b"],
        "name": "s",
        "label": "setting",
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        frame_slider(**arguments)


def test_glue_outside_the_book_shows_the_value(monkeypatch, capsys) -> None:
    """A chapter run as a notebook without MyST-NB prints or displays what it glues."""
    import builtins

    import IPython.display
    from radonbook.book import glue

    real_import = builtins.__import__

    def without_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ModuleNotFoundError("No module named 'myst_nb'")
        return real_import(name, *args, **kwargs)

    shown = []
    monkeypatch.setattr(builtins, "__import__", without_myst_nb)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    glue("rmsd_pooled", np.float32(0.75))
    figure = _figure(1.0)
    glue("fig-x", figure)
    assert capsys.readouterr().out == "rmsd_pooled = 0.75\n"
    assert shown == [figure]


def test_glue_in_the_book_shows_nothing(capsys) -> None:
    from radonbook.book import glue

    glue("rmsd_pooled", np.float32(0.75))  # MyST-NB: stored for the page, not displayed
    assert capsys.readouterr().out == ""


def test_glue_diagnostics_glues_the_worst_diagnostics_under_the_prefix(monkeypatch) -> None:
    import radonbook.book as book
    from radonbook.diagnostics import convergence_summary, convergence_table

    rng = np.random.default_rng(0)
    posterior = {"mu": rng.normal(size=(4, 200)), "tau": rng.normal(size=(4, 200, 3))}
    diverging = np.zeros((4, 200), dtype=bool)
    diverging[1, :3] = True
    import arviz as az

    fit = az.from_dict(posterior=posterior, sample_stats={"diverging": diverging})
    glued = {}
    monkeypatch.setattr(book, "glue", lambda name, value: glued.__setitem__(name, value))
    values = book.glue_diagnostics("pooled", fit)
    summary = convergence_summary(fit)
    assert glued == {f"pooled_{key}": value for key, value in values.items()}
    assert set(values) == set(book.DIAGNOSTICS)
    assert values["divergences"] == 3
    assert values["max_rhat"] == pytest.approx(summary["r_hat"].max())
    assert values["min_ess_bulk"] == round(summary["ess_bulk"].min())
    assert values["min_ess_tail"] == round(summary["ess_tail"].min())
    table = convergence_table({"pooled": fit}).loc["pooled"]  # the prose agrees with the table
    assert (values["min_ess_bulk"], values["min_ess_tail"]) == (
        table["min bulk ESS"],
        table["min tail ESS"],
    )
    with pytest.raises(ValueError, match="prefix must be"):
        book.glue_diagnostics("two words", fit)
