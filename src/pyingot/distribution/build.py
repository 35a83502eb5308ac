"""Build a static CPython distribution (PBS "full" layout) from a CPython source.

The stages, each a function below:

1. resolve the source and look for a cached build with the same inputs;
2. unpack it in a staging directory inside the cache;
3. build (or find cached) the libraries CPython links, from source, with the
   zig toolchain targeting glibc 2.17 (``toolchain.py``, ``libraries/``);
4. ``configure`` with that toolchain against those libraries and with
   ``MODULE_BUILDTYPE=static`` (every Setup.stdlib module is built in); on 3.11,
   whose static build skips setup.py, enable the five modules setup.py used to
   build;
5. ``make``, overriding each module's ``MODULE_<NAME>_LDFLAGS`` with absolute
   paths of static archives, so the interpreter links no shared library beyond
   glibc's while configure still detects everything the usual way;
6. ``make install`` into ``python/install``;
7. verify: the interpreter's dynamic dependencies are glibc only and every
   module is built in;
8. collect core and extension objects, static libraries, licenses, and write
   ``PYTHON.json``; then rename the staging directory into place.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution import patches, pbs, setupfile, source, toolchain, verify
from pyingot.distribution.libraries import hide
from pyingot.distribution.libraries.prefix import Libraries, build_all
from pyingot.distribution.model import Distribution, ExtensionModule, Link, link_order
from pyingot.distribution.recipe import (
    BUNDLED_LICENSE_FILES,
    BUNDLED_LICENSES,
    CANNOT_BE_STATIC,
    GLIBC_LIBRARIES,
    MODULE_SOURCE_LICENSES,
    RECIPE_VERSION,
    SETUP_311_EXTRAS,
    STATIC_DEPENDENCIES,
    TARGET_GLIBC,
    TARGET_TRIPLE,
    is_test_module,
)
from pyingot.distribution.setupfile import SetupModule
from pyingot.distribution.store import distributions_dir
from pyingot.distribution.toolchain import Toolchain
from pyingot.errors import InternalError, PyingotError
from pyingot.progress import Progress, run_logged

STAGES = 9

#: configure options shared by every version. ``--prefix=/install`` matches PBS;
#: the interpreter finds its stdlib relative to itself, so the tree is relocatable.
#: Expat and libmpdec are CPython's bundled copies (their symbols prefixed);
#: line editing is libedit (BSD), so ``readline`` survives a no-copyleft selection.
CONFIGURE_ARGS = (
    "--prefix=/install",
    "--disable-shared",
    "--without-ensurepip",
    "--with-openssl-rpath=no",
    "--with-readline=editline",
    "--with-dbmliborder=gdbm",
    "--enable-loadable-sqlite-extensions",
)

#: Functions glibc 2.17 lacks. configure finds them missing on its own (zig's
#: versioned stubs fail the link test); stating them documents the floor, and
#: 3.11's crypt test is otherwise optimised away into a false "yes".
CONFIGURE_CACHE = {
    "ac_cv_crypt_crypt": "no",
    **{
        f"ac_cv_func_{f}": "no"
        for f in (
            "getrandom",
            "getentropy",
            "memfd_create",
            "copy_file_range",
            "close_range",
            "closefrom",
            "preadv2",
            "pwritev2",
            "sem_clockwait",
            "explicit_bzero",
            "posix_spawn_file_actions_addclosefrom_np",
        )
    },
}


#: What a free-threaded build adds to configure (PEP 703; CPython 3.13 and later).
FREE_THREADED_ARGS = ("--disable-gil",)
#: The word python-build-standalone puts in a free-threaded build's name and
#: ``build_options``; pyingot's names and PYTHON.json use it the same way.
FREE_THREADED = "freethreaded"


@dataclass(frozen=True)
class BuildOptions:
    jobs: int = os.cpu_count() or 2
    #: ``configure --disable-gil``: the free-threaded interpreter (ABI flag ``t``).
    free_threaded: bool = False


def find_cached(key: str) -> Path | None:
    root = distributions_dir()
    if not root.is_dir():
        return None
    for entry in sorted(root.glob(f"cpython-*-{key[:12]}")):
        if (entry / "python" / "PYTHON.json").exists():
            return entry
    return None


def build(
    spec: str, options: BuildOptions | None = None, *, progress: Progress | None = None
) -> Distribution:
    """Build (or find in the cache) the distribution of CPython source ``spec``."""
    options = options or BuildOptions()
    progress = progress or Progress(STAGES)
    progress.stage(f"resolving source {spec}")
    src = source.resolve(spec)
    tc = toolchain.toolchain(TARGET_GLIBC)
    progress.stage("the libraries CPython links (built once, from source)")
    libs = build_all(tc, progress, jobs=options.jobs)
    inputs: dict[str, object] = {
        "source_sha256": src.sha256,
        "recipe": RECIPE_VERSION,
        "toolchain": tc.fingerprint,
        "libraries": libs.key,
    }
    if options.free_threaded:
        # Only when set, so that the default build's key (and cache) stays as it was.
        inputs["build"] = FREE_THREADED
    if fixes := patches.key(options.free_threaded):
        inputs["patches"] = fixes
    key = cache.input_hash(inputs)
    cached = find_cached(key)
    if cached is not None:
        progress.note(f"cached: {cached}")
        return pbs.load_json(cached / "python")
    cache.ensure_dir(distributions_dir())
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"build-{key[:12]}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.write_text(f"pyingot distribution build of {src.description} (key {key})\n")
    progress.note(f"source: {src.description}; log: {log}")
    # Staged under a provisional name; the final name needs the version, which
    # is known only once the source is unpacked.
    provisional = distributions_dir() / f"pending-{key[:12]}"
    with cache.entry_lock(provisional), cache.staging_dir(provisional) as tmp:
        cached = find_cached(key)
        if cached is not None:
            return pbs.load_json(cached / "python")
        b = _Builder(src, key, tmp, log, options, progress, tc, libs)
        dist_root = b.run()
        final = distributions_dir() / distribution_name(b.version.full, options, key)
        cache.commit(dist_root, final)
    progress.note(f"built {final.name} in {progress.elapsed():.0f} s")
    return pbs.load_json(final / "python")


def distribution_name(version: str, options: BuildOptions, key: str) -> str:
    """``cpython-3.13.5-x86_64-unknown-linux-gnu[-freethreaded]-<key>``: the variant
    sits where python-build-standalone puts it, before the key find_cached matches."""
    variant = f"-{FREE_THREADED}" if options.free_threaded else ""
    return f"cpython-{version}-{TARGET_TRIPLE}{variant}-{key[:12]}"


class _Builder:
    def __init__(
        self,
        src: source.ResolvedSource,
        key: str,
        tmp: Path,
        log: Path,
        options: BuildOptions,
        progress: Progress,
        tc: Toolchain,
        libs: Libraries,
    ) -> None:
        self.tc = tc
        self.libs = libs
        self.src = src
        self.key = key
        self.tmp = tmp
        self.log = log
        self.options = options
        self.progress = progress
        self.out = tmp / "dist" / "python"
        self.version: source.CPythonVersion

    # -- stages ---------------------------------------------------------------

    def run(self) -> Path:
        self.progress.stage("unpacking source")
        self.tree = source.unpack(self.src, self.tmp / "src")
        self.version = source.read_version(self.tree)
        self.progress.note(f"CPython {self.version.full}")
        if self.options.free_threaded and self.version.minor < 13:
            raise PyingotError(
                f"CPython {self.version.full} has no free-threaded build "
                "(configure --disable-gil arrived in 3.13)",
                hint="build it from a CPython 3.13 source: --source debian:python3.13",
            )
        for patch in patches.selected(self.version.minor, self.options.free_threaded):
            patches.apply(self.tree, patch)
            self.progress.note(f"patched {patch.path}: {patch.reason} ({patch.name})")
        self.progress.stage("checking build dependencies")
        self._check_tools()
        self.progress.stage("configuring")
        self._configure()
        modules = self._setup_modules()
        overrides = self._link_overrides(modules)
        self.progress.stage(f"compiling (make -j{self.options.jobs})")
        self._make(overrides)
        self.progress.stage("installing")
        self._make_install(overrides)
        self.progress.stage("verifying the interpreter")
        facts = self._verify(modules)
        self.progress.stage("collecting objects, libraries and licenses")
        dist = self._collect(modules, facts)
        pbs.write(dist)
        pbs.load_json(self.out)  # what we wrote must read back
        shutil.rmtree(self.tmp / "src", ignore_errors=True)
        return self.out.parent

    def _check_tools(self) -> None:
        for tool in ("make", "pkg-config"):
            if shutil.which(tool) is None:
                raise tools.not_installed(tool, "building CPython")

    def _configure(self) -> None:
        zig_cache = self.tc.seed_zig_cache(self.tmp / "zig-cache")
        env = self.tc.env(zig_cache=zig_cache, pkg_config_libdir=[self.libs.pkg_config_dir])
        # No -O here: configure's link tests must not be optimised away (CPython's
        # own OPT supplies -O3 when compiling).
        env["CFLAGS"] = f"-fPIC -ffile-prefix-map={self.tree}=/usr/src/python"
        # 3.11's configure appends the host's -I/usr/include/ncursesw when not
        # cross-compiling: ours must come first.
        env["CPPFLAGS"] = f"-I{self.libs.include_dir}/ncursesw {self.libs.cppflags}"
        env["LDFLAGS"] = self.libs.ldflags
        env["MODULE_BUILDTYPE"] = "static"
        env.update(CONFIGURE_CACHE)
        for module in CANNOT_BE_STATIC:
            env[f"py_cv_module_{module}"] = "n/a"
        prefix = self.libs.prefix
        env["LIBEDIT_CFLAGS"] = f"-I{prefix}/include"
        env["LIBEDIT_LIBS"] = f"-L{prefix}/lib -ledit -lncursesw"
        env["GDBM_CFLAGS"] = f"-I{prefix}/include"
        env["GDBM_LIBS"] = f"-L{prefix}/lib -lgdbm"
        self.env = env
        args = [*CONFIGURE_ARGS, f"--with-openssl={prefix}"]
        if self.version.minor >= 13:
            args.append("--without-system-libmpdec")
        if self.options.free_threaded:
            args.extend(FREE_THREADED_ARGS)
        run_logged(["./configure", *args], cwd=self.tree, log=self.log, step="configure", env=env)
        self._rewrite_setup()

    def _setup_files(self) -> list[str]:
        """The files makesetup reads, in its order (as Makefile.pre.in has them)."""
        if self.version.minor == 11:
            # 3.11 reads Setup.stdlib only on WebAssembly; ours becomes Setup.local.
            return ["Modules/Setup.local", "Modules/Setup.bootstrap", "Modules/Setup"]
        return [
            "Modules/Setup.local",
            "Modules/Setup.stdlib",
            "Modules/Setup.bootstrap",
            "Modules/Setup",
        ]

    def _rewrite_setup(self) -> None:
        """Adjust the configured Setup.stdlib, then regenerate the Makefile from it.

        3.11: enable the five modules setup.py used to build, and use the result
        as Setup.local. Every version: CPython's test modules become shared
        libraries (as in a default build); linked in, 3.11's _testinternalcapi
        even breaks the link of Programs/_freeze_module.
        """
        modules_dir = self.tree / "Modules"
        text = (modules_dir / "Setup.stdlib").read_text()
        target = modules_dir / "Setup.stdlib"
        if self.version.minor == 11:
            text, found = setupfile.uncomment(text, set(SETUP_311_EXTRAS))
            if found != set(SETUP_311_EXTRAS):
                raise PyingotError(
                    "CPython 3.11's Modules/Setup.stdlib lacks the lines for "
                    + ", ".join(sorted(set(SETUP_311_EXTRAS) - found)),
                    hint="is it an unmodified CPython 3.11 source tree?",
                )
            target = modules_dir / "Setup.local"
        target.write_text(setupfile.make_shared(text, is_test_module))
        run_logged(
            [
                "sh",
                "Modules/makesetup",
                "-c",
                "Modules/config.c.in",
                "-s",
                "Modules",
                *self._setup_files(),
            ],
            cwd=self.tree,
            log=self.log,
            step="makesetup",
        )
        os.replace(self.tree / "config.c", modules_dir / "config.c")

    def _setup_modules(self) -> dict[str, tuple[SetupModule, bool]]:
        """Every module makesetup will build: name -> (line, required)."""
        modules: dict[str, tuple[SetupModule, bool]] = {}
        for name in self._setup_files():  # 3.11's Modules/Setup enables xxsubtype
            required = name.endswith("Setup.bootstrap")
            for m in setupfile.parse((self.tree / name).read_text()):
                if m.mode == "disabled":
                    continue
                for mod in m.names:
                    modules.setdefault(mod, (m, required))
        return modules

    def _make_vars(self, names: list[str]) -> dict[str, str]:
        """Values of Makefile variables, fully expanded, as make sees them."""
        dump = self.tmp / "pyingot-dump.mk"
        dump.write_text(
            "pyingot-dump:\n\t@:$(foreach v,$(PYINGOT_VARS),$(info PYINGOT $(v)=$($(v))))\n"
        )
        done = tools.run(
            [
                "make",
                "-s",
                "-f",
                "Makefile",
                "-f",
                dump,
                "pyingot-dump",
                f"PYINGOT_VARS={' '.join(names)}",
            ],
            cwd=self.tree,
            env=self.env,
        )
        if done.returncode != 0:
            raise PyingotError(
                f"reading the configured Makefile failed:\n{done.stderr}", log=self.log
            )
        values = {}
        for line in done.stdout.splitlines():
            if line.startswith("PYINGOT "):
                k, _, v = line[len("PYINGOT ") :].partition("=")
                values[k] = " ".join(v.split())
        return values

    def _link_overrides(self, modules: dict[str, tuple[SetupModule, bool]]) -> dict[str, str]:
        """``MODULE_<NAME>_LDFLAGS`` (and 3.11 CFLAGS) values naming static archives."""
        static = {n: m for n, (m, _) in modules.items() if m.mode == "static"}
        var_names = [f"MODULE_{setupfile.variable_name(n)}_LDFLAGS" for n in static]
        values = self._make_vars(var_names)
        overrides: dict[str, str] = {}
        self.links: dict[str, list[Link]] = {}
        self.static_archives: dict[str, Path] = {}
        for name, line in sorted(static.items()):
            var = f"MODULE_{setupfile.variable_name(name)}_LDFLAGS"
            extra = SETUP_311_EXTRAS.get(name) if self.version.minor == 11 else None
            if line.flagless:
                raw = extra.ldflags if extra else values.get(var, "")
            else:
                raw = " ".join(line.libs)
            links, flags = self._static_links(name, raw.split())
            self.links[name] = links
            if line.flagless:
                overrides[var] = " ".join(flags)
                if extra and extra.cflags:
                    cflags = extra.cflags.format(prefix=self.libs.prefix)
                    overrides[f"MODULE_{setupfile.variable_name(name)}_CFLAGS"] = cflags
        return overrides

    def _static_links(self, module: str, tokens: list[str]) -> tuple[list[Link], list[str]]:
        """Resolve ``-lfoo`` and ``foo.a`` tokens to static archives plus glibc libraries."""
        order: list[str] = []
        system: list[str] = []

        def add(lib: str) -> None:
            order.append(lib)
            for dep in STATIC_DEPENDENCIES.get(lib, ()):
                add(dep)

        for tok in tokens:
            if tok in ("-pthread",):
                system.append("pthread")
            elif tok.startswith("-l"):
                lib = tok[2:]
                if lib in GLIBC_LIBRARIES:
                    system.append(lib)
                else:
                    add(lib)
            elif tok.endswith(".a"):
                # A library bundled in CPython's tree (libmpdec, HACL*): prefixed
                # so it never shares a name with a system archive.
                bundled = (self.tree / tok).absolute()
                lib = "cpython_" + bundled.name.removeprefix("lib").removesuffix(".a")
                self.static_archives.setdefault(lib, bundled)
                order.append(lib)
            elif tok.startswith("-L") or not tok:
                continue
            else:
                raise InternalError(
                    f"module {module}: the recipe does not know the link flag {tok!r} "
                    "from CPython's build configuration"
                )
        links, flags = [], []
        for lib in link_order(order):
            path = self.static_archives.get(lib) or self._recipe_archive(lib)
            if path is None:
                raise InternalError(
                    f"module {module} needs lib{lib}.a, which no library recipe builds"
                )
            self.static_archives[lib] = path
            links.append(Link(name=lib, path_static=f"build/lib/lib{lib}.a"))
            flags.append(str(path))
        for lib in dict.fromkeys(system):
            links.append(Link(name=lib, system=True))
            flags.append(f"-l{lib}")
        return links, flags

    def _recipe_archive(self, lib: str) -> Path | None:
        path = self.libs.archive(lib)
        return path if path.is_file() else None

    def _make(self, overrides: dict[str, str]) -> None:
        args = [f"{k}={v}" for k, v in sorted(overrides.items())]

        def compiled() -> str:
            try:
                with self.log.open("rb") as f:
                    n = sum(1 for line in f if b" -c " in line)
            except OSError:
                return ""
            return f"{n} files compiled"

        run_logged(
            ["make", f"-j{self.options.jobs}", *args],
            cwd=self.tree,
            log=self.log,
            env=self.env,
            step="make",
            heartbeat=compiled,
            progress=self.progress,
        )

    def _make_install(self, overrides: dict[str, str]) -> None:
        args = [f"{k}={v}" for k, v in sorted(overrides.items())]
        run_logged(
            ["make", "install", f"DESTDIR={self.out}", *args],
            cwd=self.tree,
            log=self.log,
            env=self.env,
            step="make install",
        )
        self._install_forgotten_test_packages()

    def _install_forgotten_test_packages(self) -> None:
        """Copy test packages that ``make install`` skipped.

        CPython 3.11.0-3.11.3 leave test_sqlite3, test_capi and test_tomllib out
        of the Makefile's TESTSUBDIRS, so their regression tests cannot run from
        the installed tree. Later releases install them; then this copies nothing.
        """
        src = self.tree / "Lib" / "test"
        dest = self.out / "install" / "lib" / f"python{self.ldversion}" / "test"
        for init in sorted(src.rglob("__init__.py")):
            package = init.parent.relative_to(src)
            if package.parts and not (dest / package).exists():
                shutil.copytree(
                    src / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
                )
                with self.log.open("a") as f:
                    f.write(
                        f"pyingot: installed test package test/{package} "
                        "(missing from make install)\n"
                    )

    # -- verification ---------------------------------------------------------

    @property
    def ldversion(self) -> str:
        """``3.13``, or ``3.13t`` free-threaded: CPython's LDVERSION, which names
        the interpreter, ``lib/python3.13t``, ``libpython3.13t.a`` and the config dir."""
        return self.version.major_minor + ("t" if self.options.free_threaded else "")

    @property
    def exe(self) -> Path:
        return self.out / "install" / "bin" / f"python{self.ldversion}"

    def _verify(self, modules: dict[str, tuple[SetupModule, bool]]) -> dict[str, object]:
        static = {n for n, (m, _) in modules.items() if m.mode == "static"}
        return verify.interpreter(self.exe, static, self.log)

    # -- collecting -----------------------------------------------------------

    def _copy(self, src: Path, rel: str) -> str:
        dest = self.out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        return rel

    def _collect(
        self, modules: dict[str, tuple[SetupModule, bool]], facts: dict[str, object]
    ) -> Distribution:
        v = self._make_vars(["LIBRARY_OBJS", "MODOBJS", "LIBS", "SYSLIBS", "MODLIBS"])
        mod_objs = set(v["MODOBJS"].split())
        core_objs = [
            self._copy(self.tree / o, f"build/core/{o}")
            for o in v["LIBRARY_OBJS"].split()
            if o not in mod_objs and o != "Modules/config.o"
        ]
        inittab_source = self._copy(self.tree / "Modules/config.c", "build/core/Modules/config.c")
        inittab_object = self._copy(self.tree / "Modules/config.o", "build/core/Modules/config.o")
        core_links = [
            Link(name=tok[2:], system=True)
            for tok in dict.fromkeys((v["LIBS"] + " " + v["SYSLIBS"]).split())
            if tok.startswith("-l")
        ]
        for lib, path in sorted(self.static_archives.items()):
            copied = self._copy(path, f"build/lib/lib{lib}.a")
            if lib.startswith("cpython_"):
                # CPython's bundled libraries (libmpdec, HACL*) are hidden like
                # the recipe's libraries: executables export only Python's API.
                hide.hide_archive(self.out / copied)
        licenses_dir = self.out / "licenses"
        licenses_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.tree / "LICENSE", licenses_dir / "LICENSE.cpython.txt")
        license_files = self._license_files()

        extensions: dict[str, tuple[ExtensionModule, ...]] = {}
        stdlib_rel = f"install/lib/python{self.ldversion}"
        suffix = str(facts["extension_suffix"])
        for name, (line, required) in sorted(modules.items()):
            if line.mode == "shared":
                shared = f"{stdlib_rel}/lib-dynload/{name}{suffix}"
                extensions[name] = (
                    ExtensionModule(
                        name=name,
                        init_fn=f"PyInit_{name}",
                        required=False,
                        shared_lib=shared if (self.out / shared).exists() else None,
                    ),
                )
                continue
            objs = tuple(
                self._copy(self.tree / o, f"build/extensions/{name}/{o}") for o in line.objects
            )
            links = tuple(self.links.get(name, ()))
            licenses: list[str] = list(
                MODULE_SOURCE_LICENSES.get(name, ()) if self.version.minor >= 12 else ()
            )
            public_domain = False
            paths: list[str] = []
            for link in links:
                if link.system:
                    continue
                lic = self._archive_licenses(link.name)
                if lic is None:
                    public_domain = True
                else:
                    licenses.extend(x for x in lic if x not in licenses)
                if link.name in license_files:
                    paths.append(license_files[link.name])
            extensions[name] = (
                ExtensionModule(
                    name=name,
                    init_fn=f"PyInit_{name}",
                    objs=objs,
                    links=links,
                    licenses=tuple(licenses),
                    license_paths=tuple(dict.fromkeys(paths)),
                    license_public_domain=public_domain,
                    required=required,
                ),
            )

        mm = self.version.major_minor
        paths_abs: dict[str, str] = facts["paths"]  # type: ignore[assignment]
        python_paths = {
            k: str(Path(p).relative_to(self.out))
            for k, p in paths_abs.items()
            if Path(p).is_relative_to(self.out)
        }
        # PBS: python_tag is the interpreter's (cp313), python_abi_tag its ABI (cp313t).
        tag = f"cp{self.version.major}{self.version.minor}"
        abi_tag = tag + ("t" if self.options.free_threaded else "")
        extra = {
            "python_major_minor_version": mm,
            "python_abi_tag": abi_tag,
            "python_platform_tag": "linux_x86_64",
            "python_implementation_cache_tag": facts["cache_tag"],
            "python_implementation_hex_version": facts["hexversion"],
            "python_implementation_name": "cpython",
            "python_implementation_version": facts["implementation_version"],
            "python_paths_abstract": facts["paths_abstract"],
            "python_config_vars": facts["config_vars"],
            "python_suffixes": facts["suffixes"],
            "python_bytecode_magic_number": facts["magic"],
            "python_stdlib_platform_config": str(
                Path(stdlib_rel) / f"config-{self.ldversion}-x86_64-linux-gnu"
            ),
            "python_stdlib_test_packages": _test_packages(self.out / stdlib_rel),
            "python_symbol_visibility": "global-default",
            "python_extension_module_loading": ["builtin", "shared-library"],
            "libpython_link_mode": "static",
            "optimizations": "noopt",
            "crt_features": ["glibc-dynamic", f"glibc-max-symbol-version:{facts['glibc_max']}"],
            "pyingot": {
                "source": self.src.description,
                "source_sha256": self.src.sha256,
                "recipe_version": RECIPE_VERSION,
                "cache_key": self.key,
                "cannot_be_static": {k: v for k, v in CANNOT_BE_STATIC.items()},
                "toolchain": {"zig": self.tc.version, "glibc": self.tc.glibc},
                "libraries": [lib.to_json() for lib in self.libs.libraries],
                "patches": [
                    {"name": p.name, "reason": p.reason, "path": p.path, "sha256": p.digest}
                    for p in patches.selected(self.version.minor, self.options.free_threaded)
                ],
            },
        }
        return Distribution(
            root=self.out,
            format_version=pbs.WRITE_VERSION,
            target_triple=TARGET_TRIPLE,
            python_version=self.version.full,
            python_tag=tag,
            python_exe=f"install/bin/python{self.ldversion}",
            python_paths=python_paths,
            build_options="noopt+static"
            + (f"+{FREE_THREADED}" if self.options.free_threaded else ""),
            object_file_format="elf",
            core_objs=tuple(core_objs),
            core_links=tuple(core_links),
            inittab_object=inittab_object,
            inittab_source=inittab_source,
            inittab_cflags=("-std=c11", "-DNDEBUG", "-DPy_BUILD_CORE"),
            extensions=extensions,
            licenses=("Python-2.0",),
            license_path="licenses/LICENSE.cpython.txt",
            extra=extra,
        )

    def _archive_licenses(self, lib: str) -> tuple[str, ...] | None:
        """SPDX ids of static archive ``lib``; ``None``: public domain."""
        if lib in BUNDLED_LICENSES:
            return BUNDLED_LICENSES[lib]
        owner = self.libs.owner(lib)
        if owner is None:
            raise InternalError(f"lib{lib}.a is linked but no library recipe builds it")
        return None if owner.license is None else (owner.license,)

    def _license_files(self) -> dict[str, str]:
        """Static archive name -> its license text under licenses/."""
        out: dict[str, str] = {}
        for lib in sorted(self.static_archives):
            owner = self.libs.owner(lib)
            if owner is not None and owner.license_files:
                text_src = owner.path / owner.license_files[0]
            elif lib in BUNDLED_LICENSE_FILES:
                text_src = self.tree / BUNDLED_LICENSE_FILES[lib]
            else:
                continue
            rel = f"licenses/LICENSE.{lib}.txt"
            self._copy(text_src.resolve(), rel)
            out[lib] = rel
        return out


def _test_packages(stdlib: Path) -> list[str]:
    found = []
    for init in sorted(stdlib.rglob("__init__.py")):
        rel = init.parent.relative_to(stdlib)
        if rel.parts and rel.parts[0] in ("site-packages", "lib-dynload"):
            continue
        if rel.name in ("test", "tests", "idle_test"):
            found.append(".".join(rel.parts))
    return found
