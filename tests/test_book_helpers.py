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
