"""Install an application's dependencies for the TARGET Python, once, into the cache.

pip does the resolving, downloading and building, run by the Python running
pyingot but told to install for the target interpreter (``pip --python``, pip
22.3 and later): pip re-executes itself under the static interpreter, so wheel
tags, environment markers and source builds are those of the target, and a source
distribution compiles against the distribution's own headers. The target
interpreter needs no pip of its own.

Wheels for a newer glibc than the build's floor (``[tool.pyingot] glibc``) are not
candidates: pip imports a ``_manylinux`` module, written for the run, from
``PYTHONPATH`` and asks it which ``manylinux_2_N`` tags the machine supports (PEP
600), in the process running under the target interpreter too. So pip falls back
to an older release with such a wheel, or to the source distribution.

The result is a ``pip install --target`` directory in the user cache, keyed by a
hash of everything that decides what pip installs (:func:`cache_inputs`), so that
a rebuild after an edit does not run pip. The resources stage then reads it like
any other search root, with the ``.dist-info`` directories telling which
distribution each file belongs to.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyingot import cache, names, stripping
from pyingot.config import DEPENDENCIES, DependencySettings
from pyingot.distribution import toolchain
from pyingot.distribution.model import Distribution
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.progress import Progress, run_logged
from pyingot.resources.scan import InstalledDistribution, installed_distributions

#: ``pip --python`` appeared in pip 22.3.
PIP_MINIMUM = (22, 3)
#: The first pip whose wheel tags know the free-threaded ABI (``cp313t``; its
#: vendored packaging 24.1). CPython 3.13's What's New asks for it too.
PIP_FREE_THREADED_MINIMUM = (24, 1)
#: The pip pyingot installs into its cache, once, for free-threaded targets when
#: the Python running pyingot has an older one (pinned: its version is part of
#: every dependency cache key).
PIP_FOR_FREE_THREADED = "25.1.1"
#: Bumped when what an entry holds or how it is made changes. 2: the manifest
#: records each wheel's sha256 and URL (pip's ``--report``), for the SBOM. 3: shared
#: objects are stripped (:func:`pyingot.stripping.strip_shared_objects`).
RECIPE = 3
#: Written last into an entry: its inputs and what pip installed.
MANIFEST = "manifest.json"
#: The ``pip install --target`` directory inside an entry.
SITE = "site"
#: pip's installation report (``pip install --report``), read into the manifest.
REPORT = "pip-report.json"

_WHEEL_NAME = re.compile(
    r"(?P<name>[^-]+)-(?P<version>[^-]+)(?:-(?P<build>\d[^-]*))?"
    r"-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl"
)
_INCLUDE = re.compile(r"\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s-]))(\S+)")


@dataclass(frozen=True)
class Target:
    """The Python that dependencies are installed for."""

    interpreter: Path
    #: ``3.11.2``.
    version: str
    #: The CPython ABI tag of its extension modules (``cp311``; ``cp313t`` free-threaded).
    abi: str
    #: ``x86_64``, as platform tags end.
    machine: str
    #: ``x86_64-unknown-linux-gnu``.
    triple: str
    #: The highest glibc a ``manylinux`` wheel may need (``[tool.pyingot] glibc``);
    #: ``None``: no floor of the build's, the build machine's glibc decides as for pip.
    glibc: GlibcVersion | None = None
    #: The C compiler that built the distribution (its portable toolchain's
    #: ``cc``), for sdists whose build systems do not ask sysconfig (meson);
    #: ``None``: the build machine's.
    cc: Path | None = None

    @classmethod
    def of(cls, dist: Distribution, glibc: GlibcVersion | None = None) -> Target:
        return cls(
            interpreter=dist.path(dist.python_exe),
            version=dist.python_version,
            abi=dist.abi_tag,
            machine=dist.target_triple.partition("-")[0],
            triple=dist.target_triple,
            glibc=glibc,
            cc=tc.tool("cc") if (tc := toolchain.of_distribution(dist)) else None,
        )

    @property
    def major_minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    @property
    def free_threaded(self) -> bool:
        """The free-threaded ABI (PEP 703): its tag ends in ``t``; no ``abi3``."""
        return self.abi.endswith("t")

    def describe(self) -> str:
        major, minor = self.major_minor
        return f"CPython {major}.{minor} ({self.abi}) on Linux {self.machine}"


# --------------------------------------------------------------------------- wheel tags


@dataclass(frozen=True)
class WheelName:
    """A wheel's file name, as the binary distribution format spells it."""

    distribution: str
    version: str
    #: Each a compressed tag set split at ``.`` (``py2.py3`` is two).
    python: tuple[str, ...]
    abi: tuple[str, ...]
    platform: tuple[str, ...]

    @classmethod
    def parse(cls, file_name: str) -> WheelName | None:
        m = _WHEEL_NAME.fullmatch(file_name)
        if m is None:
            return None
        return cls(
            m["name"],
            m["version"],
            tuple(m["python"].split(".")),
            tuple(m["abi"].split(".")),
            tuple(m["platform"].split(".")),
        )

    def tags(self) -> list[str]:
        return [f"{p}-{a}-{pl}" for p in self.python for a in self.abi for pl in self.platform]


