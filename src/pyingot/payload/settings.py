"""The settings the build hands the runtime: a payload's META entries, as one typed record.

``docs/packed-format.md`` ("Runtime settings") specifies every name, its value and who
reads it. On the build side this module alone spells them: each is a field of
:class:`RuntimeSettings`, named as its META entry, with the codec of its value. The build
writes them (:meth:`RuntimeSettings.to_entries`), ``pyingot inspect`` reads them back
(:meth:`RuntimeSettings.from_entries`). The runtime reads the ones it needs in
``runtime/stub/src/settings.rs``; ``tests/unit/test_packing.py`` holds both to the spec.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyingot.errors import InternalError, PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.payload.packing import Kind, PayloadEntry

# --- the `entry` setting: what the executable runs ---------------------------------------


@dataclass(frozen=True)
class PythonEntry:
    """Behave like the ``python`` command (REPL, ``-c``, ``-m``, a script path)."""


@dataclass(frozen=True)
class FunctionEntry:
    """Import ``module``, call ``function`` (an attribute path: ``Class.method``)."""

    module: str
    function: str


@dataclass(frozen=True)
class ModuleEntry:
    """Run ``module`` as ``__main__``, as ``python -m`` does."""

    module: str


@dataclass(frozen=True)
class ScriptEntry:
    """Run the embedded module ``__main__``, whose file is ``<executable>/<path>``."""

    path: str


RuntimeEntry = PythonEntry | FunctionEntry | ModuleEntry | ScriptEntry


def format_entry(entry: RuntimeEntry) -> str:
    """The ``entry`` value: ``python``, ``function:<module>:<function>``,
    ``module:<module>`` or ``script:<path>``."""
    match entry:
        case PythonEntry():
            return "python"
        case FunctionEntry(module, function):
            return f"function:{module}:{function}"
        case ModuleEntry(module):
            return f"module:{module}"
        case ScriptEntry(path):
            return f"script:{path}"


def parse_entry(text: str) -> RuntimeEntry:
    """The inverse of :func:`format_entry`; ``ValueError`` for any other text."""
    kind, _, target = text.partition(":")
    if text == "python":
        return PythonEntry()
    if kind == "function":
        module, _, function = target.partition(":")
        if module and function:
            return FunctionEntry(module, function)
    elif kind == "module" and target:
        return ModuleEntry(target)
    elif kind == "script" and target:
        return ScriptEntry(target)
    raise ValueError(f"not python or function:, module:, script: with a target: {text!r}")


# --- the `extensions` setting: what the stub links, for `pyingot inspect` ----------------


@dataclass(frozen=True)
class LinkedExtension:
    """One of CPython's extension modules in the executable (linked into the stub, or
    embedded as a shared object), and the licenses of its code."""

    licenses: tuple[str, ...] = ()
    public_domain: bool = False


@dataclass(frozen=True)
class LinkedExtensions:
    """CPython's licenses and its extension modules in the executable, by name."""

    python_license: tuple[str, ...] = ()
    modules: Mapping[str, LinkedExtension] = field(default_factory=dict)


def _json(value: object) -> str:
    # Sorted and without whitespace: the same settings give the same bytes.
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _format_extensions(ext: LinkedExtensions) -> str:
    modules = {
        name: {"licenses": list(m.licenses), "public_domain": m.public_domain}
        for name, m in ext.modules.items()
    }
    return _json({"python_license": list(ext.python_license), "modules": modules})


def _parse_extensions(text: str) -> LinkedExtensions:
    value = json.loads(text)
    modules = {
        str(name): LinkedExtension(
            tuple(str(x) for x in info.get("licenses", ())), bool(info.get("public_domain"))
        )
        for name, info in value.get("modules", {}).items()
    }
    return LinkedExtensions(tuple(str(x) for x in value.get("python_license", ())), modules)


def _format_libraries(libraries: Mapping[str, tuple[str, ...]]) -> str | None:
    return _json({k: list(v) for k, v in libraries.items()}) if libraries else None


def _parse_libraries(text: str) -> dict[str, tuple[str, ...]]:
    value = json.loads(text)
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values()
    ):
        raise ValueError("not an object of arrays of strings")
    return {k: tuple(v) for k, v in value.items()}


def _format_lines(lines: tuple[str, ...]) -> str | None:
    return "\n".join(lines) or None


def _parse_lines(text: str) -> tuple[str, ...]:
    return tuple(text.splitlines())


def _codec(encode: Callable[[Any], str | None], decode: Callable[[str], Any]) -> dict[str, Any]:
    """How a field of :class:`RuntimeSettings` is written and read back (its metadata).
    ``encode`` returns None when the setting has nothing to say (no entry is written)."""
    return {"encode": encode, "decode": decode}


