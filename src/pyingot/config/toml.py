"""TOML in and out: a file's bytes parsed with errors naming the file, and values
written as TOML spells them, for messages and generated text."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pyingot.errors import PyingotError


def parse(raw: bytes, file: Path) -> dict[str, object]:
    """The TOML document in ``raw``, read from ``file``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise PyingotError(
            f"{file}: not UTF-8 text (at line {line})",
            hint="TOML files are UTF-8; save it in that encoding",
        ) from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PyingotError(f"{file}: invalid TOML: {e}") from e


def value(v: object) -> str:
    """``v`` as TOML writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
    return str(v)


def either(choices: Sequence[object]) -> str:
    """``0, 1 or 2``."""
    shown = [value(c) for c in choices]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