def tag_supported(tag: str, target: Target) -> bool:
    """Whether pip running under ``target`` would install a wheel tagged ``tag``:
    :func:`tag_matches`, and a ``manylinux`` tag's glibc not above the target's."""
    return tag_matches(tag, target) and not _above_floor(tag, target)


def _above_floor(tag: str, target: Target) -> GlibcVersion | None:
    """The glibc a ``manylinux`` tag needs, when it is above the target's floor."""
    needs = GlibcVersion.of_platform_tag(tag.rpartition("-")[2])
    if needs is None or target.glibc is None or needs <= target.glibc:
        return None
    return needs


def tag_matches(tag: str, target: Target) -> bool:
    """Whether ``tag`` is for the target's Python, ABI and machine, glibc aside.

    The rules of ``packaging.tags.sys_tags`` for CPython on Linux: ``cp3X-cp3X``
    for the interpreter's own ABI, ``cp3Y-abi3`` for Y ≤ X (not free-threaded),
    ``cp3X-none``, ``py3`` and ``py3Y-none`` for Y ≤ X; a platform that is ``any``
    (not for the two ABI-specific forms) or a ``linux_`` / ``manylinux`` tag of the
    target's machine.
    """
    parts = tag.split("-")
    if len(parts) != 3:
        return False
    python, abi, platform = parts
    major, minor = target.major_minor
    m = re.fullmatch(r"(py|cp)(\d)(\d*)", python)
    if m is None or int(m[2]) != major:
        return False
    py_minor = int(m[3]) if m[3] else None
    if py_minor is not None and py_minor > minor:
        return False
    native = platform != "any" and (
        platform == f"linux_{target.machine}"
        or (platform.startswith("manylinux") and platform.endswith(f"_{target.machine}"))
    )
    if abi == target.abi:
        return python == f"cp{major}{minor}" and native
    if abi == "abi3":
        return m[1] == "cp" and py_minor is not None and not target.free_threaded and native
    if abi == "none":
        if m[1] == "cp":
            return py_minor == minor and (native or platform == "any")
        return native or platform == "any"
    return False


def check_wheel(path: Path, target: Target, *, where: str) -> WheelName:
    """A local wheel's name, after checking that it can be installed for ``target``."""
    name = WheelName.parse(path.name)
    if name is None:
        raise PyingotError(
            f"{where}: {path.name} is not a wheel file name "
            "(<name>-<version>-<python tag>-<abi tag>-<platform tag>.whl)",
            hint="name the wheel as the tool that built it did",
        )
    _check_tags(
        (
            f"{where}: {path.name} is for another Python or platform",
            f"{where}: {path.name} needs a newer glibc than the build's floor",
        ),
        (name.distribution, name.version),
        name.tags(),
        target,
    )
    return name


