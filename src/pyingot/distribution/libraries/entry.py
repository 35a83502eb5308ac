"""A built library's cache entry, as the rest of the build sees it.

``build.py`` makes entries; this module names where they live and reads the
facts their ``BUILD.json`` records (what a distribution's ``PYTHON.json`` and
SBOM say of the libraries linked in).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache

#: What ``.pc`` files of an entry say instead of the install prefix: the entry
#: is relocatable.
PC_PREFIX = "${pcfiledir}/../.."


def entries_dir() -> Path:
    return cache.cache_root() / "libraries"


@dataclass(frozen=True)
class BuiltLibrary:
    """A library's cache entry and the facts a distribution records about it."""

    name: str
    version: str
    debian_package: str
    debian_version: str
    #: SPDX id; ``None``: public domain.
    license: str | None
    key: str
    path: Path
    #: Source file name -> sha256.
    sources: Mapping[str, str]
    #: Archive file name (``libssl.a``) -> sha256, after hiding.
    archives: Mapping[str, str]
    pkg_config: tuple[str, ...]
    #: Licence files, relative to the entry.
    license_files: tuple[str, ...]
    #: Seconds the build took (0 for one found in the cache when first recorded).
    build_seconds: float

    @property
    def archive_names(self) -> tuple[str, ...]:
        """The ``-l`` names of the archives (``ssl``, ``crypto``)."""
        return tuple(a.removeprefix("lib").removesuffix(".a") for a in sorted(self.archives))

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "debian_package": self.debian_package,
            "debian_version": self.debian_version,
            "license": self.license,
            "key": self.key,
            "sources": dict(self.sources),
            "archives": dict(self.archives),
            "pkg_config": list(self.pkg_config),
            "license_files": list(self.license_files),
            "build_seconds": round(self.build_seconds, 1),
        }

    @classmethod
    def load(cls, entry: Path) -> BuiltLibrary:
        data = json.loads((entry / "BUILD.json").read_text())
        return cls(
            name=data["name"],
            version=data["version"],
            debian_package=data["debian_package"],
            debian_version=data["debian_version"],
            license=data["license"],
            key=data["key"],
            path=entry,
            sources=data["sources"],
            archives=data["archives"],
            pkg_config=tuple(data["pkg_config"]),
            license_files=tuple(data["license_files"]),
            build_seconds=float(data["build_seconds"]),
        )
