"""Stage 3, the PDF writer: RenderedBook → print PDF. The only package that imports WeasyPrint, pypdf
and fontTools.

Takes a RenderedBook and nothing else; gives the print PDF. The pages become HTML (html.py), laid out
by WeasyPrint (layout.py) as one document, or chapter by chapter on all cores (parts.py) and joined
(join.py) with each typeface's subsets merged (fonts.py). Every private name of those libraries that
the parallel layout needs lives in one adapter each: weasy_internals.py, pypdf_internals.py,
fonttools_internals.py.
"""


def __getattr__(name: str):
    # Imported when asked for: a build forks its layout workers (workers.py) before it loads the rest.
    if name == "write_pdf":
        from bookmaker.pdf.writer import write_pdf

        return write_pdf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["write_pdf"]