def _check_tags(
    what: tuple[str, str], package: tuple[str, str], tags: Sequence[str], target: Target
) -> None:
    """A wheel none of whose ``tags`` ``target`` supports stops the build, with
    ``what[0]``; one that would do but for its glibc, with ``what[1]`` and the
    setting to change."""
    if any(tag_supported(t, target) for t in tags):
        return
    name, version = package
    newer = [
        (needs, t) for t in tags if tag_matches(t, target) and (needs := _above_floor(t, target))
    ]
    if newer and target.glibc is not None:
        needs, tag = min(newer)
        raise PyingotError(
            f"{what[1]}: {name} {version} is tagged {tag}, "
            f'for glibc {needs} and later, and [tool.pyingot] glibc is "{target.glibc}"',
            hint=f'raise [tool.pyingot] glibc to "{needs}" (the executable then needs glibc '
            f"{needs} or later where it runs), or use a release of {name} "
            f"with a wheel for {target.glibc.manylinux} or older, or its source distribution",
        )
    raise _wrong_tags(what[0], f"{name} {version}", tags, target)


def _wrong_tags(what: str, package: str, tags: Sequence[str], target: Target) -> PyingotError:
    return PyingotError(
        f"{what}: {package} is tagged {', '.join(tags)}, and this build targets "
        f"{target.describe()}",
        hint=f"use a wheel of it built for {target.abi}"
        f"{'' if target.free_threaded else ' (or abi3)'} on manylinux or linux "
        f"{target.machine}, a pure-Python wheel (py3-none-any), or its source distribution; "
        f"or build for the Python the wheel is for ([tool.pyingot] python)",
    )


# --------------------------------------------------------------------------- installing


@dataclass(frozen=True)
class Origin:
    """Where pip got an installed distribution: its archive's URL and sha256."""

    url: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class InstalledDependencies:
    """The dependencies installed for one target: a cache entry."""

    #: The ``pip install --target`` directory.
    site: Path
    distributions: tuple[InstalledDistribution, ...]
    #: Found in the cache rather than installed by this build.
    reused: bool
    #: By normalized distribution name: the archive pip installed it from.
    origins: Mapping[str, Origin] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(d.describe() for d in self.distributions) or "nothing"


def pip_version() -> str:
    """The version of the pip that ``python -m pip`` runs for the Python running pyingot."""
    try:
        version = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        raise PyingotError(
            f"installing dependencies needs pip, and the Python running pyingot "
            f"({sys.executable}) has none",
            hint=f"install it: {sys.executable} -m ensurepip, or your system's python3-pip",
        ) from None
    if _version_numbers(version) < PIP_MINIMUM:
        raise PyingotError(
            f"installing dependencies needs pip {'.'.join(map(str, PIP_MINIMUM))} or later "
            f"(for pip --python); the Python running pyingot has pip {version}",
            hint=f"upgrade it: {sys.executable} -m pip install --upgrade pip",
        )
    return version


def _version_numbers(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:2])


@dataclass(frozen=True)
class Pip:
    """The pip that installs a target's dependencies, run as ``sys.executable -m pip``."""

    version: str
    #: A directory holding a pip pyingot installed, put first on ``PYTHONPATH``;
    #: ``None``: the running Python's own pip.
    path: Path | None = None


