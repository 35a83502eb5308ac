"""Where a CPython source comes from: a tarball, an unpacked tree, or Debian.

``debian:python3.X`` fetches the upstream tarball of Debian's source package
with ``apt-get source --download-only``, which needs a ``deb-src`` entry in the
apt sources; it is the path that works offline here, where only the package
registries are reachable. A python.org tarball works anywhere it can be
downloaded: pass its path.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution.recipe import SUPPORTED_MINORS
from pyingot.errors import PyingotError

DEBIAN_PREFIX = "debian:"

DEB_SRC_HINT = """add a deb-src entry for the Debian release that has it, then update apt:
  cat > /etc/apt/sources.list.d/pyingot-src.sources <<EOF
  Types: deb-src
  URIs: http://deb.debian.org/debian
  Suites: bookworm trixie
  Components: main
  Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
  EOF
  apt-get update
(bookworm has python3.11, trixie python3.13; scripts/setup-system does this)"""

_TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar")


@dataclass(frozen=True)
class ResolvedSource:
    """A CPython source on local disk, identified by the hash of its content."""

    path: Path
    sha256: str
    description: str

    @property
    def is_tarball(self) -> bool:
        return self.path.is_file()


def resolve(spec: str) -> ResolvedSource:
    """Turn a ``--source`` value into a local tarball or tree."""
    if spec.startswith(DEBIAN_PREFIX):
        return _debian(spec[len(DEBIAN_PREFIX) :])
    path = Path(spec).expanduser().absolute()
    if not path.exists():
        raise PyingotError(
            f"CPython source {spec} does not exist",
            hint="pass a CPython source tarball or unpacked tree, "
            "or debian:python3.11 / debian:python3.13",
        )
    if path.is_dir():
        return ResolvedSource(path, _tree_sha256(path), str(path))
    if not path.name.endswith(_TARBALL_SUFFIXES):
        raise PyingotError(
            f"CPython source {path} is neither a directory nor a tarball "
            f"({', '.join(_TARBALL_SUFFIXES)})",
        )
    return ResolvedSource(path, cache.file_sha256(path), str(path))


def _tree_sha256(root: Path) -> str:
    """Content hash of an unpacked tree (paths and bytes, in sorted order)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in {".git", "__pycache__"})
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if p.is_symlink() or not p.is_file():
                continue
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes())
    return h.hexdigest()


def _debian(package: str) -> ResolvedSource:
    if not re.fullmatch(r"python3\.\d+", package):
        raise PyingotError(
            f"'{DEBIAN_PREFIX}{package}' is not a CPython source package name",
            hint="use debian:python3.11 or debian:python3.13",
        )
    version = _debian_source_version(package)
    entry = cache.cache_root() / "sources" / "debian" / f"{package}_{version}"
    tarball = _orig_tarball(entry)
    if tarball is None:
        with cache.entry_lock(entry), cache.staging_dir(entry) as tmp:
            tarball = _orig_tarball(entry)
            if tarball is None:
                done = tools.run(
                    ["apt-get", "source", "--download-only", f"{package}={version}"], cwd=tmp
                )
                if done.returncode != 0 or _orig_tarball(tmp) is None:
                    raise PyingotError(
                        f"apt-get could not download the source of {package} {version}:\n"
                        + done.stderr.strip(),
                        hint="check the network access to the Debian mirror, then retry",
                    )
                cache.commit(tmp, entry)
                tarball = _orig_tarball(entry)
    assert tarball is not None
    return ResolvedSource(tarball, cache.file_sha256(tarball), f"Debian {package} {version}")


def _orig_tarball(directory: Path) -> Path | None:
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.glob("*.orig.tar.*") if not p.name.endswith(".asc"))
    return found[0] if found else None


def _debian_source_version(package: str) -> str:
    done = tools.run(["apt-cache", "showsrc", "--only-source", package])
    versions = re.findall(r"^Version:\s*(\S+)", done.stdout, flags=re.M)
    if not versions:
        raise PyingotError(
            f"Debian's apt sources on this machine have no source package {package}",
            hint=DEB_SRC_HINT,
        )
    best: str = versions[0]
    for v in versions[1:]:
        newer = tools.run(["dpkg", "--compare-versions", v, "gt", best])
        if newer.returncode == 0:
            best = v
    return best


@dataclass(frozen=True)
class CPythonVersion:
    major: int
    minor: int
    micro: int
    full: str

    @property
    def major_minor(self) -> str:
        return f"{self.major}.{self.minor}"


def read_version(tree: Path) -> CPythonVersion:
    """The version a CPython source tree declares (Include/patchlevel.h)."""
    header = tree / "Include" / "patchlevel.h"
    try:
        text = header.read_text(errors="replace")
    except OSError as e:
        raise PyingotError(
            f"{tree} does not look like a CPython source tree: {header.name} is missing",
            hint="pass the top directory of a CPython source (the one holding configure)",
        ) from e
    m = re.search(r'#define\s+PY_VERSION\s+"((\d+)\.(\d+)\.(\d+)[^"]*)"', text)
    if not m:
        raise PyingotError(f"{header}: no PY_VERSION definition found")
    version = CPythonVersion(int(m[2]), int(m[3]), int(m[4]), m[1])
    if version.major != 3 or version.minor not in SUPPORTED_MINORS:
        supported = ", ".join(f"3.{m}" for m in SUPPORTED_MINORS)
        raise PyingotError(
            f"CPython {version.full} is not supported (pyingot builds {supported})",
            hint="use a source of a supported version",
        )
    return version


def unpack(source: ResolvedSource, into: Path) -> Path:
    """Unpack a tarball, or copy a tree, into ``into``; return the source tree.

    A tree is copied because CPython builds in its source directory and the
    user's tree must stay as it was.
    """
    import tarfile  # here, not at the top: builds that unpack nothing import this module

    if not source.is_tarball:
        if not (source.path / "configure").exists():
            raise PyingotError(
                f"{source.path} does not look like a CPython source tree: no configure script",
                hint="pass the top directory of a CPython source",
            )
        tree = into / source.path.name
        shutil.copytree(
            source.path, tree, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__")
        )
        return tree
    try:
        with tarfile.open(source.path) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise PyingotError(
            f"cannot unpack CPython source tarball {source.path}: {e}",
            hint="the tarball is damaged or not a tarball; download it again",
        ) from e
    entries = [p for p in into.iterdir() if p.is_dir()]
    if len(entries) == 1 and (entries[0] / "configure").exists():
        return entries[0]
    if (into / "configure").exists():
        return into
    raise PyingotError(
        f"{source.path} does not look like a CPython source tarball: no top-level configure",
        hint="use a CPython source release tarball (Python-3.X.Y.tar.xz)",
    )
