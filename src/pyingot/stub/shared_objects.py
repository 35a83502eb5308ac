"""Standard-library extension modules as shared objects, embedded instead of linked.

Under ``[tool.pyingot.extensions] link = "start-up"`` the stub links only the
extension modules the program imports to start; every other reachable one is
linked here, once, into a shared object from the same objects and static
libraries the stub would use (a distribution's extension objects are
position-independent), stripped, and embedded in the payload: it is stored
compressed and loaded from memory at its first import, like a wheel's
extension module. Code in the stub cannot be compressed; a module in the
payload can, and costs nothing until imported.

Each shared object leaves the C API undefined (``Py*`` symbols bind to the
executable's exports when it is loaded) and carries its own copy of the static
libraries it needs, whose symbols the portable distribution's archives have
hidden. Modules that need the same static library share one shared object
(:func:`groups`): ``_ssl`` and ``_hashlib`` one copy of OpenSSL, the curses
modules one of ncurses, ``zlib`` and ``binascii`` one of zlib. Each of them is
embedded with that object's bytes, which the payload stores once, and the
runtime loads it once, whichever of them is imported first (a copy of OpenSSL
is 4 MB; the rich CLI of the benchmark, which embeds both, went from 14.7 to
13.6 MiB). A module whose object refers to a symbol the stub does not export
(3.13's built-in modules read the thread state through the hidden thread-local
``_Py_tss_tstate``) could not be loaded: :func:`unresolved` finds those, and the
build links them into the stub instead (:func:`pyingot.stub.embed_extensions`).
A module whose shared object cannot be linked at all fails the build, naming it
and how to link it instead: that is a broken distribution, not a choice to make
silently.

Each shared object is cached under ``shared-objects/<hash>`` by a hash of its
inputs (the objects' and libraries' sha256, the toolchain, the flags), written
atomically: a rebuild links none, and finds it by the inputs' identities (path,
size, mtime) without hashing them again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pyingot import cache, digests, elf, tools
from pyingot.distribution.model import Distribution, ExtensionModule, link_order
from pyingot.errors import PyingotError
from pyingot.stub import linking

#: Bump when how a shared object is linked changes (flags, inputs).
RECIPE = 2

#: Stripped, unused sections dropped; bound at load (as the stub is).
FLAGS = ("-shared", "-Wl,--strip-all", "-Wl,--gc-sections", "-Wl,-z,now")


def can_be_shared(ext: ExtensionModule) -> bool:
    """The module has objects of its own (not part of the interpreter's core) and
    is not required to start the interpreter."""
    return bool(ext.objs) and not ext.in_core and not ext.required and bool(ext.init_fn)


def _archives(dist: Distribution, ext: ExtensionModule) -> list[Path]:
    """The static libraries ``ext`` links (its own and its dependencies')."""
    archives = [dist.path(ext.static_lib)] if ext.static_lib else []
    archives += [dist.path(link.path_static) for link in ext.links if link.path_static]
    return archives


def groups(dist: Distribution, modules: Mapping[str, ExtensionModule]) -> list[tuple[str, ...]]:
    """``modules`` by shared object: those that link a static library in common (or
    through one another) together, each group's names sorted, the groups sorted."""
    parent = {name: name for name in modules}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    first: dict[Path, str] = {}
    for name, ext in sorted(modules.items()):
        for archive in _archives(dist, ext):
            other = first.setdefault(archive, name)
            parent[root(name)] = root(other)
    grouped: dict[str, list[str]] = {}
    for name in sorted(modules):
        grouped.setdefault(root(name), []).append(name)
    return sorted(tuple(names) for names in grouped.values())


def shared_objects(dist: Distribution, modules: Mapping[str, ExtensionModule]) -> dict[str, Path]:
    """The cached, stripped shared object of each of ``modules`` (one per group of
    :func:`groups`, the same path for each module of a group), linked on first use."""
    out: dict[str, Path] = {}
    for group in groups(dist, modules):
        path = shared_object(dist, [modules[name] for name in group])
        out.update((name, path) for name in group)
    return out


def shared_object(dist: Distribution, exts: Sequence[ExtensionModule]) -> Path:
    """The cached, stripped shared object holding the modules ``exts``, linked on
    first use."""
    linker = linking.linker_for(dist)
    names = [ext.name for ext in exts]
    objects = [dist.path(o) for ext in exts for o in ext.objs]
    archives = [a for ext in exts for a in _archives(dist, ext)]
    system = []
    for ext in exts:
        for link in ext.links:
            if link.path_static:
                continue
            if link.system:
                system.append(f"-l{link.name}")
            else:
                raise PyingotError(
                    f"extension module {ext.name} links {link.name}, which the distribution "
                    "has no static library for",
                    hint=f"exclude {ext.name}, or use a distribution with static libraries",
                )
    archives = link_order(list(dict.fromkeys(archives)))
    system = list(dict.fromkeys(system))
    missing = [p for p in (*objects, *archives) if not p.is_file()]
    if missing:
        raise PyingotError(
            f"distribution {dist.name} is incomplete: {missing[0]} is missing",
            hint="rebuild it (pyingot python build) or unpack the archive again",
        )
    inputs = {
        "recipe": RECIPE,
        "modules": names,
        "system": system,
        "cc": linker.cc,
        "flags": [*FLAGS, *linker.flags],
    }
    # Which entry the files hash to is remembered by their identities (path, size,
    # mtime): a rebuild hashes none of OpenSSL's archives again.
    files = [cache.identity(p) for p in (*objects, *archives)]
    known = Path(
        cache.memo(
            "shared-object",
            {**inputs, "files": files},
            lambda: str(_link(linker, names, objects, archives, system, inputs)),
        )
    )
    if known.is_file():
        return known
    return _link(linker, names, objects, archives, system, inputs)  # the entry was removed


def _link(
    linker: linking.Linker,
    names: Sequence[str],
    objects: list[Path],
    archives: list[Path],
    system: list[str],
    inputs: dict[str, object],
) -> Path:
    key = cache.input_hash(
        {
            **inputs,
            "objects": [digests.file_sha256(p) for p in objects],
            "archives": [digests.file_sha256(p) for p in archives],
        }
    )
    final = cache.cache_root() / "shared-objects" / key[:24]
    name = "+".join(names)
    out = final / f"{name}.so"
    if out.is_file():
        return out
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if out.is_file():
            return out
        try:
            tools.check(
                [
                    linker.cc,
                    *FLAGS,
                    "-o",
                    str(tmp / out.name),
                    *map(str, objects),
                    "-Wl,--start-group",
                    *map(str, archives),
                    "-Wl,--end-group",
                    *system,
                ],
                what=f"linking extension module {' and '.join(names)} as a shared object",
                env=linker.env,
            )
        except PyingotError as e:
            raise PyingotError(e.message, hint=_link_it(names[0])) from None
        exports = elf.read_dynamic_symbols(tmp / out.name).defined
        for module in names:
            if f"PyInit_{module}" not in exports:
                raise PyingotError(
                    f"extension module {module}: its shared object exports no PyInit_{module}",
                    hint=_link_it(module),
                )
        cache.commit(tmp, final)
    return out


def _link_it(name: str) -> str:
    return (
        f'link it into the executable: include = ["{name}"] in [tool.pyingot.extensions] '
        '(or link = "reachable" there for every module)'
    )


def unresolved(objects: Mapping[str, Path], stub: Path) -> dict[str, tuple[str, ...]]:
    """The shared objects (by module name) that refer to symbols ``stub`` does not
    export, with those symbols: loading one would fail."""

    def check() -> str:
        exported = elf.read_dynamic_symbols(stub).defined
        out = {}
        for name, path in sorted(objects.items()):
            missing = elf.read_dynamic_symbols(path).unversioned_undefined - exported
            if missing:
                out[name] = sorted(missing)
        return json.dumps(out)

    # Remembered by the files' identities: each is a cache entry, written once.
    inputs = {
        "stub": cache.identity(stub),
        "objects": {name: cache.identity(path) for name, path in sorted(objects.items())},
    }
    answer = json.loads(cache.memo("unresolved-symbols", inputs, check))
    return {str(name): tuple(symbols) for name, symbols in answer.items()}