def pip_for(target: Target, progress: Progress) -> Pip:
    """The running Python's pip; for a free-threaded target older than
    :data:`PIP_FREE_THREADED_MINIMUM`, whose tags would refuse every ``cp313t``
    wheel, pip :data:`PIP_FOR_FREE_THREADED` installed once into the cache."""
    version = pip_version()
    if not target.free_threaded or _version_numbers(version) >= PIP_FREE_THREADED_MINIMUM:
        return Pip(version)
    final = cache.cache_root() / "pip" / PIP_FOR_FREE_THREADED
    if (final / "pip" / "__init__.py").is_file():
        return Pip(PIP_FOR_FREE_THREADED, final)
    progress.note(
        f"pip {version} does not know the free-threaded wheel tags ({target.abi}): "
        f"installing pip {PIP_FOR_FREE_THREADED} into pyingot's cache (once)"
    )
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"pip-{PIP_FOR_FREE_THREADED}.log"
    log.write_text("")
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if (final / "pip" / "__init__.py").is_file():
            return Pip(PIP_FOR_FREE_THREADED, final)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--target",
            str(tmp),
            "--no-deps",
            "--only-binary=:all:",
            "--no-compile",
            "--disable-pip-version-check",
            "--no-input",
            f"pip=={PIP_FOR_FREE_THREADED}",
        ]
        env = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}
        run_logged(cmd, cwd=tmp, log=log, step=f"installing pip {PIP_FOR_FREE_THREADED}", env=env)
        shutil.rmtree(tmp / "bin", ignore_errors=True)
        cache.commit(tmp, final)
    return Pip(PIP_FOR_FREE_THREADED, final)


def cache_inputs(
    settings: DependencySettings,
    target: Target,
    *,
    pip: str,
    environ: Mapping[str, str],
) -> dict[str, object]:
    """Everything that decides what pip installs, as the cache key hashes it.

    Files count by content, not by path: the requirements file and those it
    includes (``-r``, ``-c``), and the local wheels (with their file names, which
    carry their tags). ``PIP_*`` variables configure pip like its options.
    """
    files = []
    if settings.requirements_file is not None:
        files = [cache.file_sha256(p) for p in _requirement_files(settings.requirements_file)]
    return {
        "recipe": RECIPE,
        "requirements": list(settings.requirements),
        "requirement_files": files,
        "wheels": [[w.name, cache.file_sha256(w)] for w in settings.wheels],
        "python": {"version": target.version, "abi": target.abi, "triple": target.triple},
        "glibc": None if target.glibc is None else str(target.glibc),
        # What compiles sdists: the portable toolchain, or the build machine's.
        "cc": str(target.cc) if target.cc else "host",
        "pip": pip,
        # The versions uv.lock pins (name==version lines), when the project has one.
        "locked": list(settings.locked),
        "environment": {k: v for k, v in sorted(environ.items()) if k.startswith("PIP_")},
    }


def _requirement_files(path: Path, seen: tuple[Path, ...] = ()) -> list[Path]:
    """``path`` and the files it includes with ``-r`` / ``-c``, depth first."""
    path = path.resolve()
    if path in seen:
        return []
    out = [path]
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise PyingotError(f"cannot read the requirements file {path} ({e.strerror})") from e
    for line in lines:
        m = _INCLUDE.match(line)
        if m is not None:
            included = path.parent / m[1]
            if included.is_file():
                out += _requirement_files(included, (*seen, path))
    return out


def entry_path(key: str, target: Target) -> Path:
    major, minor = target.major_minor
    # cp313t: the free-threaded ABI (the key differs too, by the ABI among its inputs).
    flags = "t" if target.abi.endswith("t") else ""
    return cache.cache_root() / "dependencies" / f"python{major}.{minor}{flags}-{key[:16]}"


