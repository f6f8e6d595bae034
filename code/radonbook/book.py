"""Helpers for the chapters: glue values into the prose, and a slider of figures.

MyST-NB formats a glued number from its ``repr``; NumPy 2 scalars print as
``np.float32(0.5)``, which ``{glue:text}`key:.2f``` cannot format.  :func:`glue`
turns NumPy scalars into plain Python numbers first and never displays the
value in the cell.  :func:`frame_slider` turns a series of figures into HTML
a reader steps through with a slider, on the static page.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plain(value: Any) -> Any:
    """A NumPy scalar, or a 0-d NumPy or xarray array, as a Python int or float.

    Anything else is returned unchanged.
    """
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    return value


def glue(name: str, value: Any) -> None:
    """``myst_nb.glue(name, value, display=False)`` with NumPy scalars made plain.

    Without MyST-NB (a chapter downloaded as a notebook and run on Colab or a
    laptop, where ``{glue}`` roles do not render), the value is shown in the cell
    instead: see :func:`show_glued`.
    """
    try:
        from myst_nb import glue as myst_glue
    except ModuleNotFoundError:
        show_glued(name, value)
        return
    myst_glue(name, plain(value), display=False)


DIAGNOSTICS = ("max_rhat", "min_ess_bulk", "min_ess_tail", "divergences")
"""The keys :func:`glue_diagnostics` glues, each after the fit's prefix and ``_``."""


def diagnostics(fit: Any) -> dict[str, float | int]:
    """A fit's worst-case convergence diagnostics, the numbers the book's rule is about.

    Parameters
    ----------
    fit : arviz.InferenceData
        A fit from :func:`radonbook.fit`.

    Returns
    -------
    dict
        ``max_rhat`` (the largest R-hat over scalar parameters), ``min_ess_bulk``
        and ``min_ess_tail`` (the smallest effective sample sizes, in draws, rounded
        to the nearest draw as in :func:`radonbook.convergence_table`) and
        ``divergences`` (divergent transitions after warmup, all chains).
    """
    from .diagnostics import convergence_summary, divergences

    summary = convergence_summary(fit)
    return {
        "max_rhat": float(summary["r_hat"].max()),
        # rounded, not truncated: the prose must agree with rb.convergence_table
        "min_ess_bulk": round(float(summary["ess_bulk"].min())),
        "min_ess_tail": round(float(summary["ess_tail"].min())),
        "divergences": divergences(fit),
    }


