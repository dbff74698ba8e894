"""The words bookmaker adds to a book ("Chapter 3", "Summary", "Contents"…), in the book's language.

Keyed by the primary language subtag (`pt` serves `pt-BR` and `pt-PT`). A language without a
translation here gets the English words, marked lang="en" so that screen readers and hyphenation
treat them as English inside the book's own language. The templates and the front matter take every
label from here, so the EPUB and the PDF always say the same.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from markupsafe import Markup

ENGLISH = {
    "chapter": "Chapter {n}", "sep": ": ", "summary": "Summary", "notes": "Notes", "end_notes": "End Notes",
    "contents": "Contents", "about": "About This Story", "title_page": "Title Page", "copyright_page": "Copyright",
    "dedication": "Dedication", "cover": "Cover", "start": "Start of Content", "landmarks": "Landmarks",
    "tags": "Tags", "series": "Series", "book_of": "Book {n} of ", "part_of": "Part of ", "published": "Published",
    "updated": "Updated", "words": "Words", "chapters": "Chapters", "source": "Source", "by": "by", "and": "and",
    "copyright": "Copyright ©", "first_published": "First published {date}", "published_by": "Published by {name}",
    "translated_by": "Translated by {name}",
    "cover_of": "Cover of {title}", "date": "{day} {month} {year}", "thousands": ",",
    "months": "January February March April May June July August September October November December",
}

TRANSLATIONS = {
    "en": ENGLISH,
    "fr": {
        "chapter": "Chapitre {n}", "sep": "\u00a0: ", "summary": "Résumé", "notes": "Notes",
        "end_notes": "Notes de fin", "contents": "Table des matières", "about": "À propos de cette histoire",
        "title_page": "Page de titre", "copyright_page": "Mentions légales", "dedication": "Dédicace",
        "cover": "Couverture", "start": "Début du texte", "landmarks": "Repères", "tags": "Étiquettes",
        "series": "Série", "book_of": "Tome {n} de ", "part_of": "Fait partie de ", "published": "Publié",
        "updated": "Mis à jour", "words": "Mots", "chapters": "Chapitres", "source": "Source", "by": "par",
        "and": "et", "copyright": "©", "first_published": "Première publication le {date}",
        "published_by": "Publié par {name}", "translated_by": "Traduit par {name}",
        "cover_of": "Couverture de {title}", "date": "{day} {month} {year}",
        "thousands": "\u202f",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    },
    "de": {
        "chapter": "Kapitel {n}", "sep": ": ", "summary": "Zusammenfassung", "notes": "Anmerkungen",
        "end_notes": "Schlussbemerkungen", "contents": "Inhalt", "about": "Über diese Geschichte",
        "title_page": "Titelseite", "copyright_page": "Impressum", "dedication": "Widmung", "cover": "Cover",
        "start": "Textanfang", "landmarks": "Orientierungspunkte", "tags": "Tags", "series": "Reihe",
        "book_of": "Band {n} der Reihe ", "part_of": "Teil der Reihe ", "published": "Veröffentlicht",
        "updated": "Aktualisiert", "words": "Wörter", "chapters": "Kapitel", "source": "Quelle", "by": "von",
        "and": "und", "copyright": "©", "first_published": "Erstveröffentlichung: {date}",
        "published_by": "Verlag: {name}", "translated_by": "Übersetzt von {name}",
        "cover_of": "Cover von {title}", "date": "{day}. {month} {year}",
        "thousands": ".",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    },
    "es": {
        "chapter": "Capítulo {n}", "sep": ": ", "summary": "Resumen", "notes": "Notas", "end_notes": "Notas finales",
        "contents": "Índice", "about": "Sobre esta historia", "title_page": "Portadilla", "copyright_page": "Créditos",
        "dedication": "Dedicatoria", "cover": "Cubierta", "start": "Inicio del texto",
        "landmarks": "Puntos de referencia", "tags": "Etiquetas", "series": "Serie", "book_of": "Libro {n} de ",
        "part_of": "Parte de ", "published": "Publicado", "updated": "Actualizado", "words": "Palabras",
        "chapters": "Capítulos", "source": "Fuente", "by": "por", "and": "y", "copyright": "©",
        "first_published": "Publicado por primera vez el {date}", "published_by": "Publicado por {name}",
        "translated_by": "Traducción de {name}",
        "cover_of": "Cubierta de {title}", "date": "{day} de {month} de {year}", "thousands": ".",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    },
    "it": {
        "chapter": "Capitolo {n}", "sep": ": ", "summary": "Riassunto", "notes": "Note", "end_notes": "Note finali",
        "contents": "Indice", "about": "Informazioni sulla storia", "title_page": "Frontespizio",
        "copyright_page": "Colophon", "dedication": "Dedica", "cover": "Copertina", "start": "Inizio del testo",
        "landmarks": "Punti di riferimento", "tags": "Tag", "series": "Serie", "book_of": "Libro {n} di ",
        "part_of": "Parte di ", "published": "Pubblicato", "updated": "Aggiornato", "words": "Parole",
        "chapters": "Capitoli", "source": "Fonte", "by": "di", "and": "e", "copyright": "©",
        "first_published": "Prima pubblicazione: {date}", "published_by": "Pubblicato da {name}",
        "translated_by": "Traduzione di {name}",
        "cover_of": "Copertina di {title}", "date": "{day} {month} {year}", "thousands": ".",
        "months": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    },
    "pt": {
        "chapter": "Capítulo {n}", "sep": ": ", "summary": "Resumo", "notes": "Notas", "end_notes": "Notas finais",
        "contents": "Índice", "about": "Sobre esta história", "title_page": "Folha de rosto",
        "copyright_page": "Créditos", "dedication": "Dedicatória", "cover": "Capa", "start": "Início do texto",
        "landmarks": "Pontos de referência", "tags": "Etiquetas", "series": "Série", "book_of": "Livro {n} de ",
        "part_of": "Parte de ", "published": "Publicado", "updated": "Atualizado", "words": "Palavras",
        "chapters": "Capítulos", "source": "Fonte", "by": "por", "and": "e", "copyright": "©",
        "first_published": "Publicado pela primeira vez em {date}", "published_by": "Publicado por {name}",
        "translated_by": "Tradução de {name}",
        "cover_of": "Capa de {title}", "date": "{day} de {month} de {year}", "thousands": ".",
        "months": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    },
    "nl": {
        "chapter": "Hoofdstuk {n}", "sep": ": ", "summary": "Samenvatting", "notes": "Aantekeningen",
        "end_notes": "Slotopmerkingen", "contents": "Inhoud", "about": "Over dit verhaal",
        "title_page": "Titelpagina", "copyright_page": "Colofon", "dedication": "Opdracht", "cover": "Omslag",
        "start": "Begin van de tekst", "landmarks": "Oriëntatiepunten", "tags": "Tags", "series": "Serie",
        "book_of": "Deel {n} van ", "part_of": "Onderdeel van ", "published": "Gepubliceerd",
        "updated": "Bijgewerkt", "words": "Woorden", "chapters": "Hoofdstukken", "source": "Bron", "by": "door",
        "and": "en", "copyright": "©", "first_published": "Eerste publicatie: {date}",
        "published_by": "Uitgegeven door {name}", "translated_by": "Vertaald door {name}",
        "cover_of": "Omslag van {title}", "date": "{day} {month} {year}",
        "thousands": ".",
        "months": "januari februari maart april mei juni juli augustus september oktober november december",
    },
}


# A scene break's name for readers that do not show the stylesheet's ornament (screen readers, "no
# publisher styles"): the <hr> carries it as its accessible label.
SCENE_BREAK = {"en": "Scene break", "fr": "Changement de scène", "de": "Szenenwechsel", "es": "Cambio de escena",
               "it": "Cambio di scena", "pt": "Mudança de cena", "nl": "Scènewissel"}


@dataclass(frozen=True)
class Labels:
    table: dict
    english_fallback: bool  # the book's language has no translation: the labels are English in it

    def __getattr__(self, key: str) -> str:
        try:
            return self.__dict__["table"][key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def attr(self) -> Markup:
        """lang attributes for an element holding only labels: none when they are in the book's language."""
        return Markup(' lang="en" xml:lang="en"') if self.english_fallback else Markup("")

    def span(self, text: str) -> Markup:
        """`text` (a label) escaped, in a span marked English where it is English in another language."""
        escaped = Markup.escape(text)
        return Markup(f"<span{self.attr}>{escaped}</span>") if self.english_fallback else escaped

    def around(self, key: str, field: str) -> tuple[str, str]:
        """The label's words before and after `{field}`, for a label around the author's text."""
        before, _, after = self.table[key].partition("{" + field + "}")
        return before, after

    def chapter(self, number: int) -> str:
        return self.table["chapter"].format(n=number)

    def book_of(self, number: float | int) -> str:
        return self.table["book_of"].format(n=f"{number:g}" if isinstance(number, float) else str(number))

    def thousands(self, n: int) -> str:
        return f"{n:,}".replace(",", self.table["thousands"])

    def long_date(self, date: dt.date) -> str:
        day = "1er" if date.day == 1 and self.table is TRANSLATIONS["fr"] else str(date.day)
        month = self.table["months"].split()[date.month - 1]
        return self.table["date"].format(day=day, month=month, year=date.year)

    def names(self, names: tuple[str, ...] | list[str]) -> str:
        names = list(names)
        if len(names) <= 2:
            return f" {self.table['and']} ".join(names)
        return ", ".join(names[:-1]) + f" {self.table['and']} " + names[-1]


@functools.lru_cache(maxsize=64)
def labels_for(language: str) -> Labels:
    primary = language.split("-")[0].lower()
    return Labels(TRANSLATIONS.get(primary, ENGLISH), primary not in TRANSLATIONS)
