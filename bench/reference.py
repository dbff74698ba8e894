"""The same book typeset by LaTeX, as a reference to measure bookmaker's print pages against (issue 16).

    python bench/reference.py PROJECT [-o OUT.pdf] [--engine lualatex|pdflatex] [--keep DIR]
    python bench/typeset.py OUT.pdf PROJECT/dist/BOOK.pdf

TeX's paragraph builder (Knuth–Plass) is the usual reference of good book setting. This script reads the
project with bookmaker's own loader, so the LaTeX book has bookmaker's trim, margins, type size, leading
and lines a page (`layout.Grid`) and chapter sinkage, then converts each chapter's Markdown with pandoc
(pypandoc-binary, in the test extras) and runs LaTeX twice. The setup is a plain novel's: book class,
twoside, openright, flush bottom, microtype (protrusion and font expansion), widow and club penalties
10000, French spacing (one space after a full stop, as bookmaker sets), the language's hyphenation
through babel, breaks leaving three letters at least on either side (as bookmaker's theme), no breaks in
capitalised words (\\uchyph=0), an emergency stretch of 3 em (used only where a paragraph cannot be set
otherwise). Running heads: the author on versos, on rectos the chapter's title where it is short, else
the book's; the folio at the foot, none on chapter openings. The printer's own least margins are not
applied: bookmaker's defaults are wider than KDP's below 700 pages.

Needs TeX Live (apt): texlive-latex-base, texlive-latex-recommended, texlive-fonts-recommended,
texlive-luatex, and the language's hyphenation patterns (texlive-lang-english for en-GB).

The default engine, lualatex, sets the book in the Spectral that bookmaker embeds (the fontpkg_spectral
package), so that the two PDFs differ in line and page breaking, not in type; `--engine pdflatex` sets it
in Palatino. The book's text stays in the output folder (and --keep's), never in this repository.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pypandoc

from bookmaker.load import load_book
from bookmaker.pdf.layout import Grid, points

BABEL = {"en-gb": "british", "en-us": "american", "en": "english", "fr": "french", "de": "ngerman",
         "es": "spanish", "it": "italian", "nl": "dutch", "pt": "portuguese"}
# Characters pandoc passes through that the fonts or pdflatex lack: the word joiner before a dash (TeX
# does not break before an unspaced dash anyway) and the hair space.
CHARACTERS = {"\u2060": "", "\u200a": "\\,", "\u00bd": "\\textonehalf{}"}
ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
         (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]

PREAMBLE = r"""\documentclass[twoside,openright,{size}]{{book}}
\usepackage[paperwidth={width},paperheight={height},top={top},inner={inner},outer={outer},
  textheight={textheight}pt,headheight=12pt,headsep=8pt,footskip={footskip}pt]{{geometry}}
{fonts}
\usepackage[{babel}]{{babel}}
\renewcommand\{babel}hyphenmins{{33}}
\usepackage[protrusion=true,expansion=true]{{microtype}}
\usepackage{{longtable,booktabs,array,calc,fancyhdr}}
\providecommand\tightlist{{}}\providecommand\href[2]{{#2}}\providecommand\url[1]{{#1}}
\renewcommand\normalsize{{\fontsize{{{pt}}}{{{leading}}}\selectfont}}\normalsize\setlength\topskip{{{pt}pt}}
\setlength\parindent{{1.2em}}\setlength\parskip{{0pt plus 1pt}}
\frenchspacing\widowpenalty=10000 \clubpenalty=10000 \uchyph=0 \emergencystretch=3em
\flushbottom
\setcounter{{secnumdepth}}{{-2}}\setcounter{{tocdepth}}{{0}}
\fancyhf{{}}\renewcommand\headrulewidth{{0pt}}
\fancyhead[LE]{{\footnotesize\scshape {author}}}\fancyhead[RO]{{\footnotesize\scshape\nouppercase\rightmark}}
\fancyfoot[C]{{\footnotesize\thepage}}\pagestyle{{fancy}}
\fancypagestyle{{plain}}{{\fancyhf{{}}}}
\makeatletter
\renewcommand\section{{\@startsection{{section}}{{1}}{{0pt}}{{\baselineskip}}{{1sp}}{{\centering\normalsize\itshape}}}}
\let\subsection\section
\makeatother
\newcommand\bookchapter[3]{{\cleardoublepage\thispagestyle{{empty}}\markright{{#3}}%
  \addcontentsline{{toc}}{{chapter}}{{#2}}%
  \vspace*{{{sinkage}\baselineskip}}%
  {{\centering{{\footnotesize\scshape\MakeLowercase{{chapter #1}}\par}}\vspace{{\baselineskip}}%
   {{\fontsize{{{display}}}{{{display_leading}}}\selectfont #2\par}}}}%
  \vspace{{2\baselineskip}}\noindent\ignorespaces}}
\begin{{document}}
\frontmatter\pagestyle{{empty}}
\vspace*{{0.3\textheight}}\begin{{center}}\large\scshape {title}\end{{center}}
\cleardoublepage
\vspace*{{0.2\textheight}}\begin{{center}}{{\huge {title}\par}}\vspace{{3em}}
  {{\Large\scshape {author}\par}}\end{{center}}
\cleardoublepage\tableofcontents
\mainmatter\pagestyle{{fancy}}
"""

FONTS = {
    "lualatex": "\\usepackage{{fontspec}}\n\\setmainfont{{Spectral}}[Path={path}/, Extension=.ttf, "
                "UprightFont=*-Regular, ItalicFont=*-Italic, BoldFont=*-Bold, BoldItalicFont=*-BoldItalic, "
                "Numbers=OldStyle]",
    "pdflatex": "\\usepackage[T1]{{fontenc}}\\usepackage[utf8]{{inputenc}}\\usepackage{{textcomp}}"
                "\\usepackage{{mathpazo}}",
}


def roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def latex_text(markdown: str) -> str:
    """Pandoc's LaTeX for a piece of Markdown (## headings become sections), with its odd characters
    replaced."""
    text = pypandoc.convert_text(markdown, "latex", format="markdown-auto_identifiers+smart",
                                 extra_args=["--shift-heading-level-by=-1", "--wrap=none"])
    # A horizontal rule is a scene break: an asterism on one line of the grid.
    text = re.sub(r"\\begin\{center\}\\rule\{[^}]*\}\{[^}]*\}\\end\{center\}",
                  r"\\par\\vspace{0.5\\baselineskip}{\\centering *\\quad *\\quad *\\par}"
                  r"\\vspace{0.5\\baselineskip}", text)
    for char, replacement in CHARACTERS.items():
        text = text.replace(char, replacement)
    return text


def document(project: Path, engine: str) -> str:
    book = load_book(project)
    m, p = book.metadata, book.metadata.pdf
    grid = Grid.of(book)
    size = points(p.font_size)
    spectral = Path(__import__("fontpkg_spectral").__file__).parent / "files"
    language = (m.language or "en").lower()
    babel = BABEL.get(language, BABEL.get(language.split("-")[0], "english"))
    escape = lambda s: latex_text(s).strip()  # noqa: E731
    parts = [PREAMBLE.format(
        size=f"{min(12, max(10, round(size)))}pt", width=p.width, height=p.height, top=p.margin_top,
        inner=p.margin_inner, outer=p.margin_outer, textheight=round((grid.lines - 1) * grid.line + size, 3),
        footskip=round(grid.line + 10),
        fonts=FONTS[engine].format(path=spectral), babel=babel, pt=size, leading=grid.line,
        sinkage=max(2, round(grid.lines * 0.3)), display=round(size * 1.6, 2), display_leading=2 * grid.line,
        title=escape(m.title), author=escape(" and ".join(m.authors)))]
    for chapter in book.chapters:
        title = escape(chapter.title or "")
        head = title if len(chapter.title or "") <= 45 else escape(m.title)
        parts.append(f"\\bookchapter{{{roman(chapter.number)}}}{{{title}}}{{{head}}}\n")
        parts.append(latex_text(chapter.body) + "\n")
    parts.append("\\end{document}\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="default: PROJECT/dist/reference-ENGINE.pdf")
    parser.add_argument("--engine", choices=sorted(FONTS), default="lualatex")
    parser.add_argument("--keep", type=Path, help="write the .tex and LaTeX's log in this folder")
    args = parser.parse_args(argv)
    output = (args.output or args.project / "dist" / f"reference-{args.engine}.pdf").absolute()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep.absolute() if args.keep else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        (work / "book.tex").write_text(document(args.project, args.engine), encoding="utf-8")
        for _ in range(2):  # the second run fills in the contents
            run = subprocess.run([args.engine, "-interaction=nonstopmode", "-halt-on-error", "book.tex"],
                                 cwd=work, capture_output=True, text=True)
            if run.returncode:
                sys.stderr.write(run.stdout[-3000:])
                return 1
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes((work / "book.pdf").read_bytes())
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