def glue_diagnostics(prefix: str, fit: Any) -> dict[str, float | int]:
    """Glue a fit's :func:`diagnostics` as ``<prefix>_max_rhat``, ``<prefix>_min_ess_bulk``, ...

    One line instead of four in a chapter's glue cell; the values are returned
    too.  ``prefix`` names the fit in the prose (letters, digits, ``_``, ``-``).
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", prefix):
        raise ValueError(f"prefix must be letters, digits, '_' and '-', got {prefix!r}")
    values = diagnostics(fit)
    for key, value in values.items():
        glue(f"{prefix}_{key}", value)
    return values


_SCRIPT = """<script>
(() => {
  const root = document.getElementById(%(id)s);
  const input = root.querySelector("input");
  const output = root.querySelector("output");
  const frames = root.querySelectorAll("img");
  const values = %(values)s;
  input.addEventListener("input", () => {
    const k = Number(input.value);
    frames.forEach((frame, i) => { frame.hidden = i !== k; });
    output.textContent = values[k];
    input.setAttribute("aria-valuetext", values[k]);
  });
})();
</script>"""


_LABEL_TAG = re.compile(r"&lt;(/?)(sub|sup|i|em)&gt;")


def _label_html(label: str) -> str:
    """``label`` as HTML: text escaped, except the tags ``<sub> <sup> <i> <em>`` (no attributes).

    So a label can carry a subscript; the tags must be balanced.
    """
    escaped = html.escape(label, quote=False)
    open_tags = []
    for closing, tag in _LABEL_TAG.findall(escaped):
        if not closing:
            open_tags.append(tag)
        elif not open_tags or open_tags.pop() != tag:
            raise ValueError(f"label has an unbalanced </{tag}>: {label!r}")
    if open_tags:
        raise ValueError(f"label leaves <{open_tags[-1]}> open: {label!r}")
    return _LABEL_TAG.sub(r"<\1\2>", escaped)


def _attribute(value: re.Match) -> str:
    """An SVG attribute ``="value"`` as ``='value'``, its numbers cut to two decimals."""
    numbers = re.sub(r"(\d\.\d\d)\d+", r"\1", value.group(1))
    return "='" + numbers.replace("'", '"') + "'"


def _svg_data_uri(figure: Figure) -> str:
    """The figure as a compact SVG ``data:`` URI, for an ``src="..."`` attribute.

    Numbers in attributes (coordinates) keep two decimals, a hundredth of a
    point, far below a pixel; the text drawn is left as it is.  Indentation,
    the XML declaration and the doctype go; attributes are single-quoted; the
    rest is percent-encoded only where the URI or the HTML around it needs it
    (``%``, ``#``, ``"``, ``&``, ``<``, ``>``), not base64-encoded: less than
    half the size of the base64 form, and it compresses (gzip) like the page's text.
    """
    svg = io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None})
    text = svg.getvalue().decode()
    text = re.sub(r">\s+<", "><", text[text.index("<svg") :].replace("\n", " "))
    text = re.sub(r'="([^"]*)"', _attribute, text)
    for character in '%#"&<>':  # % first: it starts every escape
        text = text.replace(character, f"%{ord(character):02X}")
    return "data:image/svg+xml;charset=utf-8," + text


def frame_slider(
    figures: Sequence[Figure],
    values: Sequence[str],
    alts: Sequence[str],
    *,
    name: str,
    label: str,
    start: int = 0,
) -> str:
    """HTML showing one figure at a time, chosen with a labelled slider.

    Each figure is embedded as an SVG image (a compact data URI, so the page
    needs no other file) with its alt text; ``values[k]`` names setting k next
    to the slider.  A short inline script swaps the images; without JavaScript
    the ``start`` figure is shown.  ``name`` (letters, digits, ``-``) makes the
    element ids unique on the page.  ``label`` is text, in which ``<sub>``,
    ``<sup>``, ``<i>`` and ``<em>`` are kept as HTML (``"x<sub>c</sub> held
    fixed"``); anything else is escaped.  Display the result with
    ``IPython.display.HTML``.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", name):
        raise ValueError(f"name must be letters, digits and '-', got {name!r}")
    if not figures or not len(figures) == len(values) == len(alts):
        raise ValueError(
            f"give one value and one alt text per figure: {len(figures)} figures, "
            f"{len(values)} values, {len(alts)} alt texts"
        )
    if not 0 <= start < len(figures):
        raise ValueError(f"start must be between 0 and {len(figures) - 1}, got {start}")
    label = _label_html(label)
    images = []
    for k, (figure, alt) in enumerate(zip(figures, alts, strict=True)):
        hidden = "" if k == start else " hidden"
        images.append(f'<img src="{_svg_data_uri(figure)}" alt="{html.escape(alt)}"{hidden}>')
    shown = html.escape(values[start])
    return "\n".join(
        [
            f'<div class="frame-slider" id="{name}">',
            f'<label for="{name}-input">{label}: '
            f'<output for="{name}-input">{shown}</output></label>',
            f'<input type="range" id="{name}-input" min="0" max="{len(figures) - 1}" '
            f'step="1" value="{start}" aria-valuetext="{shown}">',
            *images,
            _SCRIPT
            % {"id": json.dumps(name), "values": json.dumps(list(values)).replace("<", "\\u003c")},
            "</div>",
        ]
    )


def show_glued(name: str, value: Any) -> None:
    """Show a glued value in the notebook, for readers running a chapter outside the book.

    A figure or anything with a rich display (HTML, a DataFrame) is displayed;
    anything else is printed as ``name = value``, the name being the key the
    chapter's text refers to.
    """
    value = plain(value)
    try:
        from IPython.display import display
    except ModuleNotFoundError:  # plain Python: print is all there is
        display = print
    if hasattr(value, "savefig") or hasattr(value, "_repr_html_"):
        display(value)
    else:
        print(f"{name} = {value!r}")
