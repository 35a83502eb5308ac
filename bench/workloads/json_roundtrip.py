"""json.dumps and json.loads of a nested document, round and round.

The C accelerator (_json) with strings, numbers, nested lists and objects,
and non-ASCII text: the interpreter's object and unicode code.
"""

from __future__ import annotations

import json

ROUNDS = 40


def document() -> dict[str, object]:
    people = [
        {
            "id": i,
            "name": f"person {i}",
            "city": ["Zürich", "Łódź", "Montréal", "東京", "Lagos"][i % 5],
            "score": i * 1.25,
            "active": i % 3 == 0,
            "tags": [f"t{j}" for j in range(i % 7)],
            "address": {"street": f"{i} Main St", "zip": f"{10000 + i}", "geo": [i / 7, -i / 3]},
            "note": None,
        }
        for i in range(2_000)
    ]
    return {"version": 3, "people": people, "escapes": 'quote " slash \\ tab \t newline \n'}


def bench() -> str:
    doc = document()
    size = 0
    for i in range(ROUNDS):
        text = json.dumps(doc, indent=2 if i % 2 else None, ensure_ascii=bool(i % 4 < 2))
        back = json.loads(text)
        size += len(text)
    if back != doc:
        raise AssertionError("the round trip changed the document")
    return str(size)
