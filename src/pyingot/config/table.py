"""A TOML table being read: typed access, with errors naming the file and the key.

A key that is not set reads as its declared default (:func:`keys.default`), so the
loader never restates one; it reads None when the default is inferred, and for
tables whose keys pyingot does not declare (``[project]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from pyingot.config import keys, toml
from pyingot.errors import InternalError, PyingotError

T = TypeVar("T")


class Table:
    def __init__(self, file: Path, name: str, data: Mapping[str, object]) -> None:
        #: The pyproject.toml as the user named it.
        self.file = file
        #: The dotted table name, ``""`` for the document itself.
        self.name = name
        self.data = data

    def where(self, key: str) -> str:
        return f"[{self.name}] {key}" if self.name else key

    def error(self, key: str, problem: str, *, hint: str | None = None) -> PyingotError:
        """A problem with the value set for ``key``."""
        return value_error(self.file, self.where(key), self.data[key], problem, hint=hint)

    def item_error(
        self, key: str, item: object, problem: str, hint: str | None = None
    ) -> PyingotError:
        """A problem with one ``item`` of the array set for ``key``."""
        return item_error(self.file, self.where(key), item, problem, hint=hint)

    def wrap(self, e: PyingotError) -> PyingotError:
        """A model class's error, placed in this table."""
        return PyingotError(f"{self.file}: [{self.name}] {e.message}", hint=e.hint)

    def check_keys(self) -> None:
        """Every key set is declared: a typo is an error, never silently ignored."""
        known = keys.known_keys(self.name)
        for key in self.data:
            if key not in known:
                import difflib  # here, not at the top: only this mistake needs it

                close = difflib.get_close_matches(key, known, n=1)
                elsewhere = [f"[{k.table}]" for k in keys.KEYS if k.name == key]
                if close:
                    suggestion = f" (did you mean '{close[0]}'?)"
                elif elsewhere:
                    suggestion = f" (it belongs in {' or '.join(elsewhere)})"
                else:
                    suggestion = ""
                raise PyingotError(
                    f"{self.file}: unknown key [{self.name}] {key}{suggestion}",
                    hint=f"the keys of [{self.name}] are: {', '.join(known)}",
                )

    def table(self, key: str) -> Table:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        name = f"{self.name}.{key}" if self.name else key
        return Table(self.file, name, value)

    def string(self, key: str) -> str | None:
        value = self._value(key)
        if value is not None and not isinstance(value, str):
            raise self.error(key, "must be a string")
        return value

    def string_values(self) -> dict[str, str]:
        """The whole table, whose values must all be strings (``[project.scripts]``)."""
        return {key: value for key in self.data if (value := self.string(key)) is not None}

    def boolean(self, key: str) -> bool | None:
        value = self._value(key)
        if value is not None and not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self._value(key)
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be an array of strings")
        return tuple(value)

    def choice(self, key: str) -> object:
        """One of the key's declared choices (compared with its type: ``true`` is not 1)."""
        choices = keys.key(self.name, key).choices
        value = self._value(key)
        if value is not None and not any(type(value) is type(c) and value == c for c in choices):
            raise self.error(key, f"must be {toml.either(choices)}")
        return value

    def _value(self, key: str) -> object:
        return self.data[key] if key in self.data else keys.default(self.name, key)


def value_error(
    file: Path, where: str, value: object, problem: str, *, hint: str | None = None
) -> PyingotError:
    """``file: [table] key = value: problem``, the shape of every message about a value."""
    return PyingotError(f"{file}: {where} = {toml.value(value)}: {problem}", hint=hint)


def item_error(
    file: Path, where: str, item: object, problem: str, *, hint: str | None = None
) -> PyingotError:
    """``file: [table] key: item problem``, about one item of an array."""
    return PyingotError(f"{file}: {where}: {toml.value(item)} {problem}", hint=hint)


def given(value: T | None) -> T:
    """The value of a key declared with a constant default, which is never unset."""
    if value is None:
        raise InternalError("a setting declared with a default read as unset")
    return value
