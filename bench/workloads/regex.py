"""re: compiled patterns searched, matched, split and substituted over generated text.

The _sre engine (C, part of the interpreter) on ASCII and non-ASCII text.
"""

from __future__ import annotations

import re

ROUNDS = 10

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "naïve",
    "café",
]


def text() -> str:
    lines = []
    for i in range(6_000):
        word = WORDS[i % len(WORDS)]
        lines.append(
            f"{i:05d} 2024-{i % 12 + 1:02d}-{i % 28 + 1:02d} user{i}@example{i % 9}.org "
            f"{word} {word.upper()} http://host{i % 13}.example/path/{i}?q={word} "
            f"[{i * 37 % 1000}.{i % 100:02d}] {'x' * (i % 17)}y"
        )
    return "\n".join(lines)


PATTERNS = [
    re.compile(r"\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b"),
    re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    re.compile(r"https?://([^/\s]+)(/[^\s?]*)?(\?\S*)?"),
    re.compile(r"\[(\d+)\.(\d+)\]"),
    re.compile(r"\b(?:alpha|gamma|epsilon|naïve|café)\b", re.IGNORECASE),
    re.compile(r"(x+x+)+y"),
    re.compile(r"^\d+ .*?LAMBDA", re.MULTILINE),
]


def bench() -> str:
    corpus = text()
    found = 0
    for _ in range(ROUNDS):
        for pattern in PATTERNS:
            found += len(pattern.findall(corpus))
        found += len(re.split(r"\s+", corpus))
        found += len(PATTERNS[1].sub(r"\3/\2/\1", corpus))
        found += sum(1 for line in corpus.splitlines() if PATTERNS[3].search(line))
    return str(found)
