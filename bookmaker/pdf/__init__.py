"""Stage 3, the PDF writer: RenderedBook → print PDF. The only package that imports WeasyPrint, pypdf
and fontTools.

Takes a RenderedBook and nothing else; gives the print PDF. The pages become HTML (html.py), laid out
by WeasyPrint (layout.py) as one document, or chapter by chapter on all cores (parts.py) and joined
(join.py) with each typeface's subsets merged (fonts.py). Every private name of those libraries that
the parallel layout needs lives in one adapter each: weasy_internals.py, pypdf_internals.py,
fonttools_internals.py.
"""

from bookmaker.pdf.writer import write_pdf

__all__ = ["write_pdf"]
