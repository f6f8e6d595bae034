"""Helpers for the chapters: glue values into the prose.

MyST-NB formats a glued number from its ``repr``; NumPy 2 scalars print as
``np.float32(0.5)``, which ``{glue:text}`key:.2f``` cannot format.  :func:`glue`
turns NumPy scalars into plain Python numbers first and never displays the
value in the cell.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np


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
    """``myst_nb.glue(name, value, display=False)`` with NumPy scalars made plain."""
    from myst_nb import glue as myst_glue

    myst_glue(name, plain(value), display=False)
