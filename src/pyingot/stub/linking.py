"""Link an executable from a distribution's objects and a chosen set of extensions.

The distribution's ``config.c`` defines ``_PyImport_Inittab``, the table of
built-in modules. It is regenerated for the selected extensions, compiled, and
linked with libpython's core objects, the extensions' objects and their static
libraries:

* ``--export-dynamic`` so that extension ``.so`` files loaded later find the
  C API in the executable (of the stub's runtime, only the functions it interposes
  are exported: :mod:`pyingot.stub.exports`);
* the symbols of the static dependency libraries (OpenSSL, SQLite...) are *not*
  exported, so that an extension bringing its own copy of such a library binds
  to its own, not to ours: a portable distribution's archives have them hidden
  already (``libraries/hide.py``; zig's linker has no ``--exclude-libs``), for
  others the host linker is given ``--exclude-libs,ALL``;
* dependency archives in dependency order (each after every archive using it),
  glibc's libraries last, by name.

The output is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution import toolchain
from pyingot.distribution.model import Distribution, ExtensionModule, link_order
from pyingot.errors import PyingotError

_EXTERN = re.compile(r"^extern PyObject\* PyInit_(\w+)\(void\);$")
_ENTRY = re.compile(r'^\s*\{"(\w+)", PyInit_\w+\},$')
_TABLE = "struct _inittab _PyImport_Inittab[] = {"


def inittab_source(dist: Distribution, selected: Mapping[str, ExtensionModule]) -> str:
    """``config.c`` with exactly the selected extensions (the core's own entries kept)."""
    if not dist.inittab_source:
        raise PyingotError(
            f"distribution {dist.name} has no inittab source (build_info.core.inittab_source)",
            hint="use a distribution built by pyingot or a PBS 'full' archive",
        )
    lines = dist.path(dist.inittab_source).read_text().splitlines()
    kept = []
    for line in lines:
        m = _EXTERN.match(line) or _ENTRY.match(line)
        if m and m[1] in dist.extensions:
            continue
        kept.append(line)
    try:
        table = kept.index(_TABLE)
    except ValueError:
        raise PyingotError(
            f"{dist.path(dist.inittab_source)}: no '{_TABLE}' line",
            hint="is it CPython's config.c?",
        ) from None
    in_core = [e for e in sorted(selected.values(), key=lambda e: e.name) if not e.in_core]
    externs = [f"extern PyObject* {e.init_fn}(void);" for e in in_core if e.init_fn]
    entries = [f'    {{"{e.name}", {e.init_fn}}},' for e in in_core if e.init_fn]
    return "\n".join(kept[:table] + externs + [kept[table]] + entries + kept[table + 1 :]) + "\n"


@dataclass(frozen=True)
class LinkInputs:
    objects: tuple[Path, ...]
    archives: tuple[Path, ...]
    system_libraries: tuple[str, ...]


def link_inputs(dist: Distribution, selected: Mapping[str, ExtensionModule]) -> LinkInputs:
    objects = [dist.path(o) for o in dist.core_objs]
    order: list[Path] = []
    system: list[str] = []
    for ext in sorted(selected.values(), key=lambda e: e.name):
        objects.extend(dist.path(o) for o in ext.objs)
        if ext.static_lib:
            order.append(dist.path(ext.static_lib))
        for link in ext.links:
            if link.path_static:
                order.append(dist.path(link.path_static))
            elif link.system:
                system.append(link.name)
            else:
                raise PyingotError(
                    f"extension module {ext.name} links {link.name}, which the distribution "
                    "has no static library for",
                    hint=f"exclude {ext.name}, or use a distribution with static libraries",
                )
    system.extend(link.name for link in dist.core_links if link.system)
    archives = link_order(order)
    missing = [p for p in (*objects, *archives) if not p.is_file()]
    if missing:
        raise PyingotError(
            f"distribution {dist.name} is incomplete: {missing[0]} is missing"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            hint="rebuild it (pyingot python build) or unpack the archive again",
        )
    return LinkInputs(tuple(objects), tuple(archives), tuple(dict.fromkeys(system)))


@dataclass(frozen=True)
class Linker:
    """The compiler driver that links against a distribution, and how."""

    cc: str
    env: Mapping[str, str] | None
    #: Flags this linker needs: what keeps dependency symbols unexported, and
    #: the unwinder Rust's standard library calls.
    flags: tuple[str, ...]


def linker_for(dist: Distribution) -> Linker:
    """zig for a distribution pyingot built with it (the same glibc floor);
    the host's ``cc`` for others (older recipes, python-build-standalone)."""
    tc = toolchain.of_distribution(dist)
    if tc is not None:
        zig_cache = cache.ensure_dir(cache.cache_root() / "zig-cache" / tc.fingerprint[:16])
        return Linker(str(tc.tool("cc")), tc.env(zig_cache=zig_cache), ("-lunwind",))
    return Linker("cc", None, ("-Wl,--exclude-libs,ALL", "-static-libgcc"))


def link(
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    *,
    main_inputs: Sequence[Path | str],
    output: Path,
    extra_args: Sequence[str] = (),
    linker_script: str | None = None,
) -> None:
    """Link ``main_inputs`` (objects or archives with ``main``) into ``output``.

    ``linker_script`` is added to the linker's default script (a script with
    ``INSERT``)."""
    linker = linker_for(dist)
    cc = linker.cc
    inputs = link_inputs(dist, selected)
    include = dist.path(dist.include)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pyingot-link-", dir=output.parent) as tmp:
        config_c = Path(tmp) / "config.c"
        config_c.write_text(inittab_source(dist, selected))
        config_o = Path(tmp) / "config.o"
        tools.check(
            [
                cc,
                "-c",
                "-fPIC",
                *dist.inittab_cflags,
                f"-I{include}",
                str(config_c),
                "-o",
                str(config_o),
            ],
            what="compiling the inittab",
            env=linker.env,
        )
        partial = Path(tmp) / output.name
        script = []
        if linker_script is not None:
            (Path(tmp) / "added.ld").write_text(linker_script)
            script = [f"-Wl,-T,{Path(tmp) / 'added.ld'}"]
        tools.check(
            [
                cc,
                "-o",
                str(partial),
                *map(str, main_inputs),
                str(config_o),
                *map(str, inputs.objects),
                "-Wl,--start-group",
                *map(str, inputs.archives),
                "-Wl,--end-group",
                *(f"-l{lib}" for lib in inputs.system_libraries),
                "-Wl,--export-dynamic",
                *script,
                *linker.flags,
                *extra_args,
            ],
            what=f"linking {output.name}",
            env=linker.env,
        )
        os.replace(partial, output)