def install(
    settings: DependencySettings,
    target: Target,
    *,
    root: Path,
    pyproject: Path,
    progress: Progress,
) -> InstalledDependencies | None:
    """Install ``settings``' requirements for ``target``, or find them in the cache.

    ``None`` when there is nothing to install. pip runs in ``root`` (the project
    directory), where relative paths in a requirements file point. A failure leaves
    no cache entry and raises :class:`PyingotError` with pip's own error line.
    """
    if settings.empty:
        if settings.on_disk:
            check_on_disk(settings.on_disk, (), pyproject)
        return None
    for wheel in settings.wheels:
        check_wheel(wheel, target, where=f"{pyproject}: [{DEPENDENCIES}] wheels")
    runner = pip_for(target, progress)
    pip = runner.version
    key = cache.input_hash(cache_inputs(settings, target, pip=pip, environ=os.environ))
    final = entry_path(key, target)
    if (final / MANIFEST).is_file():
        return _installed(final, settings, pyproject, reused=True)
    count = len(settings.requirements) + len(settings.wheels)
    what = [f"{count} requirement{'s' if count != 1 else ''}"] if count else []
    if settings.requirements_file is not None:
        what.append(os.path.relpath(settings.requirements_file, root))
    progress.note(
        f"installing {' and '.join(what)} for {target.describe()} with pip {pip} (cached after)"
    )
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"dependencies-{key[:12]}.log"
    log.write_text("")
    started = time.monotonic()
    with (
        cache.entry_lock(final),
        cache.staging_dir(final) as tmp,
        tempfile.TemporaryDirectory(prefix="pyingot-pip-") as hook,
    ):
        if (final / MANIFEST).is_file():
            return _installed(final, settings, pyproject, reused=True)
        site = tmp / SITE
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(target.interpreter),
            "install",
            "--target",
            str(site),
            "--no-compile",
            "--disable-pip-version-check",
            "--no-input",
            "--prefer-binary",
            "--no-warn-script-location",
            "--report",
            str(tmp / REPORT),
        ]
        if settings.requirements_file is not None:
            cmd += ["-r", str(settings.requirements_file)]
        if settings.locked:
            # Constraints, not requirements: the lock pins every package of the
            # project's resolution; pip installs those the requirements need.
            constraints = Path(hook) / "uv-lock-constraints.txt"
            constraints.write_text("".join(f"{pin}\n" for pin in settings.locked))
            cmd += ["-c", str(constraints)]
        cmd += [*settings.requirements, *(str(w) for w in settings.wheels)]
        env = pip_environment(target, Path(hook), runner)
        try:
            run_logged(
                cmd,
                cwd=root,
                log=log,
                step="installing the dependencies (pip install)",
                env=env,
                progress=progress,
                interval=10,
            )
        except PyingotError as e:
            raise _pip_failed(e, log, target) from None
        dists = installed_distributions(site)
        check_installed_tags(dists, target)
        count, saved = stripping.strip_shared_objects(dists)
        if saved:
            progress.note(
                f"stripped the symbol tables of {count} shared objects ({saved / 2**20:.1f} MiB)"
            )
        origins = report_origins(tmp / REPORT, settings.wheels)
        manifest = {
            "inputs": cache_inputs(settings, target, pip=pip, environ=os.environ),
            "distributions": [
                {
                    "name": d.name,
                    "version": d.version,
                    **_origin_json(origins.get(names.normalize(d.name), Origin())),
                }
                for d in dists
            ],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        cache.commit(tmp, final)
    installed = _installed(final, settings, pyproject, reused=False)
    progress.note(f"installed in {time.monotonic() - started:.1f} s")
    return installed


def pip_environment(target: Target, hook: Path, runner: Pip | None = None) -> dict[str, str]:
    """The environment pip runs in: this one, with the ``_manylinux`` module for the
    target's glibc (:func:`manylinux_hook`) written into ``hook`` and put first on
    ``PYTHONPATH``, which the target interpreter pip re-executes under inherits;
    and a pip pyingot installed (:func:`pip_for`) first of all."""
    env = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore", "PIP_NO_INPUT": "1"}
    if target.cc is not None:
        env["CC"] = str(target.cc)
    first = []
    if runner is not None and runner.path is not None:
        first.append(str(runner.path))
    if target.glibc is not None:
        manylinux_hook(hook, target.glibc)
        first.append(str(hook))
    if first:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [*first, env.get("PYTHONPATH")]))
    return env


