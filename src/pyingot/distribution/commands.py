"""What the ``pyingot python ...`` commands print (kept out of cli.py's parsing)."""

from __future__ import annotations

from pyingot.distribution import build as builder
from pyingot.distribution import store
from pyingot.progress import Progress


def build(spec: str, *, jobs: int | None, quiet: bool, free_threaded: bool = False) -> int:
    options = builder.BuildOptions(free_threaded=free_threaded)
    if jobs:
        options = builder.BuildOptions(jobs=jobs, free_threaded=free_threaded)
    dist = builder.build(spec, options, progress=Progress(builder.STAGES, quiet=quiet))
    print(dist.root.parent)
    return 0


def list_() -> int:
    dists = store.cached()
    if not dists:
        print(
            "no cached distributions (build one: pyingot python build --source debian:python3.11)"
        )
        return 0
    for d in dists:
        stale = "" if store.is_current(d) else "  (older recipe: 'pyingot python prune' removes it)"
        print(
            f"{d.name}  CPython {d.python_version}  {d.target_triple}  "
            f"{len(d.builtin_extensions())} built-in extension modules{stale}"
        )
    return 0


def prune() -> int:
    removed = store.prune()
    for entry in removed:
        print(f"removed {entry}")
    if not removed:
        print("nothing to remove: every cached distribution is current")
    return 0


def show(name: str, *, policy: str | None = None) -> int:
    from pyingot.distribution.selection import ExtensionSelection

    dist = store.find(name)
    selection = ExtensionSelection() if policy is None else ExtensionSelection(policy=policy)
    policy = selection.policy
    chosen = selection.resolve(dist)
    print(f"name:            {dist.name}")
    print(f"location:        {dist.root}")
    print(f"python version:  {dist.python_version}")
    print(f"target triple:   {dist.target_triple}")
    print(f"build options:   {dist.build_options}")
    print(f"format version:  {dist.format_version}")
    print(f"licenses:        {', '.join(dist.licenses or ('unknown',))}")
    print(
        f"extension modules ({len(dist.extensions)}; * = selected by '{policy}', "
        "R = required to start):"
    )
    for ext_name, variants in sorted(dist.extensions.items()):
        ext = variants[0]
        mark = "*" if ext_name in chosen else " "
        req = "R" if ext.required else " "
        kind = "built-in" if ext.is_static else "shared only"
        libs = (
            ", ".join(link.name + ("" if link.path_static else " (system)") for link in ext.links)
            or "-"
        )
        print(
            f"  {mark}{req} {ext_name:<24} {kind:<11} licenses: {ext.license_summary()}; "
            f"links: {libs}"
        )
    return 0
