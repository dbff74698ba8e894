"""Sort forms (OPF `file-as`) of author names and titles, as libraries and Calibre file them.

"Arthur Conan Doyle" files as "Doyle, Arthur Conan"; "The Lamplighter's Almanac" as
"Lamplighter's Almanac, The". `author_sort:` and `title_sort:` in book.yaml override both.
"""

from __future__ import annotations

import re

# Lowercase particles that stay in front of the family name ("du Maurier, Daphne", "le Carré, John"):
# they contain an article, and English-language catalogues file them that way.
ATTACHED_PARTICLES = frozenset({"du", "des", "le", "la", "les", "l'", "della", "del", "dello", "degli", "dei",
                                "delle", "ten", "ter", "te", "'t"})
# Lowercase particles that follow the given names ("Beethoven, Ludwig van", "Beauvoir, Simone de").
DETACHED_PARTICLES = frozenset({"van", "von", "vom", "zu", "zum", "zur", "de", "di", "da", "do", "dos", "das",
                                "d'", "der", "den", "het", "y", "e", "bin", "ibn", "al", "el"})
# A capitalised particle just before the family name belongs to it ("Le Guin, Ursula K.",
# "Van Buren, Martin", "De Niro, Robert").
CAPITALISED_PARTICLES = frozenset({"le", "la", "les", "van", "von", "de", "du", "des", "di", "da", "del", "della",
                                   "der", "den", "ten", "ter", "mac", "mc", "o'", "st.", "saint"})
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "phd", "ph.d.", "md", "m.d.", "esq",
                      "esq."})
# Languages that write the family name first: a name is already in sort order.
FAMILY_NAME_FIRST = frozenset({"zh", "ja", "ko", "hu", "vi", "mn"})
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")

# Leading articles by primary language subtag. Elided forms end in an apostrophe and join the next word.
ARTICLES = {
    "en": ("the", "a", "an"),
    "fr": ("le", "la", "les", "l'", "un", "une"),
    "de": ("der", "die", "das", "ein", "eine"),
    "es": ("el", "la", "los", "las", "un", "una", "unos", "unas"),
    "it": ("il", "lo", "la", "i", "gli", "le", "l'", "un", "uno", "una", "un'"),
    "pt": ("o", "a", "os", "as", "um", "uma", "uns", "umas"),
    "nl": ("de", "het", "een", "'t", "'n"),
}
APOSTROPHES = "'\u2019\u02bc"


def primary_language(language: str | None) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


def _plain(word: str) -> str:
    """A word compared with the lists: lower case, any apostrophe typed as ASCII."""
    for mark in APOSTROPHES[1:]:
        word = word.replace(mark, "'")
    return word.lower()


def author_sort(name: str, language: str = "en") -> str:
    """The name as it is filed: family name, a comma, given names (and any detached particle), then
    a suffix such as "Jr."; a one-word name, a name already written "Family, Given", and names in
    languages or scripts that put the family name first stay as they are."""
    name = " ".join(name.split())
    written_sorted = "," in name and _plain(name.rsplit(",", 1)[1].strip()) not in SUFFIXES
    if not name or written_sorted or primary_language(language) in FAMILY_NAME_FIRST or CJK_RE.search(name):
        return name
    words = name.split(" ")
    suffixes = []
    while len(words) > 1 and _plain(words[-1]).rstrip(",") in SUFFIXES:
        suffixes.insert(0, words.pop().rstrip(","))
    words[-1] = words[-1].rstrip(",")
    if len(words) == 1:
        return ", ".join(words + suffixes)
    start = len(words) - 1  # where the filed family name begins
    trailing: list[str] = []  # particles that follow the given names
    i = start - 1
    while i >= 1:  # the first word is always a given name
        word, plain = words[i], _plain(words[i])
        if word[:1].isupper() and plain in CAPITALISED_PARTICLES and not trailing:
            start = i
        elif word[:1].islower() and plain in ATTACHED_PARTICLES and not trailing:
            start = i
        elif word[:1].islower() and plain in DETACHED_PARTICLES:
            trailing.insert(0, word)
        else:
            break
        i -= 1
    given = words[:i + 1]
    family = words[start:]
    sorted_name = " ".join(family) + ", " + " ".join(given + trailing)
    return ", ".join([sorted_name] + suffixes)


def title_sort(title: str, language: str = "en") -> str:
    """The title with a leading article of its language moved to the end ("Almanac, The"); a title
    that is only an article stays."""
    title = " ".join(title.split())
    articles = ARTICLES.get(primary_language(language), ())
    for article in sorted(articles, key=len, reverse=True):
        size = len(article)
        head, rest = title[:size], title[size:]
        if _plain(head) != article:
            continue
        if article.endswith("'"):
            if rest[:1].isalnum():  # "L'Étranger": the article is joined to its word
                return f"{rest}, {head}"
        elif rest[:1] == " " and rest.strip():
            return f"{rest.strip()}, {head}"
    return title