def manylinux_hook(directory: Path, glibc: GlibcVersion) -> Path:
    """``directory/_manylinux.py``: PEP 600's hook, by which a machine declares the
    ``manylinux_2_N`` tags it supports: those up to ``glibc``. (pip still refuses
    tags above the glibc it runs with; the hook can only lower that.)"""
    path = directory / "_manylinux.py"
    path.write_text(
        f'"""Written by pyingot for pip: wheels for glibc {glibc} and older (PEP 600)."""\n\n\n'
        "def manylinux_compatible(tag_major, tag_minor, tag_arch):\n"
        f"    return (tag_major, tag_minor) <= {glibc.parts[:2]!r}\n"
    )
    return path


def _installed(
    final: Path, settings: DependencySettings, pyproject: Path, *, reused: bool
) -> InstalledDependencies:
    site = final / SITE
    dists = installed_distributions(site)
    check_on_disk(settings.on_disk, dists, pyproject)
    manifest = json.loads((final / MANIFEST).read_text())
    origins = {
        names.normalize(d["name"]): Origin(d.get("url"), d.get("sha256"))
        for d in manifest.get("distributions", ())
    }
    return InstalledDependencies(site, dists, reused, origins)


def _origin_json(origin: Origin) -> dict[str, str]:
    return {k: v for k, v in (("url", origin.url), ("sha256", origin.sha256)) if v}


def report_origins(report: Path, wheels: Sequence[Path] = ()) -> dict[str, Origin]:
    """Each installed distribution's archive (URL and sha256), by normalized name,
    from pip's installation report (format version 1). A local wheel whose hash pip
    did not record is hashed here; a distribution the report lacks has no entry."""
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return {}
    local = {w.resolve().as_uri(): w for w in wheels}
    out: dict[str, Origin] = {}
    for item in data.get("install", ()):
        name = item.get("metadata", {}).get("name")
        info = item.get("download_info", {})
        url = info.get("url")
        if not isinstance(name, str) or not isinstance(url, str):
            continue
        archive = info.get("archive_info", {})
        sha256 = archive.get("hashes", {}).get("sha256")
        if sha256 is None and str(archive.get("hash", "")).startswith("sha256="):
            sha256 = archive["hash"].partition("=")[2]
        if sha256 is None and url in local:
            sha256 = cache.file_sha256(local[url])
        if url.startswith("file:"):
            url = None  # a path on the build machine says nothing to a reader of the SBOM
        out[names.normalize(name)] = Origin(url, sha256)
    return out


def check_on_disk(
    names: Sequence[str], dists: Sequence[InstalledDistribution], pyproject: Path
) -> None:
    """Each ``on-disk`` name must be an installed distribution."""
    known = {d.key for d in dists}
    for name in names:
        if name not in known:
            installed = ", ".join(d.name for d in dists)
            raise PyingotError(
                f"{pyproject}: [{DEPENDENCIES}] on-disk: {json.dumps(name)} is not an "
                "installed dependency",
                hint=f"the installed distributions are: {installed}"
                if installed
                else "nothing is installed: add it to [project] dependencies, "
                "requirements or wheels",
            )


def check_installed_tags(dists: Sequence[InstalledDistribution], target: Target) -> None:
    """pip only installs wheels it supports; this holds the result to the same rules."""
    for d in dists:
        if d.tags:
            what = "a dependency was installed from a wheel for"
            _check_tags(
                (f"{what} another Python or platform", f"{what} a newer glibc than the floor"),
                (d.name, d.version),
                d.tags,
                target,
            )


def _pip_failed(error: PyingotError, log: Path, target: Target) -> PyingotError:
    """pip's own ``ERROR:`` line is the message a user can act on."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    errors = [line[len("ERROR: ") :].strip() for line in lines if line.startswith("ERROR: ")]
    if not errors:
        return error
    return PyingotError(
        f"pip could not install the dependencies: {errors[-1]}",
        hint="\n".join(
            [
                *errors[:-1],
                "check the requirement's name and version; a dependency needs a wheel for "
                f"{target.describe()}, or a source distribution that builds for it",
            ]
        ),
        log=log,
    )
