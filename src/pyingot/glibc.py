"""glibc versions: an executable's floor, as the setting, ELF symbol versions and
manylinux platform tags spell it.

An executable runs on a Linux machine whose glibc is at least the highest symbol
version (``GLIBC_2.17``) that any object inside it needs: its *floor*.
``[tool.pyingot] glibc`` is the highest floor a build accepts (``"2.17"``). A
manylinux wheel's platform tag says the floor its objects keep to:
``manylinux_2_28_x86_64`` is glibc 2.28 (PEP 600), and the older names are
aliases (``manylinux2014`` is 2.17, ``manylinux2010`` 2.12, ``manylinux1`` 2.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The symbol version prefix of glibc's own libraries.
SYMBOL_PREFIX = "GLIBC_"

#: The names of PEPs 513, 571 and 599, before PEP 600 spelled the version out.
_LEGACY_TAGS = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}

_VERSION = re.compile(r"\d+(?:\.\d+)+")
_SETTING = re.compile(r"2\.(0|[1-9][0-9]*)")
_SYMBOL_VERSION = re.compile(r"GLIBC_(\d+(?:\.\d+)+)")
_PEP600_TAG = re.compile(r"manylinux_(\d+)_(\d+)_\w+")
_LEGACY_TAG = re.compile(r"(manylinux\d+)_\w+")


@dataclass(frozen=True, order=True)
class GlibcVersion:
    """A glibc version, compared part by part: 2.2.5 < 2.17 < 2.34."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> GlibcVersion:
        """``"2.17"``, ``"2.2.5"``; ``ValueError`` for any other text."""
        if not _VERSION.fullmatch(text):
            raise ValueError(f"not a glibc version: {text!r}")
        return cls(tuple(int(p) for p in text.split(".")))

    @classmethod
    def of_setting(cls, text: str) -> GlibcVersion:
        """The value of ``[tool.pyingot] glibc``: ``"2.N"``, as manylinux tags can say
        it; ``ValueError`` for any other form."""
        if not _SETTING.fullmatch(text):
            raise ValueError(f"not a glibc version of the form 2.N: {text!r}")
        return cls.parse(text)

    @classmethod
    def of_symbol_version(cls, name: str) -> GlibcVersion | None:
        """``GLIBC_2.2.5`` -> 2.2.5; ``None`` for another library's version or
        ``GLIBC_PRIVATE`` (which only glibc's own libraries use among themselves)."""
        m = _SYMBOL_VERSION.fullmatch(name)
        return cls.parse(m[1]) if m else None

    @classmethod
    def of_platform_tag(cls, tag: str) -> GlibcVersion | None:
        """The glibc a ``manylinux`` platform tag promises to need at most; ``None``
        for any other platform (``linux_x86_64`` says nothing, ``any`` needs none)."""
        if m := _PEP600_TAG.fullmatch(tag):
            return cls((int(m[1]), int(m[2])))
        if (m := _LEGACY_TAG.fullmatch(tag)) and m[1] in _LEGACY_TAGS:
            return cls(_LEGACY_TAGS[m[1]])
        return None

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)

    @property
    def symbol_version(self) -> str:
        """``GLIBC_2.17``, as ``objdump -T`` shows it."""
        return f"{SYMBOL_PREFIX}{self}"

    @property
    def manylinux(self) -> str:
        """The PEP 600 tag's prefix for this version: ``manylinux_2_17``."""
        return "manylinux_" + "_".join(str(p) for p in self.parts[:2])
