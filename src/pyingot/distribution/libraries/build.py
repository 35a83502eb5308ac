"""Build one library into its own cache entry, all or nothing.

An entry, ``<cache>/libraries/<name>-<version>-<key12>/``, holds::

    include/                 the headers
    lib/lib*.a               the static archives, their symbols hidden (hide.py)
    lib/pkgconfig/*.pc       with prefix=${pcfiledir}/../.. (the entry is relocatable)
    share/licenses/<name>/   the licence texts (and Debian's copyright file)
    BUILD.json               name, versions, licence, source and archive sha256s, key

The key hashes the recipe (pins, patch policy, steps, flags), the toolchain's
fingerprint and the keys of the libraries it builds against. The build runs in
a staging directory beside the entry: sources, build tree, ``make install``
tree and zig's cache all stay there, and only the finished entry is renamed into
place. Everything else the install produced (shared objects, libtool files,
programs, manuals) is left behind.
"""

from __future__ import annotations

import email.utils
import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution.libraries import fetch, hide, merge, unpack
from pyingot.distribution.libraries.entry import PC_PREFIX, BuiltLibrary, entries_dir
from pyingot.distribution.libraries.model import (
    BASE_CFLAGS,
    INSTALL_PREFIX,
    LIBRARY_RECIPE_VERSION,
    PkgConfig,
    Recipe,
    recipe_inputs,
)
from pyingot.distribution.toolchain import Toolchain
from pyingot.errors import InternalError, PyingotError
from pyingot.progress import Progress, run_logged

#: Programs every recipe runs, besides its own ``host_tools``.
COMMON_HOST_TOOLS = ("make", "patch")


def library_key(recipe: Recipe, toolchain: Toolchain, dep_keys: Mapping[str, str]) -> str:
    return cache.input_hash(
        {
            "kind": "library",
            "library_recipe": LIBRARY_RECIPE_VERSION,
            "recipe": recipe_inputs(recipe),
            "toolchain": toolchain.fingerprint,
            "depends": {name: dep_keys[name] for name in recipe.depends},
        }
    )


def entry_path(recipe: Recipe, key: str) -> Path:
    return entries_dir() / f"{recipe.name}-{recipe.version}-{key[:12]}"


