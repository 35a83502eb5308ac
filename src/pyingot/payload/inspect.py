"""``pyingot inspect EXE``: what an executable holds, read back from its payload."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pyingot.errors import PyingotError
from pyingot.payload import reading
from pyingot.payload.packing import Flag, Kind, PayloadEntry
from pyingot.payload.settings import RuntimeSettings, format_entry


@dataclass(frozen=True)
class Inspection:
    path: Path
    size: int
    payload_size: int
    settings: RuntimeSettings
    entries: tuple[PayloadEntry, ...]

    def of_kind(self, kind: Kind) -> list[PayloadEntry]:
        return [e for e in self.entries if e.kind == kind]


def inspect(path: Path) -> Inspection:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PyingotError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        payload = reading.find_payload(data)
        entries = reading.read_payload(payload)
        settings = RuntimeSettings.from_entries(entries)
    except PyingotError as e:
        raise PyingotError(f"{path}: {e.message}", hint=e.hint) from e
    return Inspection(path, len(data), len(payload), settings, tuple(entries))


def sbom(ins: Inspection) -> str:
    """The executable's CycloneDX document, as the build embedded it."""
    if ins.settings.sbom is None:
        raise PyingotError(
            f"{ins.path}: holds no SBOM",
            hint=f"it was built by pyingot {ins.settings.pyingot_version}, before executables "
            "carried one; rebuild it with this pyingot",
        )
    return ins.settings.sbom.rstrip("\n")


def verify(path: Path) -> str:
    """Check all of ``path``'s payload: the header and index, then every blob's checksum
    and decoding (which the runtime checks only when it reads the blob). Raises
    :class:`PyingotError` naming every damaged entry."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PyingotError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        payload = reading.find_payload(data)
    except PyingotError as e:
        raise PyingotError(f"{path}: {e.message}", hint=e.hint) from e
    problems = reading.verify_payload(payload)
    if problems:
        raise PyingotError(
            f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems),
            hint="the file was changed or cut short after it was built; build or download it again",
        )
    count = len(reading.read_payload(payload))
    return f"{path}: intact ({count} entries, payload {_size(len(payload))})"


def _stored(entries: list[PayloadEntry]) -> str:
    """``stored / uncompressed`` sizes of ``entries``."""
    stored = sum(e.stored for e in entries)
    size = sum(len(e.primary) + len(e.secondary) for e in entries)
    return f"{_size(stored)} stored, {_size(size)} uncompressed"


def _stored_as(e: PayloadEntry) -> str:
    """How an entry is stored: its stored size, or whose blob it shares."""
    if e.shares_primary:
        return f"stored with {e.shares_primary}"
    return f"{_size(e.stored)} stored"


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


def render(ins: Inspection, *, verbose: bool = False) -> str:
    settings = ins.settings
    lines = [
        f"executable:      {ins.path} ({_size(ins.size)}; payload {_size(ins.payload_size)})",
        f"name:            {settings.name}",
        f"python:          {settings.python_version}"
        + (" (free-threaded: no GIL)" if settings.python_free_threaded else ""),
        f"entry point:     {format_entry(settings.entry)}",
        f"built by:        pyingot {settings.pyingot_version}",
        f"glibc floor:     {settings.glibc_floor or 'not recorded'}",
        f"SBOM:            {'CycloneDX (--sbom prints it)' if settings.sbom else 'none'}",
    ]
    modules = ins.of_kind(Kind.MODULE)
    code = sum(len(m.primary) for m in modules)
    src = sum(len(m.secondary) for m in modules)
    packages = sum(1 for m in modules if m.flags & (Flag.IS_PACKAGE | Flag.IS_NAMESPACE))
    lines.append(
        f"modules:         {len(modules)} ({packages} packages; bytecode "
        f"{_size(code)}, sources {_size(src)}; {_stored(modules)})"
    )
    for title, kind in (
        ("package data", Kind.DATA),
        ("metadata files", Kind.METADATA),
        ("extension files", Kind.EXTENSION),
        ("shared libraries", Kind.SHARED_LIBRARY),
    ):
        items = ins.of_kind(kind)
        if items:
            lines.append(f"{title + ':':<16} {len(items)} ({_stored(items)})")
    tops = Counter(m.name.partition(".")[0] for m in modules)
    sizes: Counter[str] = Counter()
    for m in modules:
        sizes[m.name.partition(".")[0]] += len(m.primary) + len(m.secondary)
    lines.append("top-level packages (modules, size):")
    shown = sorted(tops) if verbose else [n for n, _ in sizes.most_common(15)]
    for name in shown:
        lines.append(f"  {name:<30} {tops[name]:>4}  {_size(sizes[name]):>10}")
    if not verbose and len(tops) > len(shown):
        lines.append(f"  ... and {len(tops) - len(shown)} more (--verbose lists all)")
    for title, kind in (
        ("package data", Kind.DATA),
        ("distribution metadata", Kind.METADATA),
        ("shared libraries", Kind.SHARED_LIBRARY),
    ):
        items = ins.of_kind(kind)
        if items and verbose:
            lines.append(f"{title}:")
            lines.extend(
                f"  {e.name:<50} {_size(len(e.primary)):>10} ({_stored_as(e)})" for e in items
            )
    needs = settings.extension_libraries
    extensions = ins.of_kind(Kind.EXTENSION)
    if extensions:
        lines.append("extension modules (loaded from memory):")
        for e in extensions:
            libs = needs.get(e.name, ())
            after = f"  after {len(libs)} libraries" if libs and not verbose else ""
            lines.append(f"  {e.name:<50} {_size(len(e.primary)):>10} ({_stored_as(e)}){after}")
            if verbose:
                lines.extend(f"    needs {lib}" for lib in libs)
    if settings.on_disk_path:
        lines.append(f"packages on disk: {settings.on_disk_path}/ (beside the executable)")
    # CPython's modules: linked into the stub, or embedded as shared objects (listed
    # above with the extension modules loaded from memory); the licenses count both.
    mods = settings.extensions.modules
    embedded = {e.name for e in extensions} & set(mods)
    lines.append(
        f"built-in extension modules: {len(mods) - len(embedded)}"
        + (f" (and {len(embedded)} of CPython's embedded, above)" if embedded else "")
    )
    licenses: Counter[str] = Counter()
    for name, info in sorted(mods.items()):
        lics = list(info.licenses)
        if info.public_domain:
            lics.append("public domain")
        licenses.update(lics)
        if verbose and name not in embedded:
            lines.append(f"  {name:<24} {', '.join(lics) or '(CPython)'}")
    lines.append("licenses:")
    lines.append(f"  CPython: {', '.join(settings.extensions.python_license) or 'unknown'}")
    for lic, n in sorted(licenses.items()):
        lines.append(f"  {lic}: {n} extension module{'s' if n > 1 else ''}")
    return "\n".join(lines)
