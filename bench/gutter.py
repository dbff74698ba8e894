"""Issue 17: what settling a printer's gutter costs. The inside margin a printer asks for grows with the
page count, which is known only once the book is laid out (pdf/writer.py, settled()).

For each book and printer, in one process with the cache off:
  - the guess (pagelimit.likely_pages) against the pages the book came to;
  - the layouts settled() made, and its time against one layout with the gutter it settled on;
  - the same for the way it was settled before (first with the gutter of the shortest books, then
    again whenever the count asked for another), timed only when it would have laid out twice.

    python bench/gutter.py PROJECT [PROJECT ...] [--printer lulu] [--margin-inner 0.5in]

Issue 17's target: at most 1.15 x one layout.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from bookmaker.load.project import load_book
from bookmaker.pdf import printers, printshop
from bookmaker.pdf.pagelimit import likely_pages
from bookmaker.pdf.writer import laid_out_pdf, likely_setting, settled
from bookmaker.render import render_book


def with_printer(rendered, printer: str, margin_inner: str | None):
    pdf = dataclasses.replace(rendered.book.metadata.pdf, printer=printer,
                              **({"margin_inner": margin_inner} if margin_inner else {}))
    metadata = dataclasses.replace(rendered.book.metadata, pdf=pdf)
    return dataclasses.replace(rendered, book=dataclasses.replace(rendered.book, metadata=metadata))


def timed_layout(setting) -> tuple[float, int]:
    start = time.perf_counter()
    data, _ = laid_out_pdf(setting, None, None, None, cache=False)
    return time.perf_counter() - start, printshop.page_count(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="+")
    parser.add_argument("--printer", default="lulu")
    parser.add_argument("--margin-inner", help="the book's own inside margin (default: its book.yaml's)")
    args = parser.parse_args()
    p = printers.printer(args.printer)
    warm_up = with_printer(render_book(load_book(args.projects[0]), jobs=1, cache=False), args.printer, None)
    timed_layout(printshop.for_page_count(warm_up, p, p.min_pages))  # libraries loaded, fonts found
    print(f"| book ({p.label}) | guess | pages | gutter | layouts | settling ÷ one layout | before: layouts | before: ÷ one layout |")
    print("|---|---|---|---|---|---|---|---|")
    for project in args.projects:
        rendered = with_printer(render_book(load_book(project), jobs=1, cache=False), args.printer, args.margin_inner)
        guess = likely_pages(likely_setting(rendered, p))  # at the gutter guessed
        layouts = []

        def lay_out(setting):
            layouts.append(setting)
            return laid_out_pdf(setting, None, None, None, cache=False)

        start = time.perf_counter()
        setting, data, _ = settled(rendered, p, lay_out)
        settling = time.perf_counter() - start
        one, pages = timed_layout(setting)
        gutter = setting.book.metadata.pdf.margin_inner
        # Before: the shortest books' gutter first, then the final count's whenever it differed.
        first = printshop.for_page_count(rendered, p, p.min_pages)
        if first.book.metadata.pdf.margin_inner == gutter:
            before = "1", "1.00"
        else:
            t_first, first_pages = timed_layout(first)
            again = printshop.for_page_count(rendered, p, printers.padded_page_count(p, first_pages))
            if again.book.metadata.pdf.margin_inner == first.book.metadata.pdf.margin_inner:
                before = "1", "1.00"
            else:
                t_again, _ = timed_layout(again)
                before = "2", f"{(t_first + t_again) / one:.2f}"
        name = rendered.book.metadata.title[:40]
        print(f"| {name} | {guess} | {pages} | {gutter} | {len(layouts)} | {settling / one:.2f} | {before[0]} | {before[1]} |",
              flush=True)


if __name__ == "__main__":
    main()
