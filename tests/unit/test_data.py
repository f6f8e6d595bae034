"""The loader accepts the committed CSV and rejects every kind of bad file clearly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import radonbook as rb
from radonbook.data import COLUMNS

GOOD = [
    "county,county_code,floor,log_radon,log_uranium",
    "AITKIN,0,1,0.788457,-0.689048",
    "AITKIN,0,0,1.064711,-0.689048",
    "ANOKA,1,0,1.131402,-0.847313",
    "BECKER,2,0,0.955511,-0.113459",
]


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "radon.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def replace(line: int, column: str, value: str) -> list[str]:
    """GOOD with one cell changed (``line`` counts the header as 1)."""
    lines = list(GOOD)
    cells = lines[line - 1].split(",")
    cells[COLUMNS.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return lines


def test_committed_data_is_the_survey(radon: rb.RadonData) -> None:
    assert radon.n_houses == 919
    assert radon.n_counties == 85
    assert radon.county_names[0] == "AITKIN" and radon.county_names[-1] == "YELLOW MEDICINE"
    assert radon.floor.mean() == pytest.approx(0.1665, abs=5e-4)
    assert radon.log_radon.min() == pytest.approx(np.log(0.1), abs=1e-5)  # zero read as 0.1
    assert radon.houses_per_county.sum() == 919 and radon.houses_per_county.min() >= 1


def test_checksum_in_data_readme_matches_the_file(radon: rb.RadonData) -> None:
    readme = (Path(__file__).resolve().parents[2] / "data" / "README.md").read_text()
    assert radon.sha256 == hashlib.sha256(rb.data.DEFAULT_PATH.read_bytes()).hexdigest()
    assert radon.sha256 in readme


def test_small_valid_file(tmp_path: Path) -> None:
    data = rb.load_radon(write(tmp_path, GOOD))
    assert data.county_names == ("AITKIN", "ANOKA", "BECKER")
    assert data.county.tolist() == [0, 0, 1, 2]
    assert data.floor.tolist() == [1, 0, 0, 0]
    assert data.county_log_uranium == pytest.approx([-0.689048, -0.847313, -0.113459])


def test_round_trip_through_frame(radon: rb.RadonData, tmp_path: Path) -> None:
    path = tmp_path / "copy.csv"
    radon.to_frame().to_csv(path, index=False)
    again = rb.load_radon(path)
    assert again.county_names == radon.county_names
    np.testing.assert_array_equal(again.county, radon.county)
    np.testing.assert_allclose(again.log_radon, radon.log_radon)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], r"file is empty"),
        (GOOD[:1], r"no data rows below the header"),
        (
            [GOOD[0].replace(",log_uranium", "")] + [r.rsplit(",", 1)[0] for r in GOOD[1:]],
            r"missing column\(s\) 'log_uranium'",
        ),
        (
            [GOOD[0] + ",notes"] + [r + ",x" for r in GOOD[1:]],
            r"unexpected column\(s\) 'notes'",
        ),
        (GOOD[:2] + ["AITKIN,0,0,1.0"] + GOOD[3:], r"line 3 has 4 fields, the header has 5"),
        (replace(3, "log_radon", ""), r"column 'log_radon', line 3: missing value"),
        (replace(4, "log_radon", "NA"), r"column 'log_radon', line 4: missing value"),
        (replace(2, "log_radon", "high"), r"column 'log_radon', line 2: 'high' is not a number"),
        (replace(5, "log_uranium", "inf"), r"column 'log_uranium', line 5: 'inf' is not a finite"),
        (replace(3, "floor", "2"), r"column 'floor', line 3: 2 is not 0 \(basement\) or 1"),
        (replace(3, "floor", "0.5"), r"column 'floor', line 3: '0.5' is not an integer"),
        (replace(2, "county", ""), r"column 'county', line 2: missing value"),
        (replace(3, "county_code", "1"), r"line 3: county 'AITKIN' has code 1 here but 0"),
        (
            replace(4, "county_code", "0"),
            r"line 4: code 0 is given to 'ANOKA' here but to 'AITKIN'",
        ),
        (
            [GOOD[0]]
            + [r.replace(",0,", ",1,", 1) if r.startswith("AITKIN") else r for r in GOOD[1:]][:2]
            + ["ANOKA,2,0,1.131402,-0.847313", "BECKER,3,0,0.955511,-0.113459"],
            r"code 1 for 'AITKIN' should be 0: codes must run 0..2",
        ),
        (replace(3, "log_uranium", "0.5"), r"column 'log_uranium', line 3: 0.5 differs from"),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-column",
        "extra-column",
        "ragged-row",
        "blank-value",
        "NA-value",
        "non-numeric",
        "non-finite",
        "floor-not-0-1",
        "floor-not-integer",
        "blank-county",
        "name-two-codes",
        "code-two-names",
        "codes-not-0-to-K-1",
        "uranium-varies-in-county",
    ],
)
def test_bad_file_names_file_column_and_line(tmp_path: Path, lines: list[str], message: str):
    path = write(tmp_path, lines) if lines else tmp_path / "radon.csv"
    if not lines:
        path.write_text("")
    with pytest.raises(rb.DataValidationError, match=message) as caught:
        rb.load_radon(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(rb.DataValidationError, match=r"nowhere\.csv: file not found"):
        rb.load_radon(tmp_path / "nowhere.csv")


def test_codes_out_of_alphabetical_order_are_rejected(tmp_path: Path) -> None:
    lines = [GOOD[0], "ANOKA,0,0,1.1,-0.8", "AITKIN,1,0,0.7,-0.6"]
    with pytest.raises(rb.DataValidationError, match=r"code 0 for 'ANOKA' should be 1"):
        rb.load_radon(write(tmp_path, lines))


def test_from_arrays_validates_and_hashes() -> None:
    data = rb.from_arrays([0, 1], [0, 1], [1.0, 2.0], ["A", "B"])
    assert len(data.sha256) == 64
    assert data.sha256 != rb.from_arrays([0, 1], [0, 1], [1.0, 2.5], ["A", "B"]).sha256
    with pytest.raises(rb.DataValidationError, match="floor must be 0"):
        rb.from_arrays([0], [3], [1.0], ["A"])
    with pytest.raises(rb.DataValidationError, match=r"county indexes must lie in 0\.\.0"):
        rb.from_arrays([1], [0], [1.0], ["A"])


def test_county_lookup(radon: rb.RadonData) -> None:
    assert radon.county_names[radon.county_index("crow wing")] == "CROW WING"
    with pytest.raises(KeyError, match="no county named 'ATLANTIS'"):
        radon.county_index("ATLANTIS")
