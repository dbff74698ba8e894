"""Pictures and tables on the baseline grid (issue 16): the text after either starts on a whole body
line, so that full pages end at the same depth whatever they hold."""

from __future__ import annotations

import sys

import lxml.html

from bookmaker.model import PdfSettings
from bookmaker.pdf.html import pictures_on_grid, tables_on_grid
from bookmaker.pdf.layout import TABLE_RULE, Grid
from conftest import REPO, png, run_cli

sys.path.insert(0, str(REPO / "bench"))
import typeset  # noqa: E402

GRID = Grid(line=15.4, lines=34)


def test_a_picture_alone_in_its_paragraph_is_whole_lines_high():
    div = lxml.html.fromstring(
        '<div><p><img src="bookmaker:images/map.png"></p>'
        '<p>Text and <img src="bookmaker:images/map.png"> inline.</p>'
        '<p><img class="bleed" src="bookmaker:images/map.png"></p>'
        '<p><img src="bookmaker:images/map.png" width="100"></p>'
        '<p><img src="bookmaker:images/tall.png"></p>'
        '<p><img src="bookmaker:images/unknown.png"></p></div>')
    sizes = {"bookmaker:images/map.png": (1200, 750), "bookmaker:images/tall.png": (300, 3000)}
    pictures_on_grid(div, sizes, GRID, measure=288.0)
    styles = [img.get("style") for img in div.iter("img")]
    # 1200 px is wider than the text: 288 pt wide would be 180 pt high, 11.69 lines: 11 lines.
    assert styles[0] == "height: 169.4pt; width: auto"
    assert styles[1:4] == [None, None, None]  # inline, a whole-page picture, sized by its author
    assert styles[4] == f"height: {GRID(32)}; width: auto"  # never taller than the page less its two lines of space
    assert styles[5] is None  # its size is not known


def test_a_table_makes_up_below_it_for_the_rules_under_its_rows():
    div = lxml.html.fromstring('<div><table><tr><th>A</th></tr><tr><td>1</td></tr><tr><td>2</td></tr></table>'
                               '<table style="color: red">' + "<tr><td>x</td></tr>" * 40 + "</table></div>")
    tables_on_grid(div, GRID)
    first, long = div.iter("table")
    assert first.get("style") == f"margin-bottom: {round(15.4 - 3 * TABLE_RULE, 3):g}pt"
    # 40 rules are 20 pt: two lines below it, less the rules, keep at least half a line of space.
    assert long.get("style") == f"color: red; margin-bottom: {round(2 * 15.4 - 40 * TABLE_RULE, 3):g}pt"


def test_text_after_a_picture_and_a_table_is_on_the_grid(tmp_path):
    manuscript = tmp_path / "book" / "manuscript"
    (manuscript / "images").mkdir(parents=True)
    png(manuscript / "images" / "plan.png", 1200, 750)
    (manuscript / "book.yaml").write_text("title: Grid\nauthor: A. Writer\nlanguage: en\ndate: 2026-01-01\n")
    para = "The tide came in over the flats while she counted the boats and wrote each name down. " * 3
    rows = "\n".join(f"| {d} | a note about the day that wraps onto a second line in its narrow column |"
                     for d in ("Mon", "Tue", "Wed"))
    (manuscript / "01-one.md").write_text(
        f"# One\n\n{para}\n\n| Day | Note |\n|---|---|\n{rows}\n\n{para}\n\n![A plan.](images/plan.png)\n\n{para}\n")
    out = tmp_path / "grid.pdf"
    result = run_cli("pdf", tmp_path / "book", "-o", out)
    assert result.returncode == 0, result.stderr
    line = Grid.of(type("B", (), {"metadata": type("M", (), {"pdf": PdfSettings()})})).line
    body = [p for p in typeset.read_pages(out) if any("tide" in l.text for l in p.lines)]
    tops = [l.top for p in body for l in p.lines if l.text.lower().startswith("the tide")]
    assert len(tops) >= 3  # each paragraph's first line: before the table, after it, after the picture
    first = tops[0]
    for top in tops[1:]:
        assert abs((top - first) / line - round((top - first) / line)) < 0.02, (tops, line)

