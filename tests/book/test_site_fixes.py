"""book/_ext/site_fixes.py on snippets of HTML (tests/book/test_site.py sees the built pages)."""

from __future__ import annotations

from conftest import load_tool

site_fixes = load_tool("site_fixes", "_ext")


def test_a_hyphenated_word_of_a_table_heading_stays_whole() -> None:
    body = (
        '<table><thead><tr><th class="col_heading level0">max R-hat</th></tr></thead>'
        "<tbody><tr><th>non-centered</th><td>first-floor</td><th>-0.5</th></tr>"
        '<tr><th>a <a href="#x-y">between-county F</a> ratio</th></tr></tbody></table>'
    )
    assert site_fixes.keep_hyphenated_words_whole(body) == (
        '<table><thead><tr><th class="col_heading level0">max '
        '<span class="text-nowrap">R-hat</span></th></tr></thead>'
        '<tbody><tr><th><span class="text-nowrap">non-centered</span></th>'
        "<td>first-floor</td><th>-0.5</th></tr>"  # cells and numbers are left alone
        '<tr><th>a <a href="#x-y"><span class="text-nowrap">between-county</span> F</a> ratio'
        "</th></tr></tbody></table>"
    )


def test_a_heading_without_a_hyphenated_word_is_unchanged() -> None:
    body = "<th>min bulk ESS / s</th><th>&nbsp;</th><thead></thead>"
    assert site_fixes.keep_hyphenated_words_whole(body) == body
