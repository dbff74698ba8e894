"""Bad input: one exact `path:line: message` line per problem, exit 1, no traceback, nothing written,
and an earlier output left exactly as it was.

The EPUB cases call the command line's entry point in the test process (bookmaker.cli.main, as the
installed `bookmaker` script does); the PDF cases run it as a fresh process, so both ways are held
to the same lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import png, run_cli, run_cli_in_process

OK = "title: T\nauthor: A\n"
CH = {"01-a.md": "Text.\n"}

# name: (book.yaml or None for no file, chapters, extra setup, the exact message after "<project>/")
CASES = {
    "no-yaml": (None, CH, None, "manuscript/book.yaml:1: book.yaml not found: every book needs one"),
    "empty-yaml": ("", CH, None, "manuscript/book.yaml:1: book.yaml is empty; it needs at least title and author"),
    "yaml-syntax": ("title: T\nauthor: [A\nsummary: x\n", CH, None,
                    "manuscript/book.yaml:3: invalid YAML: expected ',' or ']', but got ':'"),
    "yaml-list": ("- a\n- b\n", CH, None,
                  "manuscript/book.yaml:1: book.yaml is a list, not a mapping of keys; it needs at least title and author"),
    "yaml-scalar": ("just words\n", CH, None,
                    "manuscript/book.yaml:1: book.yaml is text, not a mapping of keys; it needs at least title and author"),
    "no-title": ("author: A\n", CH, None, "manuscript/book.yaml:1: 'title' is required"),
    "no-author": ("title: T\n", CH, None, "manuscript/book.yaml:1: 'author' is required"),
    "unknown-key": (OK + "titel: X\n", CH, None, "manuscript/book.yaml:3: unknown key 'titel' (did you mean 'title'?)"),
    "title-list": ("title: [a, b]\nauthor: A\n", CH, None, "manuscript/book.yaml:1: 'title' must be text, not a list"),
    "author-mapping": ("title: T\nauthor: {a: b}\n", CH, None,
                       "manuscript/book.yaml:2: 'author' must be a name or a list of names"),
    "translator-mapping": (OK + "translator: {a: b}\n", CH, None,
                           "manuscript/book.yaml:3: 'translator' must be a name or a list of names"),
    "complete-string": (OK + "complete: maybe\n", CH, None,
                        "manuscript/book.yaml:3: 'complete' must be true or false, not text"),
    "date-words": (OK + "date: 14 March\n", CH, None,
                   "manuscript/book.yaml:3: 'date' must be a date written YYYY-MM-DD, not '14 March'"),
    "date-impossible": (OK + "date: 2026-02-30\n", CH, None, "manuscript/book.yaml:3: 'date' is not a real date: '2026-02-30'"),
    "updated-number": (OK + "updated: 5\n", CH, None, "manuscript/book.yaml:3: 'updated' must be a date written YYYY-MM-DD, not 5"),
    "tags-number": (OK + "tags: 5\n", CH, None,
                    "manuscript/book.yaml:3: 'tags' must be a mapping of group to list, or a list, not a number"),
    "tags-nested": (OK + "tags:\n  Fandom: [[a]]\n", CH, None, "manuscript/book.yaml:4: each tag must be text"),
    "series-no-name": (OK + "series: {number: 2}\n", CH, None, "manuscript/book.yaml:3: 'series' needs a 'name'"),
    "series-number-text": (OK + "series: {name: S, number: two}\n", CH, None,
                           "manuscript/book.yaml:3: 'number' must be a positive number such as 2 or 2.5, at most 9999"),
    "series-list": (OK + "series: [a]\n", CH, None,
                    "manuscript/book.yaml:3: 'series' must be a mapping with 'name' and 'number', not a list"),
    "chapters-not-list": (OK + "chapters: 01-a.md\n", CH, None,
                          "manuscript/book.yaml:3: 'chapters' must be a list of file names in manuscript/"),
    "chapter-missing": (OK + "chapters:\n  - 01-a.md\n  - 02-b.md\n", CH, None,
                        "manuscript/book.yaml:5: chapter file '02-b.md' not found in manuscript/"),
    "chapter-twice": (OK + "chapters:\n  - 01-a.md\n  - 01-a.md\n", CH, None,
                      "manuscript/book.yaml:5: chapter '01-a.md' is listed twice (first on line 4)"),
    "chapter-outside": (OK + "chapters:\n  - ../x.md\n", CH, None,
                        "manuscript/book.yaml:4: chapter '../x.md' is outside the manuscript folder"),
    "language-bad": (OK + "language: english language\n", CH, None,
                     "manuscript/book.yaml:3: 'language' must be a language tag such as en, en-GB or pt-BR, not 'english language'"),
    "source-bad": (OK + "source: not a url\n", CH, None,
                   "manuscript/book.yaml:3: 'source' must be a web address starting with http:// or https://, not 'not a url'"),
    "pdf-unknown": (OK + "pdf:\n  trimm: digest\n", CH, None, "manuscript/book.yaml:4: unknown pdf key 'trimm' (did you mean 'trim'?)"),
    "pdf-trim-bad": (OK + "pdf:\n  trim: huge\n", CH, None,
                     "manuscript/book.yaml:4: 'trim' must be one of us-trade, digest, pocket, a5, royal, b-format, a4, letter, not 'huge'"),
    "pdf-width-bad": (OK + "pdf:\n  width: 6 inches\n", CH, None,
                      "manuscript/book.yaml:4: 'width' must be a length such as 6in, 152mm or 11pt, not '6 inches'"),
    "pdf-not-mapping": (OK + "pdf: big\n", CH, None,
                        "manuscript/book.yaml:3: 'pdf' must be a mapping of print settings, not text"),
    "chapter-label-number": (OK + "chapter_label: 3\n", CH, None,
                             "manuscript/book.yaml:3: 'chapter_label' must be true or false, not a number"),
    "python-tag": ("title: !!python/object/apply:os.system ['echo hi']\nauthor: A\n", CH, None,
                   "manuscript/book.yaml:1: YAML tag '!!python/object/apply:os.system' is not allowed: "
                   "book files hold plain text, numbers, lists and mappings"),
    "no-chapters": (OK, {}, None,
                    "manuscript/book.yaml:1: no chapters: add *.md files to manuscript/ or list them under 'chapters'"),
    "front-matter-open": (OK, {"01-a.md": "---\ntitle: X\n\nText.\n"}, None,
                          "manuscript/01-a.md:1: front matter is not closed: add a line with --- after it"),
    "front-matter-list": (OK, {"01-a.md": "---\n- a\n- b\n---\nText.\n"}, None,
                          "manuscript/01-a.md:2: front matter must be a mapping of keys, not a list"),
    "front-matter-unknown": (OK, {"01-a.md": "---\ntitle: X\nsumary: y\n---\nText.\n"}, None,
                             "manuscript/01-a.md:3: unknown front matter key 'sumary' (did you mean 'summary'?)"),
    "front-matter-yaml": (OK, {"01-a.md": "---\ntitle: X\nsummary: [y\n---\nText.\n"}, None,
                          "manuscript/01-a.md:3: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    "front-matter-title-list": (OK, {"01-a.md": "---\ntitle: [a]\n---\nText.\n"}, None,
                                "manuscript/01-a.md:2: 'title' must be text, not a list"),
    "not-utf8": (OK, {"01-a.md": b"Line one.\n\nCaf\xe9 line.\n"}, None,
                 "manuscript/01-a.md:3: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    "image-missing": (OK, {"01-a.md": "Text.\n\n![alt](images/nope.png)\n"}, None,
                      "manuscript/01-a.md:3: image 'images/nope.png' not found"),
    "image-outside": (OK, {"01-a.md": "Text.\n\n![alt](../../secret.png)\n"}, "secret",
                      "manuscript/01-a.md:3: image '../../secret.png' is outside the project folder"),
    "image-absolute": (OK, {"01-a.md": "Text.\n\n![alt](/etc/passwd)\n"}, None,
                       "manuscript/01-a.md:3: image '/etc/passwd' must be a path relative to the manuscript, not absolute"),
    "image-symlink-out": (OK, {"01-a.md": "Text.\n\n![alt](images/link.png)\n"}, "symlink",
                          "manuscript/01-a.md:3: image 'images/link.png' is outside the project folder"),
    "image-not-image": (OK, {"01-a.md": "Text.\n\n![alt](images/fake.png)\n"}, "fake",
                        "manuscript/01-a.md:3: image 'images/fake.png' is not a PNG, JPEG, GIF, WebP or SVG image"),
    "cover-missing": (OK + "cover: images/c.png\n", CH, None, "manuscript/book.yaml:3: image 'images/c.png' not found"),
    "cover-too-small": (OK + "cover: images/c.png\n", CH, "small-cover",
                        "manuscript/book.yaml:3: cover is 300x400 pixels: stores need at least 625x1000 (1600x2560 is ideal)"),
    "nested-too-deep": (OK, {"01-a.md": "Start.\n\n" + "".join("    " * i + "- item\n" for i in range(400))}, None,
                        "manuscript/01-a.md:104: nested more than 100 levels deep (lists, quotes or HTML): too deep to "
                        "typeset; flatten it (BOOKMAKER_MAX_DEPTH raises the limit)"),
    "chapter-50mb": (OK, CH, "huge", "manuscript/02-huge.md:1: file is 50.0 MB, over the 20 MB limit for one chapter "
                     "(set BOOKMAKER_MAX_CHAPTER_MB to raise it)"),
    "chapter-is-folder": (OK + "chapters: [01-a.md, folder.md]\n", CH, "folder",
                          "manuscript/book.yaml:3: chapter file 'folder.md' not found in manuscript/"),
    "chapter-is-a-pipe": (OK, CH, "fifo", "manuscript/02-pipe.md:1: not a regular file (a pipe or device?); "
                          "02-pipe.md must be a text file"),
    "wrong-type-subtitle": (OK + "subtitle: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'subtitle' must be text, not a list"),
    "wrong-type-summary": (OK + "summary: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'summary' must be text, not a list"),
    "wrong-type-notes": (OK + "notes: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'notes' must be text, not a list"),
    "wrong-type-end_notes": (OK + "end_notes: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'end_notes' must be text, not a list"),
    "wrong-type-dedication": (OK + "dedication: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'dedication' must be text, not a list"),
    "wrong-type-identifier": (OK + "identifier: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'identifier' must be text, not a list"),
    "wrong-type-publisher": (OK + "publisher: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'publisher' must be text, not a list"),
    "wrong-type-rights": (OK + "rights: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'rights' must be text, not a list"),
    "wrong-type-cover": (OK + "cover: [a, b]\n", CH, None, "manuscript/book.yaml:3: 'cover' must be text, not a list"),
    "wrong-type-formats": (OK + "formats: [mobi]\n", CH, None, "manuscript/book.yaml:3: 'formats' must be a list of formats: epub, pdf, kepub, cover"),
    "wrong-type-margins": (OK + "pdf:\n  margins: 1in\n", CH, None, "manuscript/book.yaml:4: 'margins' must be a mapping of top, bottom, inner, outer"),
    "wrong-type-font-size": (OK + "pdf:\n  font_size: big\n", CH, None, "manuscript/book.yaml:4: 'font_size' must be a length such as 6in, 152mm or 11pt, not 'big'"),
    "wrong-type-series-name": (OK + "series: {name: [x]}\n", CH, None, "manuscript/book.yaml:3: 'name' must be text, not a list"),
    "isbn-check-digit": (OK + 'identifier: "978-0-00-000000-3"\n', CH, None,
                         "manuscript/book.yaml:3: 'identifier' ISBN '978-0-00-000000-3' has a wrong check digit "
                         "(2 expected at the end)"),
    "isbn-too-short": (OK + 'identifier: "ISBN 978-0-00-00"\n', CH, None,
                       "manuscript/book.yaml:3: 'identifier' 'ISBN 978-0-00-00' is not an ISBN: an ISBN has 10 or "
                       "13 digits"),
    "raw-img-missing": (OK, {"01-a.md": "Text.\n\nSee <img src=\"images/gone.jpg\" alt=\"x\"> here.\n"}, None,
                        "manuscript/01-a.md:3: image 'images/gone.jpg' not found"),
    # One line per problem, however the file is named.
    "chapter-newline-name": (OK, {**CH, "0\n2.md": b"\xff"}, None,
                             "manuscript/0\\n2.md:1: not valid UTF-8 (byte 0xff); save the file as UTF-8"),
    # book.yaml and front matter: characters no book can hold (as YAML escapes, or typed, which YAML
    # refuses), nesting deeper than any book needs, keys given twice, a quote never closed.
    "yaml-control-title": ('title: "A\\x01B"\nauthor: A\n', CH, None,
                           "manuscript/book.yaml:1: 'title' contains the character U+0001, which a book cannot hold; "
                           "remove it"),
    "yaml-nul-subtitle": (OK + 'subtitle: "a\\0b"\n', CH, None, "manuscript/book.yaml:3: 'subtitle' contains the "
                          "character U+0000, which a book cannot hold; remove it"),
    "yaml-noncharacter": (OK + 'rights: "\\uFFFE"\n', CH, None, "manuscript/book.yaml:3: 'rights' contains the "
                          "character U+FFFE, which a book cannot hold; remove it"),
    "yaml-surrogate": ('title: "A\\ud800B"\nauthor: A\n', CH, None, "manuscript/book.yaml:1: 'title' contains the "
                       "character U+D800, which a book cannot hold; remove it"),
    "yaml-tag-control": (OK + 'tags: ["x\\x02"]\n', CH, None, "manuscript/book.yaml:3: 'tags' contains the "
                         "character U+0002, which a book cannot hold; remove it"),
    "yaml-identifier-control": (OK + 'identifier: "urn:x:\\x07"\n', CH, None, "manuscript/book.yaml:3: 'identifier' "
                                "contains the character U+0007, which a book cannot hold; remove it"),
    "yaml-raw-control": ("title: T\nauthor: A\x01B\n", CH, None,
                         "manuscript/book.yaml:2: invalid YAML: the character U+0001 is not allowed; remove it"),
    "front-matter-control": (OK, {"01-a.md": '---\ntitle: "a\\x03"\n---\nText.\n'}, None,
                             "manuscript/01-a.md:2: 'title' contains the character U+0003, which a book cannot "
                             "hold; remove it"),
    "chapter-nul-name": (OK + 'chapters: ["01\\0.md"]\n', CH, None, "manuscript/book.yaml:3: 'chapters' contains the "
                         "character U+0000, which a book cannot hold; remove it"),
    "cover-nul-name": (OK + 'cover: "c\\0.png"\n', CH, None, "manuscript/book.yaml:3: 'cover' contains the character "
                       "U+0000, which a book cannot hold; remove it"),
    "yaml-too-deep": (OK + "\n\nx: " + "[" * 500 + "]" * 500 + "\n", CH, None,
                      "manuscript/book.yaml:5: lists and mappings are nested more than 50 levels deep; flatten them"),
    "front-matter-too-deep": (OK, {"01-a.md": "---\ntitle: T\nnotes: " + "[" * 500 + "]" * 500 + "\n---\nText.\n"},
                              None, "manuscript/01-a.md:3: lists and mappings are nested more than 50 levels deep; "
                              "flatten them"),
    "duplicate-key": (OK + "title: Second\n", CH, None,
                      "manuscript/book.yaml:3: key 'title' is given twice (first on line 1); keep one"),
    "front-matter-duplicate-key": (OK, {"01-a.md": "---\ntitle: A\nsummary: s\ntitle: B\n---\nText.\n"}, None,
                                   "manuscript/01-a.md:4: key 'title' is given twice (first on line 2); keep one"),
    "yaml-unclosed-quote": ("title: T\nauthor: A\nsummary: \"unclosed\nrights: R\npublisher: P\n", CH, None,
                            "manuscript/book.yaml:3: invalid YAML: the quote that opens here is never closed"),
    # A quote not closed on its line, closed by YAML at a later value's quotes: said at the quote, not there
    "yaml-quote-closed-later": ('title: "Glass Apples\nauthor: A\ntags:\n  Characters: [Marguerite "Mags" O]\n', CH,
                                None, 'manuscript/book.yaml:1: the quote that opens here (title: "Glass Apples) is not '
                                "closed on its line, so YAML reads on to the next \" it finds: close it with \" at the "
                                "line's end"),
    # Values that would silently give another book: series numbers, nameless tag groups, print sizes.
    "series-number-zero": (OK + "series: {name: S, number: 0}\n", CH, None, "manuscript/book.yaml:3: 'number' must be "
                           "a positive number such as 2 or 2.5, at most 9999"),
    "series-number-nan": (OK + "series: {name: S, number: .nan}\n", CH, None, "manuscript/book.yaml:3: 'number' must "
                          "be a positive number such as 2 or 2.5, at most 9999"),
    "series-number-inf": (OK + "series: {name: S, number: .inf}\n", CH, None, "manuscript/book.yaml:3: 'number' must "
                          "be a positive number such as 2 or 2.5, at most 9999"),
    "series-number-huge": (OK + "series:\n  name: S\n  number: 1e38\n", CH, None, "manuscript/book.yaml:5: 'number' "
                           "must be a positive number such as 2 or 2.5, at most 9999"),
    "tags-null-group": (OK + "tags:\n  Fandom: [x]\n  ~: [a]\n", CH, None,
                        "manuscript/book.yaml:5: each tag group needs a name, such as 'Fandom:'"),
    "pdf-height-tiny": (OK + "pdf:\n  height: 1in\n", CH, None, "manuscript/book.yaml:4: 'height' must be between 2in "
                        "and 200in (the largest page a PDF can have), not '1in'"),
    "pdf-width-microscopic": (OK + "pdf:\n  width: 0.01mm\n", CH, None, "manuscript/book.yaml:4: 'width' must be "
                              "between 2in and 200in (the largest page a PDF can have), not '0.01mm'"),
    "pdf-width-enormous": (OK + "pdf:\n  width: 10000in\n", CH, None, "manuscript/book.yaml:4: 'width' must be "
                           "between 2in and 200in (the largest page a PDF can have), not '10000in'"),
    "pdf-margins-huge": (OK + "pdf:\n  margins:\n    top: 10in\n    bottom: 10in\n", CH, None,
                         "manuscript/book.yaml:5: 'top' leaves too little room for the text: top and bottom margins "
                         "of 10in and 10in on a page 9in tall leave 0in; the text needs at least 1in"),
    "pdf-margins-narrow-page": (OK + "pdf:\n  trim: pocket\n  margins: {inner: 2in, outer: 1.5in}\n", CH, None,
                                "manuscript/book.yaml:5: 'inner' leaves too little room for the text: inner and outer "
                                "margins of 2in and 1.5in on a page 4.25in wide leave 0.75in; the text needs at least "
                                "1in"),
    "pdf-page-too-small-for-margins": (OK + "pdf:\n  width: 2.4in\n", CH, None, "manuscript/book.yaml:4: 'width' "
                                       "leaves too little room for the text: inner and outer margins of 0.875in and "
                                       "0.625in on a page 2.4in wide leave 0.9in; the text needs at least 1in"),
    "pdf-margin-negative": (OK + "pdf:\n  margins: {outer: -1in}\n", CH, None, "manuscript/book.yaml:4: 'outer' must "
                            "be a length such as 0.75in, 20mm or 0, not '-1in'"),
    "pdf-font-size-huge": (OK + "pdf:\n  font_size: 300pt\n", CH, None, "manuscript/book.yaml:4: 'font_size' must be "
                           "between 4pt and 72pt, not '300pt'"),
    # Files: nothing outside the project (through a symbolic link or otherwise), names no file system
    # can hold, chapters that are not Markdown, stylesheets that are not UTF-8, an oversized book.yaml.
    "symlink-chapter-out": (OK, CH, "chapter-link", "manuscript/02-link.md:1: chapter '02-link.md' is outside the "
                            "project folder (a symbolic link to a file elsewhere)"),
    "symlink-listed-chapter-out": (OK + "chapters: [01-a.md, 02-link.md]\n", CH, "chapter-link",
                                   "manuscript/book.yaml:3: chapter '02-link.md' is outside the project folder (a "
                                   "symbolic link to a file elsewhere)"),
    "symlink-yaml-out": (OK, CH, "yaml-link", "manuscript/book.yaml:1: book.yaml is outside the project folder (a "
                         "symbolic link to a file elsewhere)"),
    "symlink-manuscript-out": (OK, CH, "manuscript-link", "manuscript:1: the manuscript folder is outside the project "
                               "folder (a symbolic link to a folder elsewhere)"),
    "symlink-epub-css-out": (OK, CH, "epub.css-link", "styles/epub.css:1: styles/epub.css is outside the project "
                             "folder (a symbolic link to a file elsewhere)"),
    "symlink-print-css-out": (OK, CH, "print.css-link", "styles/print.css:1: styles/print.css is outside the project "
                              "folder (a symbolic link to a file elsewhere)"),
    "chapter-long-name": (OK + f"chapters: [{'a' * 300}.md]\n", CH, None, f"manuscript/book.yaml:3: chapter "
                          f"'{'a' * 300}.md' has a name longer than 255 bytes, which no file system allows"),
    "cover-long-name": (OK + f"cover: {'a' * 300}.png\n", CH, None, f"manuscript/book.yaml:3: image '{'a' * 300}.png' "
                        "has a name longer than 255 bytes, which no file system allows"),
    "image-nul-name": (OK, {"01-a.md": "Text.\n\n![x](a%00.png)\n"}, None, "manuscript/01-a.md:3: image 'a%00.png' "
                       "contains a NUL character, which no file name can hold"),
    "image-long-name": (OK, {"01-a.md": f"Text.\n\n![x]({'a' * 300}.png)\n"}, None, f"manuscript/01-a.md:3: image "
                        f"'{'a' * 300}.png' has a name longer than 255 bytes, which no file system allows"),
    "chapter-book-yaml": (OK + "chapters: [01-a.md, book.yaml]\n", CH, None,
                          "manuscript/book.yaml:3: chapter 'book.yaml' is not a Markdown file: chapter files end in .md"),
    "chapter-not-markdown": (OK + "chapters:\n  - 01-a.md\n  - notes.txt\n", {**CH, "notes.txt": "x\n"}, None,
                             "manuscript/book.yaml:5: chapter 'notes.txt' is not a Markdown file: chapter files end "
                             "in .md"),
    "epub-css-latin1": (OK, CH, "epub.css-latin1", "styles/epub.css:2: not valid UTF-8 (byte 0xe9); save the file as "
                        "UTF-8"),
    "print-css-latin1": (OK, CH, "print.css-latin1", "styles/print.css:2: not valid UTF-8 (byte 0xe9); save the file "
                         "as UTF-8"),
    "yaml-over-1mb": (OK + "summary: " + "x" * 1_500_000 + "\n", CH, None, "manuscript/book.yaml:1: file is 1.4 MB, "
                      "over the 1 MB limit for book.yaml, which holds the book's details: long texts belong in chapters"),
    # The line is where the problem is, not where the same word first appears.
    "image-missing-line-raw": (OK, {"01-a.md": 'The map was lost.\n\nShe drew another.\n\n<img src="map" alt="m">\n'},
                               None, "manuscript/01-a.md:5: image 'map' not found"),
    "image-missing-line-markdown": (OK, {"01-a.md": "The map.png was lost.\n\nShe drew another.\n\n![m](map.png)\n"},
                                    None, "manuscript/01-a.md:5: image 'map.png' not found"),
    "image-in-front-matter-summary": (OK, {"01-a.md": '---\ntitle: T\nsummary: "The ![m](map.png)"\n---\nText.\n'},
                                      None, "manuscript/01-a.md:3: image 'map.png' not found"),
    "image-in-yaml-summary": (OK + "rights: R\nsummary: |\n  See ![x](gone.png).\n", CH, None,
                              "manuscript/book.yaml:5: image 'gone.png' not found"),
    "nested-too-deep-later": (OK, {"01-a.md": "Start.\n\n- a\n- b\n\n\n" + "".join("    " * i + "- item\n"
                                                                               for i in range(400))}, None,
                              "manuscript/01-a.md:108: nested more than 100 levels deep (lists, quotes or HTML): too deep "
                              "to typeset; flatten it (BOOKMAKER_MAX_DEPTH raises the limit)"),
    "nested-too-deep-in-notes": (OK, {"01-a.md": "---\nnotes: |\n" + "".join("  " + "    " * i + "- item\n"
                                                                            for i in range(400)) + "---\nText.\n"},
                                 None, "manuscript/01-a.md:104: nested more than 100 levels deep (lists, quotes or HTML): "
                                 "too deep to typeset; flatten it (BOOKMAKER_MAX_DEPTH raises the limit)"),
}


def make(tmp_path: Path, name: str) -> Path:
    yaml_text, chapters, extra, _ = CASES[name]
    project = tmp_path / "proj"
    manuscript = project / "manuscript"
    manuscript.mkdir(parents=True)
    if yaml_text is not None:
        (manuscript / "book.yaml").write_text(yaml_text, encoding="utf-8")
    for file_name, text in chapters.items():
        (manuscript / file_name).write_bytes(text if isinstance(text, bytes) else text.encode())
    if extra == "secret":
        png(tmp_path / "secret.png", 10, 10)
    elif extra == "symlink":
        (manuscript / "images").mkdir()
        (manuscript / "images" / "link.png").symlink_to(png(tmp_path / "elsewhere.png", 10, 10))
    elif extra == "small-cover":
        png(manuscript / "images" / "c.png", 300, 400)
    elif extra == "huge":
        with (manuscript / "02-huge.md").open("wb") as handle:
            handle.write(b"word " * (10 * 1024 * 1024))
    elif extra == "folder":
        (manuscript / "folder.md").mkdir()
    elif extra == "fifo":
        os.mkfifo(manuscript / "02-pipe.md")
    elif extra == "fake":
        (manuscript / "images").mkdir()
        (manuscript / "images" / "fake.png").write_text("this is text, not a picture")
    elif extra == "chapter-link":
        (tmp_path / "outside.md").write_text("Secret.\n")
        (manuscript / "02-link.md").symlink_to(tmp_path / "outside.md")
    elif extra == "yaml-link":
        (manuscript / "book.yaml").rename(tmp_path / "book.yaml")
        (manuscript / "book.yaml").symlink_to(tmp_path / "book.yaml")
    elif extra == "manuscript-link":
        manuscript.rename(tmp_path / "elsewhere")
        manuscript.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    elif extra and extra.endswith("-link"):
        (tmp_path / "outside.css").write_text("p { color: red; }\n")
        (project / "styles").mkdir()
        (project / "styles" / extra.removesuffix("-link")).symlink_to(tmp_path / "outside.css")
    elif extra and extra.endswith("-latin1"):
        (project / "styles").mkdir()
        (project / "styles" / extra.removesuffix("-latin1")).write_bytes(b'/* mine */\np { content: "Caf\xe9"; }\n')
    return project


PDF_SAMPLE = ("unknown-key", "image-missing", "pdf-trim-bad", "not-utf8", "front-matter-open", "yaml-control-title",
              "symlink-chapter-out", "symlink-print-css-out", "print-css-latin1", "pdf-margins-huge")


@pytest.mark.parametrize(("command", "name"), [("epub", n) for n in sorted(CASES)] + [("pdf", n) for n in PDF_SAMPLE])
def test_bad_input_is_one_clear_line_and_writes_nothing(tmp_path, name, command):
    project = make(tmp_path, name)
    out = tmp_path / f"book.{command}"
    out.write_bytes(b"the last good book, which must survive")
    result = (run_cli if command == "pdf" else run_cli_in_process)(command, project, "-o", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors == [f"{project}/{CASES[name][3]}"]
    assert result.stdout == ""
    assert out.read_bytes() == b"the last good book, which must survive"
    assert [p.name for p in tmp_path.iterdir() if ".bookmaker-tmp-" in p.name] == []


def test_existing_output_is_left_exactly_as_it_was(tmp_path):
    project = make(tmp_path, "image-missing")
    out = tmp_path / "book.epub"
    out.write_bytes(b"the last good book")
    result = run_cli("epub", project, "-o", out)
    assert result.returncode == 1
    assert out.read_bytes() == b"the last good book"


def test_every_problem_is_reported_in_one_run(tmp_path):
    project = tmp_path / "proj"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text("title: T\nauthr: A\ncomplete: sometimes\n", encoding="utf-8")
    (project / "manuscript" / "01.md").write_text("Text.\n\n![x](missing.png)\n", encoding="utf-8")
    result = run_cli("epub", project)
    lines = result.stderr.splitlines()
    assert f"{project}/manuscript/book.yaml:2: unknown key 'authr' (did you mean 'author'?)" in lines
    assert f"{project}/manuscript/book.yaml:1: 'author' is required" in lines
    assert f"{project}/manuscript/book.yaml:4: 'complete' must be true or false, not text" not in lines
    assert f"{project}/manuscript/book.yaml:3: 'complete' must be true or false, not text" in lines
    assert f"{project}/manuscript/01.md:3: image 'missing.png' not found" in lines


@pytest.mark.parametrize("command", ["epub", "pdf", "check"])
def test_load_and_render_problems_come_in_one_run(tmp_path, command):
    project = tmp_path / "proj"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text(OK + "titel: oops\ndate: 2026-02-30\n", encoding="utf-8")
    (project / "manuscript" / "01.md").write_text("Text.\n\n![A map](images/nope.png)\n", encoding="utf-8")
    out = tmp_path / f"book.{command}"
    result = run_cli(command, project, *(["-o", out] if command != "check" else []))
    assert result.returncode == 1 and not out.exists()
    shown = result.stdout if command == "check" else result.stderr
    assert [line for line in shown.splitlines() if "warning" not in line] == [
        f"{project}/manuscript/book.yaml:3: unknown key 'titel' (did you mean 'title'?)",
        f"{project}/manuscript/book.yaml:4: 'date' is not a real date: '2026-02-30'",
        f"{project}/manuscript/01.md:3: image 'images/nope.png' not found"]


def test_what_the_epub_theme_refers_to_must_be_packageable(tmp_path):
    project = make(tmp_path, "no-chapters")
    (project / "manuscript" / "01.md").write_text("Text.\n", encoding="utf-8")
    (project / "styles").mkdir()
    (project / "styles" / "notes.txt").write_text("not a font")
    png(tmp_path / "outside.png", 4, 4)
    (project / "styles" / "epub.css").write_text(
        '@import "more.css";\n'
        '@font-face { font-family: X; src: url(https://example.org/x.woff2); }\n'
        "p { background: url('../../outside.png'); }\n"
        "h1 { background: url(missing.png); }\n"
        "h2 { background: url(notes.txt); }\n", encoding="utf-8")
    out = tmp_path / "book.epub"
    result = run_cli("epub", project, "-o", out)
    assert result.returncode == 1 and not out.exists()
    css = f"{project}/styles/epub.css"
    assert result.stderr.splitlines() == [
        f"{css}:1: @import is not supported in epub.css: put the rules in epub.css itself",
        f"{css}:2: file 'https://example.org/x.woff2' is not a file in the project (remote files are not fetched)",
        f"{css}:3: file '../../outside.png' is outside the project folder",
        f"{css}:4: file 'missing.png' not found",
        f"{css}:5: file 'notes.txt' is not a font (TTF, OTF, WOFF, WOFF2) or an image (PNG, JPEG, GIF, WebP, SVG) "
        "that e-readers can use"]
    assert run_cli("pdf", project, "-o", tmp_path / "book.pdf").returncode == 0  # print.css is another file
    checked = run_cli("check", project)
    assert checked.returncode == 1 and f"{css}:4: file 'missing.png' not found" in checked.stdout


def test_paths_are_shown_as_the_author_typed_them(tmp_path):
    project = make(tmp_path, "unknown-key")
    result = run_cli("epub", ".", cwd=project)
    assert result.stderr.strip() == "manuscript/book.yaml:3: unknown key 'titel' (did you mean 'title'?)"
    result = run_cli("epub", cwd=project)
    assert result.stderr.strip() == "manuscript/book.yaml:3: unknown key 'titel' (did you mean 'title'?)"


def test_no_manuscript_folder(tmp_path):
    result = run_cli("epub", tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path}/manuscript:1: no manuscript/ folder in the project"


def test_output_over_a_source_is_refused(tmp_path):
    project = make(tmp_path, "no-chapters")
    (project / "manuscript" / "01.md").write_text("Text.\n", encoding="utf-8")
    target = project / "manuscript" / "01.md"
    result = run_cli("epub", project, "-o", target)
    assert result.returncode == 1
    assert "output file is one of the book's sources" in result.stderr
    assert target.read_text(encoding="utf-8") == "Text.\n"


def test_bom_and_crlf_simply_work(tmp_path):
    project = tmp_path / "proj"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_bytes("\ufefftitle: T\r\nauthor: A\r\n".encode())
    (project / "manuscript" / "01.md").write_bytes("\ufeff---\r\ntitle: One\r\n---\r\n\r\n\"Hi,\" she said.\r\n".encode())
    result = run_cli("epub", project, "-o", tmp_path / "b.epub")
    assert result.returncode == 0, result.stderr
    import zipfile

    page = zipfile.ZipFile(tmp_path / "b.epub").read("EPUB/chapter-001.xhtml").decode()
    assert "Chapter 1: One" in page and "\u201cHi,\u201d she said." in page and "\r" not in page


def test_output_folder_that_cannot_be_made(tmp_path):
    project = make(tmp_path, "no-chapters")
    (project / "manuscript" / "01.md").write_text("Text.\n", encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("epub", project, "-o", blocker / "book.epub")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"{blocker}/book.epub:1: cannot write here: {blocker} is a file, not a folder"


def test_deep_quotes_and_html_are_flattened_and_the_book_stays_valid(tmp_path):
    """3000 levels are refused before any parsing; a trusted book may raise the limit, and then what
    e-readers cannot parse (over 100 levels) is flattened, the book still valid."""
    project = make(tmp_path, "no-chapters")
    (project / "manuscript" / "01.md").write_text(">" * 3000 + " deep\n\n" + "<div>" * 3000 + "x" + "</div>" * 3000,
                                                   encoding="utf-8")
    refused = run_cli("epub", project, "-o", tmp_path / "deep.epub")
    assert refused.returncode == 1 and "BOOKMAKER_MAX_DEPTH" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not (tmp_path / "deep.epub").exists()
    (project / "manuscript" / "01.md").write_text(">" * 150 + " deep\n\n" + "<div>" * 150 + "x" + "</div>" * 150,
                                                   encoding="utf-8")
    result = run_cli("epub", project, "-o", tmp_path / "deep.epub", env={"BOOKMAKER_MAX_DEPTH": "400"})
    assert result.returncode == 0, result.stderr
    assert "warning: quotes, lists or HTML nested more than 100 levels deep were flattened" in result.stderr
    from conftest import epubcheck

    assert epubcheck(tmp_path / "deep.epub")["checker"]["nError"] == 0


def test_an_empty_chapter_fails_a_strict_check(tmp_path):
    project = make(tmp_path, "no-chapters")
    (project / "manuscript" / "01.md").write_text("---\ntitle: Nothing Yet\n---\n", encoding="utf-8")
    with open(project / "manuscript" / "book.yaml", "a", encoding="utf-8") as f:
        f.write("cover: auto\n")  # no cover would be a warning of its own
    result = run_cli("check", project, "--strict")
    assert result.returncode == 1
    assert result.stdout.strip() == f"{project}/manuscript/01.md:3: warning: chapter has no text"
    assert run_cli("epub", project, "-o", tmp_path / "e.epub").returncode == 0  # a build still succeeds


def test_unreadable_chapter(tmp_path, monkeypatch):
    """Permissions cannot deny root (which CI runs as), so the refusal is simulated where bookmaker reads."""
    from bookmaker.errors import BookmakerError
    from bookmaker.load.project import load_book

    project = make(tmp_path, "no-chapters")
    secret = project / "manuscript" / "01.md"
    secret.write_text("Text.\n", encoding="utf-8")
    real = Path.read_bytes

    def deny(self):
        if self == secret:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(BookmakerError) as err:
        load_book(project)
    assert [str(p) for p in err.value.problems] == [
        f"{project}/manuscript/01.md:1: permission denied: cannot read this file"]


def test_read_only_output_folder(tmp_path, monkeypatch):
    import tempfile

    from bookmaker.errors import BookmakerError
    from bookmaker.infra.output import atomic_path

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    with pytest.raises(BookmakerError) as err:
        with atomic_path(tmp_path / "out.epub", "dist/out.epub"):
            pass
    assert [str(p) for p in err.value.problems] == ["dist/out.epub:1: cannot write the output: Permission denied"]


def test_a_template_cache_that_cannot_be_written_or_read_costs_a_compile_not_the_build(tmp_path, monkeypatch):
    """A cache made by another user (warmed as root in a Docker image, built as --user 10001), or a
    read-only templates/ folder: Jinja2's FileSystemBytecodeCache.dump_bytecode raised PermissionError
    into a traceback. Tests may run as root, where chmod stops nothing: the refusals are made here."""
    import errno

    import jinja2.bccache

    from bookmaker.render import pages

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "cache" / "templates"))

    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", refused)
    env = pages.template_env()
    for name in pages.ALWAYS_USED:
        env.get_template(name)
    assert not list((tmp_path / "cache" / "templates").iterdir())

    monkeypatch.undo()
    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    pages.template_env().get_template("chapter.xhtml.j2")  # kept
    assert list((tmp_path / "cache" / "templates").iterdir())
    monkeypatch.setattr(jinja2.bccache, "open", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")),
                        raising=False)
    assert pages.template_env().get_template("chapter.xhtml.j2").render is not None  # unreadable: compiled