def _text(value: str | None) -> str | None:
    return value or None


def _same(text: str) -> str:
    return text


def _format_flag(value: bool) -> str | None:
    return "1" if value else None


def _parse_flag(text: str) -> bool:
    if text != "1":
        raise ValueError(f"{text!r} is not 1")
    return True


def _format_version(version: GlibcVersion | None) -> str | None:
    return None if version is None else str(version)


@dataclass(frozen=True, kw_only=True)
class RuntimeSettings:
    """Every META entry of a payload: each field is one, under its own name.

    See docs/packed-format.md ("Runtime settings") for the values and their readers.
    """

    #: What the executable runs; without the entry, the runtime behaves like python.
    entry: RuntimeEntry = field(metadata=_codec(format_entry, parse_entry), default=PythonEntry())
    #: The application's name.
    name: str = field(metadata=_codec(_same, _same))
    #: The CPython version of the stub (``3.11.2``).
    python_version: str = field(metadata=_codec(_same, _same))
    #: The stub's CPython is free-threaded (PEP 703, built without the GIL).
    python_free_threaded: bool = field(metadata=_codec(_format_flag, _parse_flag), default=False)
    #: The pyingot version that built the executable.
    pyingot_version: str = field(metadata=_codec(_same, _same))
    #: The highest glibc version anything in the executable needs (``2.17``).
    glibc_floor: GlibcVersion | None = field(
        metadata=_codec(_format_version, GlibcVersion.parse), default=None
    )
    #: The built-in extension modules linked into the stub, and the licenses.
    extensions: LinkedExtensions = field(metadata=_codec(_format_extensions, _parse_extensions))
    #: Per extension module, the bundled libraries it needs, in load order.
    extension_libraries: Mapping[str, tuple[str, ...]] = field(
        metadata=_codec(_format_libraries, _parse_libraries), default_factory=dict
    )
    #: The embedded extension modules that the build guessed the program imports to
    #: start, largest first: the runtime copies them and their libraries to memory from
    #: its first moment, by up to two threads of its own (``prefetch.rs``).
    start_extensions: tuple[str, ...] = field(
        metadata=_codec(_format_lines, _parse_lines), default=()
    )
    #: The top-level extension modules that the distribution builds only as shared
    #: libraries, in its ``lib-dynload`` directory: their files in the executable's
    #: view are ``lib-dynload/<name>.so``, and a python-like executable puts that
    #: directory on ``sys.path`` after its own entry, as python does.
    lib_dynload: tuple[str, ...] = field(metadata=_codec(_format_lines, _parse_lines), default=())
    #: The directory of ``on-disk`` distributions, beside the executable.
    on_disk_path: str | None = field(metadata=_codec(_text, _same), default=None)
    #: The directory of ``data-on-disk`` data files, beside the executable.
    data_root: str | None = field(metadata=_codec(_text, _same), default=None)
    #: The top-level packages whose module paths start in ``data_root``.
    data_root_packages: tuple[str, ...] = field(
        metadata=_codec(_format_lines, _parse_lines), default=()
    )

    #: The executable's bill of materials: a CycloneDX JSON document (``pyingot.sbom``).
    sbom: str | None = field(metadata=_codec(_text, _same), default=None)

    def __post_init__(self) -> None:
        if bool(self.data_root) != bool(self.data_root_packages):
            raise InternalError("data_root and data_root_packages go together")

    def to_entries(self) -> list[PayloadEntry]:
        """The META entries, sorted by name; a setting with nothing to say has none."""
        out = []
        for f in dataclasses.fields(self):
            text = f.metadata["encode"](getattr(self, f.name))
            if text is not None:
                out.append(PayloadEntry(Kind.META, f.name, text.encode()))
        return sorted(out, key=lambda e: e.name)

    @classmethod
    def from_entries(cls, entries: Iterable[PayloadEntry]) -> RuntimeSettings:
        """The settings in ``entries`` (of any kinds), as :meth:`to_entries` wrote them."""
        meta = {e.name: e.primary for e in entries if e.kind == Kind.META}
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in meta:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise _damaged(f.name, "missing")
                continue
            try:
                values[f.name] = f.metadata["decode"](bytes(meta[f.name]).decode("utf-8"))
            except (ValueError, AttributeError, TypeError) as e:
                raise _damaged(f.name, str(e)) from e
        try:
            return cls(**values)
        except InternalError as e:  # the build's invariant, broken in the file
            raise _damaged("data_root", str(e)) from e


def _damaged(name: str, problem: str) -> PyingotError:
    return PyingotError(
        f"payload is damaged: bad {name} setting ({problem})",
        hint="the file was changed after it was built, or another pyingot built it",
    )
