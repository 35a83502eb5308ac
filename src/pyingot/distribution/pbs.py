"""The python-build-standalone ``PYTHON.json`` format, read and written.

This module is the one place that knows the file's keys: :func:`parse` maps a
``PYTHON.json`` onto the typed model and :func:`render` maps the model back, so
what pyingot writes is read by the same code that reads PBS's own archives.
Format reference: the PBS documentation, "Distribution Archives" (versions 7 and
8 are read; 8 is written).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyingot import cache
from pyingot.distribution.model import Distribution, ExtensionModule, Link
from pyingot.errors import PyingotError

READ_VERSIONS = (7, 8)
WRITE_VERSION = 8
#: How python-build-standalone archives are named (the first is their usual name).
ARCHIVE_SUFFIXES = (".tar.zst", ".tzst")

#: Keys of the top level the model interprets; every other key is kept in
#: ``Distribution.extra`` and written back unchanged.
_MODELLED = frozenset(
    {
        "version",
        "target_triple",
        "python_version",
        "python_tag",
        "python_exe",
        "python_paths",
        "build_options",
        "optimizations",
        "build_info",
        "licenses",
        "license_path",
    }
)

_WORKING_ARCHIVES = (
    "PBS full archives built without LTO: the '-noopt-full' and '-pgo-full' "
    "archives (e.g. cpython-3.13.5+20250612-x86_64-unknown-linux-gnu-pgo-full.tar.zst), "
    "or a distribution built here with 'pyingot python build'"
)


class _Reader:
    """Typed access to a JSON map that names the file and key in every error."""

    def __init__(self, data: Mapping[str, Any], file: Path, prefix: str = "") -> None:
        self.data = data
        self.file = file
        self.prefix = prefix

    def _fail(self, key: str, what: str) -> PyingotError:
        return PyingotError(
            f"{self.file}: key '{self.prefix}{key}' {what}",
            hint="the distribution is damaged or not a python-build-standalone 'full' archive",
        )

    def get(self, key: str, kind: type, *, required: bool = True, default: Any = None) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise self._fail(key, "is missing")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._fail(key, f"should be a {kind.__name__}, not {type(value).__name__}")
        return value

    def strings(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        values = self.get(key, list, required=required, default=[])
        if not all(isinstance(v, str) for v in values):
            raise self._fail(key, "should be a list of strings")
        return tuple(values)

    def child(self, key: str, *, required: bool = True) -> _Reader:
        return _Reader(
            self.get(key, dict, required=required, default={}), self.file, f"{self.prefix}{key}."
        )


def _parse_links(r: _Reader, key: str) -> tuple[Link, ...]:
    links = []
    for i, entry in enumerate(r.get(key, list, required=False, default=[])):
        if not isinstance(entry, dict):
            raise r._fail(f"{key}[{i}]", "should be a map")
        e = _Reader(entry, r.file, f"{r.prefix}{key}[{i}].")
        links.append(
            Link(
                name=e.get("name", str),
                path_static=e.get("path_static", str, required=False),
                path_dynamic=e.get("path_dynamic", str, required=False),
                system=e.get("system", bool, required=False, default=False),
                framework=e.get("framework", bool, required=False, default=False),
            )
        )
    return tuple(links)


def _parse_extension(name: str, r: _Reader) -> ExtensionModule:
    licenses = r.get("licenses", list, required=False)
    return ExtensionModule(
        name=name,
        init_fn=r.get("init_fn", str, required=False),
        objs=r.strings("objs", required=False),
        links=_parse_links(r, "links"),
        licenses=tuple(licenses) if licenses is not None else None,
        license_paths=r.strings("license_paths", required=False),
        license_public_domain=r.get("license_public_domain", bool, required=False, default=False),
        required=r.get("required", bool, required=False, default=False),
        in_core=r.get("in_core", bool, required=False, default=False),
        variant=r.get("variant", str, required=False, default="default"),
        static_lib=r.get("static_lib", str, required=False),
        shared_lib=r.get("shared_lib", str, required=False),
    )


def parse(data: Mapping[str, Any], root: Path, file: Path | None = None) -> Distribution:
    """Build the model from a decoded PYTHON.json whose ``python/`` directory is ``root``."""
    file = file or root / "PYTHON.json"
    r = _Reader(data, file)
    version = r.get("version", int)
    if version not in READ_VERSIONS:
        raise PyingotError(
            f"{file}: PYTHON.json format version {version} is not supported",
            hint=f"pyingot reads versions {', '.join(map(str, READ_VERSIONS))}: "
            f"use {_WORKING_ARCHIVES}",
        )
    info = r.child("build_info")
    object_format = info.get("object_file_format", str, required=False, default="elf")
    if object_format.startswith("llvm-bitcode"):
        raise PyingotError(
            f"{file}: its object files are LLVM bitcode ({object_format}), not machine code",
            hint=(
                "PBS builds with LTO ('lto', 'pgo+lto') ship bitcode, which only the exact LLVM "
                "version that wrote it can link, and pyingot links with the system's GNU "
                f"toolchain. Use {_WORKING_ARCHIVES}."
            ),
        )
    core = info.child("core")
    extensions: dict[str, tuple[ExtensionModule, ...]] = {}
    ext_map = info.get("extensions", dict)
    for name in sorted(ext_map):
        variants = ext_map[name]
        if not isinstance(variants, list) or not variants:
            raise r._fail(f"build_info.extensions.{name}", "should be a non-empty list")
        extensions[name] = tuple(
            _parse_extension(name, _Reader(v, file, f"build_info.extensions.{name}[{i}]."))
            if isinstance(v, dict)
            else _bad_variant(r, name, i)
            for i, v in enumerate(variants)
        )
    paths = r.get("python_paths", dict)
    for key in ("stdlib", "include"):
        if not isinstance(paths.get(key), str):
            raise r._fail(f"python_paths.{key}", "is missing")
    build_options = data.get("build_options") or data.get("optimizations") or "unknown"
    licenses = r.get("licenses", list, required=False)
    return Distribution(
        root=root,
        format_version=version,
        target_triple=r.get("target_triple", str),
        python_version=r.get("python_version", str),
        python_tag=r.get("python_tag", str),
        python_exe=r.get("python_exe", str),
        python_paths=dict(paths),
        build_options=str(build_options),
        object_file_format=object_format,
        core_objs=core.strings("objs"),
        core_links=_parse_links(core, "links"),
        inittab_object=core.get("inittab_object", str, required=False),
        inittab_source=core.get("inittab_source", str, required=False),
        inittab_cflags=core.strings("inittab_cflags", required=False),
        extensions=extensions,
        licenses=tuple(licenses) if licenses is not None else None,
        license_path=r.get("license_path", str, required=False),
        extra={k: v for k, v in data.items() if k not in _MODELLED},
    )


def _bad_variant(r: _Reader, name: str, i: int) -> ExtensionModule:
    raise r._fail(f"build_info.extensions.{name}[{i}]", "should be a map")


def _render_link(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {"name": link.name}
    if link.path_static:
        out["path_static"] = link.path_static
    if link.path_dynamic:
        out["path_dynamic"] = link.path_dynamic
    if link.system:
        out["system"] = True
    if link.framework:
        out["framework"] = True
    return out


def _render_extension(ext: ExtensionModule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "in_core": ext.in_core,
        "init_fn": ext.init_fn,
        "license_public_domain": ext.license_public_domain,
        "links": [_render_link(link) for link in ext.links],
        "objs": list(ext.objs),
        "required": ext.required,
        "variant": ext.variant,
    }
    if ext.licenses is not None:
        out["licenses"] = list(ext.licenses)
    if ext.license_paths:
        out["license_paths"] = list(ext.license_paths)
    if ext.static_lib:
        out["static_lib"] = ext.static_lib
    if ext.shared_lib:
        out["shared_lib"] = ext.shared_lib
    return out


def render(dist: Distribution) -> dict[str, Any]:
    """The PYTHON.json map for ``dist`` (format version :data:`WRITE_VERSION`)."""
    core: dict[str, Any] = {
        "objs": list(dist.core_objs),
        "links": [_render_link(link) for link in dist.core_links],
        "inittab_cflags": list(dist.inittab_cflags),
    }
    if dist.inittab_object:
        core["inittab_object"] = dist.inittab_object
    if dist.inittab_source:
        core["inittab_source"] = dist.inittab_source
    out: dict[str, Any] = dict(dist.extra)
    out.update(
        {
            "version": str(WRITE_VERSION),
            "target_triple": dist.target_triple,
            "python_version": dist.python_version,
            "python_tag": dist.python_tag,
            "python_exe": dist.python_exe,
            "python_paths": dict(dist.python_paths),
            "build_options": dist.build_options,
            "build_info": {
                "core": core,
                "extensions": {
                    name: [_render_extension(v) for v in variants]
                    for name, variants in sorted(dist.extensions.items())
                },
                "object_file_format": dist.object_file_format,
            },
        }
    )
    if dist.licenses is not None:
        out["licenses"] = list(dist.licenses)
    if dist.license_path:
        out["license_path"] = dist.license_path
    return out


def write(dist: Distribution) -> None:
    """Write ``dist.root/PYTHON.json`` (sorted keys: reproducible bytes)."""
    text = json.dumps(render(dist), indent=2, sort_keys=True) + "\n"
    (dist.root / "PYTHON.json").write_text(text)


def load_json(root: Path) -> Distribution:
    file = root / "PYTHON.json"
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError as e:
        raise PyingotError(
            f"{root} has no PYTHON.json",
            hint="point at a python-build-standalone 'full' archive or its python/ directory",
        ) from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PyingotError(f"{file}: cannot read it as JSON ({e})") from e
    if not isinstance(data, dict):
        raise PyingotError(f"{file}: should hold a JSON map")
    return parse(data, root, file)


def load(location: Path) -> Distribution:
    """Read a distribution: a ``.tar.zst`` archive, its unpacked directory, or ``python/``.

    An archive is unpacked once into the cache (keyed by its sha256) and read from there.
    """
    location = location.expanduser()
    if not location.exists():
        raise PyingotError(f"distribution {location} does not exist")
    if location.is_dir():
        return load_json((json_root(location) or location).absolute())
    if is_archive(location):
        return load_json(_unpack_zst(location) / "python")
    raise PyingotError(
        f"{location} is not a distribution archive",
        hint="pyingot reads python-build-standalone '.tar.zst' full archives "
        "and unpacked directories",
    )


def is_archive(path: Path) -> bool:
    """Whether ``path`` is named like a python-build-standalone archive."""
    return path.name.endswith(ARCHIVE_SUFFIXES)


def json_root(directory: Path) -> Path | None:
    """The directory holding ``PYTHON.json`` in an unpacked distribution: ``directory``
    itself or its ``python/`` (the archive's top level); None if neither has one."""
    for root in (directory / "python", directory):
        if (root / "PYTHON.json").is_file():
            return root
    return None


def _unpack_zst(archive: Path) -> Path:
    import tarfile  # here, not at the top: a build with its distribution unpacked needs none

    import zstandard

    digest = cache.file_sha256(archive)
    final = cache.cache_root() / "archives" / digest[:32]
    if (final / "python" / "PYTHON.json").exists():
        return final
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if (final / "python" / "PYTHON.json").exists():
            return final
        try:
            with archive.open("rb") as raw:
                reader = zstandard.ZstdDecompressor().stream_reader(raw)
                with tarfile.open(fileobj=reader, mode="r|") as tar:
                    tar.extractall(tmp, filter="data")
        except (tarfile.TarError, zstandard.ZstdError, OSError, EOFError) as e:
            raise PyingotError(
                f"cannot unpack {archive}: {e}",
                hint="the archive is damaged or not a zstandard-compressed tar; download it again",
            ) from e
        if not (tmp / "python" / "PYTHON.json").exists():
            raise PyingotError(
                f"{archive} holds no python/PYTHON.json",
                hint="it is not a python-build-standalone 'full' archive "
                "(the 'install_only' archives lack build artifacts)",
            )
        cache.commit(tmp, final)
    return final
