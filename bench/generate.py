"""Deterministic synthetic books in bookmaker's project format, for benchmarks.

Sizes (chapters x words a chapter): S = 10 x 3,000, M = 40 x 5,000, L = 150 x 7,000, and B100K =
25 x 4,000 (a 100,000-word novel, for the edit loop). The prose has
dialogue in straight quotes, inner thoughts in italics, ellipses, dashes, scene breaks, footnotes and
chapter summaries, so every part of the Markdown pipeline is exercised. The same size always gives the
same bytes (a seeded generator, no clock, no network).

    python bench/generate.py M /tmp/book
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SIZES = {"S": (10, 3_000), "M": (40, 5_000), "L": (150, 7_000), "PDF200K": (40, 5_000), "B100K": (25, 4_000)}

WORDS = """
the a and of to in she he it was her his that with for on at by they from had not but were said as
lamp harbour ledger rain window letter door stair lantern kettle map rope gull tide bell clock shelf
quiet slowly again almost never always perhaps still only just even already nearly
looked waited turned listened wondered remembered answered folded counted carried opened closed
""".split()
NAMES = ["Mara", "Tobin", "Ines", "Wren", "Old Pell", "the harbourmaster"]


def sentence(rng: random.Random, low: int = 6, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.15:
        at = rng.randrange(len(words))
        words[at] = f"*{words[at]}*"
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "...", "?"])


def paragraph(rng: random.Random, footnotes: list[str]) -> str:
    kind = rng.random()
    if kind < 0.35:
        speaker = rng.choice(NAMES)
        said = sentence(rng, 4, 14).rstrip(".?")
        return f'"{said}," {speaker} said. "{sentence(rng, 3, 10)}" -- {sentence(rng, 4, 12).lower()}'
    if kind < 0.45:
        return f"*{sentence(rng, 4, 12).rstrip('.')}*, she thought. {sentence(rng)}"
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.04:
        footnotes.append(sentence(rng, 5, 15))
        text += f"[^{len(footnotes)}]"
    return text


def chapter(rng: random.Random, number: int, words: int) -> str:
    footnotes: list[str] = []
    paragraphs, count = [], 0
    while count < words:
        para = paragraph(rng, footnotes)
        paragraphs.append(para)
        count += len(para.split())
        if rng.random() < 0.02:
            paragraphs.append("* * *")
    notes = "\n".join(f"[^{i}]: {text}" for i, text in enumerate(footnotes, start=1))
    head = (f"---\ntitle: \"{sentence(rng, 2, 5).rstrip('.?')}\"\n"
            f"summary: \"{sentence(rng, 8, 16)}\"\n---\n\n")
    return head + "\n\n".join(paragraphs) + ("\n\n" + notes if notes else "") + "\n"


def generate(project: Path, size: str) -> Path:
    chapters, words = SIZES[size]
    rng = random.Random(f"bookmaker-bench-{size}")
    manuscript = Path(project) / "manuscript"
    manuscript.mkdir(parents=True, exist_ok=True)
    (manuscript / "book.yaml").write_text(
        f"title: The Harbour Ledger ({size})\nauthor: Bench Writer\nlanguage: en\n"
        "summary: |\n  A synthetic book for benchmarks: *dialogue*, thoughts and scene breaks.\n"
        "tags:\n  Fandom: [Original Work]\n  Rating: [General Audiences]\n"
        "date: 2026-01-01\npdf:\n  trim: digest\n", encoding="utf-8")
    width = len(str(chapters))
    for number in range(1, chapters + 1):
        (manuscript / f"{number:0{width}d}-chapter.md").write_text(chapter(rng, number, words), encoding="utf-8")
    return Path(project)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SIZES:
        raise SystemExit(f"usage: generate.py {{{'|'.join(SIZES)}}} PROJECT")
    print(generate(Path(sys.argv[2]), sys.argv[1]))