def build_library(
    recipe: Recipe,
    toolchain: Toolchain,
    deps: Mapping[str, BuiltLibrary],
    *,
    sites: fetch.Sites = fetch.DEFAULT_SITES,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> BuiltLibrary:
    """The cache entry of ``recipe``, built now if there is none.

    ``deps`` holds the built libraries of ``recipe.depends``.
    """
    key = library_key(recipe, toolchain, {n: d.key for n, d in deps.items()})
    final = entry_path(recipe, key)
    if (final / "BUILD.json").is_file():
        return BuiltLibrary.load(final)
    check_host_tools(recipe)
    files = fetch.fetch(recipe, sites)
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"library-{final.name}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.write_text(f"pyingot build of {recipe.label} (key {key})\n")
    started = time.monotonic()
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if (final / "BUILD.json").is_file():
            return BuiltLibrary.load(final)
        builder = _Builder(recipe, toolchain, key, tmp, log, jobs or os.cpu_count() or 2, progress)
        tree = unpack.source_tree(recipe, files, tmp / "src", log)
        deps_dir = tmp / "deps"
        merge.merge([deps[n] for n in recipe.depends], deps_dir)
        builder.run_steps(tree, deps_dir)
        entry = builder.assemble(tree, files, time.monotonic() - started)
        cache.commit(entry, final)
    return BuiltLibrary.load(final)


def check_host_tools(recipe: Recipe) -> None:
    """Fail before the build when a program the recipe runs is not installed."""
    for tool in (*COMMON_HOST_TOOLS, *recipe.host_tools):
        if shutil.which(tool) is None:
            raise tools.not_installed(tool, f"to build {recipe.label}")


def source_date_epoch(tree: Path) -> int:
    """The date of the pinned Debian changelog entry, else of the newest top-level
    file of the upstream tree: what OpenSSL's build information reports."""
    changelog = tree / "debian" / "changelog"
    if changelog.is_file():
        for line in changelog.read_text(errors="replace").splitlines():
            if line.startswith(" -- ") and "  " in line[4:]:
                stamp = line[4:].split("  ", 1)[1]
                return int(email.utils.parsedate_to_datetime(stamp).timestamp())
    return max((int(p.lstat().st_mtime) for p in tree.iterdir()), default=0)


def static_pkg_config(text: str, renames: Mapping[str, str] | None = None) -> str:
    """A ``.pc`` file whose ``Libs``, ``Requires`` and ``Cflags`` include their
    ``.private`` parts, with the ``renames`` of ``Libs`` flags made.

    There are only static archives here, so what a static link needs is what
    every link needs; CPython's configure asks ``pkg-config --libs`` without
    ``--static``, and libedit's ``-ledit`` alone would not link (ncurses).
    """
    renames = renames or {}
    fields = ("Libs", "Requires", "Cflags")
    private: dict[str, str] = {}
    kept = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.endswith(".private") and name.removesuffix(".private") in fields:
            private[name.removesuffix(".private")] = value.strip()
        else:
            kept.append(line)
    out = []
    for line in kept:
        name, sep, value = line.partition(":")
        if sep and name in private:
            line = f"{name}: {' '.join(v for v in (value.strip(), private.pop(name)) if v)}"
        if sep and name == "Libs":
            line = "Libs: " + " ".join(renames.get(t, t) for t in line[5:].split())
        out.append(line)
    out.extend(f"{name}: {value}" for name, value in private.items() if value)
    return "\n".join(out) + "\n"


class _Builder:
    def __init__(
        self,
        recipe: Recipe,
        toolchain: Toolchain,
        key: str,
        tmp: Path,
        log: Path,
        jobs: int,
        progress: Progress | None,
    ) -> None:
        self.recipe = recipe
        self.toolchain = toolchain
        self.key = key
        self.tmp = tmp
        self.log = log
        self.jobs = jobs
        self.progress = progress
        self.destdir = tmp / "root"
        self.installed = self.destdir / INSTALL_PREFIX.lstrip("/")

    def run_steps(self, tree: Path, deps_dir: Path) -> None:
        recipe = self.recipe
        values = {
            "prefix": INSTALL_PREFIX,
            "destdir": str(self.destdir),
            "deps": str(deps_dir),
            "jobs": str(self.jobs),
        }
        cflags = [
            *BASE_CFLAGS,
            f"-ffile-prefix-map={tree}=/usr/src/{recipe.dir_name}",
            *(flag.format_map(values) for flag in recipe.cflags),
        ]
        values["cflags"] = " ".join(cflags)
        pkg_config_dirs = [deps_dir / "lib" / "pkgconfig"] if recipe.depends else []
        env = self.toolchain.env(
            zig_cache=self.toolchain.seed_zig_cache(self.tmp / "zig-cache"),
            pkg_config_libdir=pkg_config_dirs,
            source_date_epoch=source_date_epoch(tree),
        )
        if recipe.cflags_in_env:
            env["CFLAGS"] = values["cflags"]
        if recipe.depends:
            env["CPPFLAGS"] = f"-I{deps_dir}/include"
            env["LDFLAGS"] = f"-L{deps_dir}/lib"
        for step in recipe.steps:
            run_logged(
                [arg.format_map(values) for arg in step.argv],
                cwd=tree,
                log=self.log,
                step=f"building {recipe.label}: {step.name}",
                env=env,
                heartbeat=self._compiled,
                progress=self.progress,
            )

    def _compiled(self) -> str:
        try:
            with self.log.open("rb") as f:
                n = sum(1 for line in f if b" -c " in line)
        except OSError:
            return ""
        return f"{self.recipe.name}: {n} compile commands so far"

    def _fail(self, problem: str) -> PyingotError:
        return PyingotError(f"building {self.recipe.label}: {problem}", log=self.log)

    def assemble(self, tree: Path, files: Mapping[str, Path], seconds: float) -> Path:
        """The entry, from the install tree and the recipe's copies, in ``tmp/entry``."""
        recipe = self.recipe
        entry = self.tmp / "entry"
        lib = entry / "lib"
        pc_dir = lib / "pkgconfig"
        pc_dir.mkdir(parents=True)
        for copy in recipe.copies:
            dest = self.installed / copy.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(tree / copy.source, dest)
            except OSError as e:
                raise self._fail(f"the build made no {copy.source} ({e.strerror})") from e
        if (self.installed / "include").is_dir():
            shutil.copytree(self.installed / "include", entry / "include", symlinks=True)
        archives = sorted((self.installed / "lib").glob("lib*.a"))
        for archive in archives:
            shutil.copy2(archive, lib / archive.name, follow_symlinks=True)
        for pc in sorted(self.installed.glob("*/pkgconfig/*.pc")):
            text = pc.read_text().replace(INSTALL_PREFIX, PC_PREFIX)
            (pc_dir / pc.name).write_text(static_pkg_config(text, dict(recipe.pc_renames)))
        for spec in recipe.write_pkg_config:
            text = static_pkg_config(self._pkg_config_text(spec))
            (pc_dir / f"{spec.name}.pc").write_text(text)
        for link, target in recipe.lib_links:
            (lib / link).symlink_to(target)
        self._check_outputs(entry)
        for target, sources in recipe.bundles:
            self._bundle(lib / f"lib{target}.a", [lib / f"lib{s}.a" for s in sources])
        digests = {}
        for archive in sorted(lib.glob("lib*.a")):
            if archive.is_symlink():
                continue
            self._check_no_build_paths(archive)
            hide.hide_archive(archive)
            left = hide.visible_symbols(archive)
            if left:
                raise InternalError(
                    f"{archive}: symbols still visible after hiding: "
                    + ", ".join(f"{v.member}:{v.symbol}" for v in left[:10])
                )
            digests[archive.name] = cache.file_sha256(archive)
        built = BuiltLibrary(
            name=recipe.name,
            version=recipe.version,
            debian_package=recipe.source.package,
            debian_version=recipe.source.version,
            license=recipe.license,
            key=self.key,
            path=entry,
            sources={name: cache.file_sha256(path) for name, path in sorted(files.items())},
            archives=digests,
            pkg_config=recipe.pkg_config,
            license_files=self._licenses(tree, entry),
            build_seconds=seconds,
        )
        (entry / "BUILD.json").write_text(json.dumps(built.to_json(), indent=2) + "\n")
        return entry

    def _bundle(self, target: Path, sources: list[Path]) -> None:
        """Append the members of ``sources`` to the archive ``target``."""
        env = self.toolchain.env(zig_cache=self.tmp / "zig-cache")
        for source in sources:
            work = self.tmp / "bundle" / source.stem
            work.mkdir(parents=True)
            ar = str(self.toolchain.tool("ar"))
            members = tools.check([ar, "t", source], what=f"listing {source.name}", env=env)
            names = members.stdout.split()
            if len(names) != len(set(names)):
                raise InternalError(f"{source.name} has two members of the same name")
            tools.check([ar, "x", source], what=f"unpacking {source.name}", cwd=work, env=env)
            tools.check(
                [ar, "qs", target, *names], what=f"adding to {target.name}", cwd=work, env=env
            )

    def _check_no_build_paths(self, archive: Path) -> None:
        """An archive naming the staging directory or the toolchain's location would
        differ from one machine (or build) to the next."""
        data = archive.read_bytes()
        for path in (self.tmp, self.toolchain.bin_dir.parent, self.toolchain.zig.parent):
            if str(path).encode() in data:
                raise InternalError(
                    f"{self.recipe.label}: {archive.name} embeds the path {path} "
                    f"(build log: {self.log})"
                )

    def _check_outputs(self, entry: Path) -> None:
        recipe = self.recipe
        made = {p.name for p in (entry / "lib").glob("lib*.a") if not p.is_symlink()}
        expected = {f"lib{a}.a" for a in recipe.archives}
        if made != expected:
            raise self._fail(
                f"the build installed the archives {sorted(made)}, "
                f"the recipe expects {sorted(expected)}"
            )
        pcs = {p.stem for p in (entry / "lib" / "pkgconfig").glob("*.pc")}
        if not set(recipe.pkg_config) <= pcs:
            raise self._fail(
                f"the build installed the pkg-config files {sorted(pcs)}, "
                f"the recipe expects {sorted(recipe.pkg_config)}"
            )

    def _pkg_config_text(self, spec: PkgConfig) -> str:
        lines = [
            f"prefix={PC_PREFIX}",
            "libdir=${prefix}/lib",
            "includedir=${prefix}/include",
            "",
            f"Name: {spec.name}",
            f"Description: {spec.description}",
            f"Version: {self.recipe.version}",
            f"Libs: {spec.libs}",
        ]
        if spec.libs_private:
            lines.append(f"Libs.private: {spec.libs_private}")
        lines.append(f"Cflags: {spec.cflags}")
        return "\n".join(lines) + "\n"

    def _licenses(self, tree: Path, entry: Path) -> tuple[str, ...]:
        recipe = self.recipe
        dest = entry / "share" / "licenses" / recipe.name
        dest.mkdir(parents=True)
        wanted = list(recipe.license_files)
        if recipe.source.debian_tarball is not None:
            wanted.append("debian/copyright")
        out = []
        for rel in wanted:
            name = "debian-copyright" if rel == "debian/copyright" else Path(rel).name
            if (dest / name).exists():
                raise InternalError(f"{recipe.name}: two licence files named {name}")
            try:
                shutil.copyfile(tree / rel, dest / name)
            except OSError as e:
                raise self._fail(f"its licence file {rel} is missing ({e.strerror})") from e
            out.append(str((dest / name).relative_to(entry)))
        return tuple(out)
