"""The software bill of materials of an executable: a CycloneDX 1.6 JSON document.

A single executable is a black box to SBOM scanners, so the build writes down
what went into it, from the records each stage already keeps:

- CPython and the static libraries linked into the stub: the distribution's
  ``PYTHON.json`` (pyingot's ``libraries``: name, version, license, Debian source
  package and the sha256 of each source file). Only the libraries that the linked
  extension modules use are listed; those CPython bundles (``cpython_mpdec``...)
  are listed under CPython with their licenses.
- Each distribution from the dependency install that is shipped (embedded or on
  disk): name, version and license from its ``.dist-info/METADATA``, the wheel's
  URL and sha256 from pip's report (``dependencies.Origin``).
- Each shared library embedded: a wheel's bundled library under that wheel, a
  library from the build machine with its system package.
- pyingot itself, as the tool (``metadata.tools``).

The same document goes beside the executable (``dist/<name>.cdx.json``) and into
its payload (META ``sbom``), so ``pyingot inspect --sbom`` recovers it from the
file alone. It is reproducible: no timestamp unless ``SOURCE_DATE_EPOCH`` is set,
and a serial number derived from the content.
"""

from __future__ import annotations

import datetime
import email.parser
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from pyingot import __version__, digests, names
from pyingot.dependencies import InstalledDependencies, Origin
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.distribution.recipe import BUNDLED_LICENSES
from pyingot.resources.model import ResourceSet, SharedLibraryResource
from pyingot.stub.runtime import Crate

SPEC_VERSION = "1.6"
#: The file beside the executable: ``dist/<name>`` + this.
SUFFIX = ".cdx.json"

Json = dict[str, Any]

#: Trove license classifiers (the last part) -> SPDX ids, for distributions whose
#: metadata has neither ``License-Expression`` nor an SPDX ``License`` field.
_CLASSIFIERS = {
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD-3-Clause",
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
    "The Unlicense (Unlicense)": "Unlicense",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "Zope Public License": "ZPL-2.1",
    "zlib/libpng License": "Zlib",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
}


def licenses(text: str | None) -> list[Json]:
    """A CycloneDX ``licenses`` array for a license as a package states it: an SPDX
    id, an SPDX expression, or (anything else) a name."""
    if not text or not text.strip():
        return []
    text = text.strip()
    try:
        canonical = canonicalize_license_expression(text)
    except InvalidLicenseExpression:
        first = text.splitlines()[0].strip()
        return [{"license": {"name": first[:200]}}]
    if re.fullmatch(r"[A-Za-z0-9.+-]+", canonical) and not canonical.startswith("LicenseRef"):
        return [{"license": {"id": canonical}}]
    return [{"expression": canonical}]


def distribution_license(metadata: Path) -> str | None:
    """What a ``.dist-info/METADATA`` file says the license is: ``License-Expression``
    (PEP 639), else an SPDX ``License`` field, else the license classifiers."""
    try:
        message = email.parser.BytesParser().parsebytes(metadata.read_bytes(), headersonly=True)
    except OSError:
        return None
    expression = message.get("License-Expression")
    if expression:
        return str(expression)
    field = str(message.get("License") or "").strip()
    if field and "\n" not in field:
        try:
            return canonicalize_license_expression(field)
        except InvalidLicenseExpression:
            pass
    classified = [
        _CLASSIFIERS[c.rpartition(" :: ")[2]]
        for c in message.get_all("Classifier") or ()
        if c.startswith("License ::") and c.rpartition(" :: ")[2] in _CLASSIFIERS
    ]
    if classified:
        return " OR ".join(sorted(set(classified)))
    return field.splitlines()[0] if field else None


def _purl_version(version: str) -> str:
    """A purl name or version: percent-encoded (``+`` and ``:`` too), as the purl spec asks."""
    return quote(version, safe=".-_~")


def _sha256(hex_digest: str | None) -> list[Json]:
    return [{"alg": "SHA-256", "content": hex_digest}] if hex_digest else []


def _debian_pool(package: str, file: str) -> str:
    prefix = package[:4] if package.startswith("lib") else package[0]
    return f"https://deb.debian.org/debian/pool/main/{prefix}/{package}/{file}"


def _cpython(dist: Distribution, selected: Mapping[str, ExtensionModule]) -> Json:
    own = dist.extra.get("pyingot") or {}
    component: Json = {
        "type": "framework",
        "bom-ref": "cpython",
        "name": "cpython",
        "version": dist.python_version,
        "licenses": licenses(" AND ".join(dist.licenses or ())),
        "purl": f"pkg:generic/cpython@{_purl_version(dist.python_version)}",
    }
    source = str(own.get("source", ""))
    debian = re.fullmatch(r"Debian (python3\.\d+) (\S+)", source)
    if debian:
        component["purl"] = f"pkg:deb/debian/{debian[1]}@{_purl_version(debian[2])}?arch=source"
    properties = [{"name": "pyingot:source", "value": source}] if source else []
    if own.get("source_sha256"):
        properties.append({"name": "pyingot:source_sha256", "value": own["source_sha256"]})
    if properties:
        component["properties"] = properties
    applied = [p for p in own.get("patches") or () if isinstance(p, dict)]
    if applied:
        # Fixes pyingot makes to CPython's sources (distribution/patches.py).
        component["pedigree"] = {
            "patches": [
                {
                    "type": "unofficial",
                    "resolves": [
                        {"type": "defect", "name": str(p["name"]), "description": str(p["reason"])}
                    ],
                }
                for p in applied
            ]
        }
    bundled = sorted(
        {
            link.name
            for ext in selected.values()
            for link in ext.links
            if link.name.startswith("cpython_")
        }
    )
    if bundled:
        component["components"] = [
            {
                "type": "library",
                "bom-ref": f"cpython:{name}",
                "name": name.removeprefix("cpython_"),
                "licenses": licenses(" AND ".join(BUNDLED_LICENSES.get(name, ()))),
                "description": "bundled in CPython's source tree",
            }
            for name in bundled
        ]
    return component


def _static_libraries(dist: Distribution, selected: Mapping[str, ExtensionModule]) -> list[Json]:
    """The libraries of the distribution's recipe that a linked module uses."""
    own = dist.extra.get("pyingot") or {}
    linked = {link.name for ext in selected.values() for link in ext.links}
    linked |= {link.name for link in dist.core_links}
    out = []
    for lib in own.get("libraries", ()):
        archives = {a.removeprefix("lib").removesuffix(".a") for a in lib.get("archives", {})}
        if not archives & linked:
            continue
        component: Json = {
            "type": "library",
            "bom-ref": f"lib:{lib['name']}",
            "name": lib["name"],
            "version": lib["version"],
        }
        if lib.get("license"):
            component["licenses"] = licenses(lib["license"])
        else:
            component["licenses"] = [{"license": {"name": "public domain"}}]
        package, version = lib.get("debian_package"), lib.get("debian_version")
        if package and version:
            component["purl"] = (
                f"pkg:deb/debian/{_purl_version(package)}@{_purl_version(version)}?arch=source"
            )
            component["externalReferences"] = [
                {
                    "type": "source-distribution",
                    "url": _debian_pool(package, file),
                    "hashes": _sha256(sha256),
                }
                for file, sha256 in sorted(lib.get("sources", {}).items())
            ]
        out.append(component)
    return out


def _shared_library(lib: SharedLibraryResource) -> Json:
    component: Json = {
        "type": "library",
        "bom-ref": f"so:{lib.name}",
        "name": lib.name,
        "hashes": _sha256(digests.sha256(lib.data)),
    }
    if lib.license:
        component["licenses"] = licenses(lib.license)
    system = re.fullmatch(r"(?:(\S+) )?package (\S+) (\S+)", lib.distribution or "")
    if lib.from_system and system:
        os_name = (system[1] or "debian").lower()
        component["version"] = system[3]
        component["purl"] = (
            f"pkg:deb/{os_name}/{_purl_version(system[2])}@{_purl_version(system[3])}"
        )
        component["description"] = f"from the build machine's {lib.distribution}"
    elif lib.from_system:
        component["description"] = "from the build machine's system libraries"
    return component


def _python_distributions(
    installed: InstalledDependencies | None,
    shipped: set[str],
    libraries: Iterable[tuple[str, Json]],
) -> list[Json]:
    if installed is None:
        return []
    bundled: dict[str, list[Json]] = {}
    for owner, lib in libraries:
        bundled.setdefault(owner, []).append(lib)
    out = []
    for d in installed.distributions:
        key = names.normalize(d.name)
        if key not in shipped:
            continue
        origin = installed.origins.get(key, Origin())
        component: Json = {
            "type": "library",
            "bom-ref": f"pypi:{key}",
            "name": d.name,
            "version": d.version,
            "purl": f"pkg:pypi/{key}@{_purl_version(d.version)}",
            "licenses": licenses(distribution_license(d.root / d.dist_info / "METADATA")),
            "hashes": _sha256(origin.sha256),
        }
        if origin.url:
            component["externalReferences"] = [
                {"type": "distribution", "url": origin.url, "hashes": _sha256(origin.sha256)}
            ]
        if key in bundled:
            component["components"] = bundled[key]
        out.append(component)
    return out


def document(
    *,
    name: str,
    version: str | None,
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    installed: InstalledDependencies | None,
    resources: ResourceSet,
    crates: Sequence[Crate] = (),
) -> Json:
    """The CycloneDX 1.6 document of an executable built from these inputs."""
    shipped = {names.normalize(m.distribution) for m in resources.metadata if m.distribution}
    shipped |= {names.normalize(n) for n in resources.on_disk_distributions}
    wheel_libraries: list[tuple[str, Json]] = []
    system_libraries: list[Json] = []
    for lib in sorted(resources.shared_libraries, key=lambda x: x.name):
        owner = names.normalize(lib.distribution) if lib.distribution else None
        if not lib.from_system and owner in shipped and owner is not None:
            wheel_libraries.append((owner, _shared_library(lib)))
        else:
            system_libraries.append(_shared_library(lib))
    static = _static_libraries(dist, selected)
    python_dists = _python_distributions(installed, shipped, wheel_libraries)
    app: Json = {"type": "application", "bom-ref": "application", "name": name}
    if version:
        app["version"] = version
    metadata: Json = {
        "tools": {
            "components": [
                {
                    "type": "application",
                    "name": "pyingot",
                    "version": __version__,
                    "purl": f"pkg:pypi/pyingot@{_purl_version(__version__)}",
                }
            ]
        },
        "component": app,
    }
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        when = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
        metadata = {"timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), **metadata}
    runtime = [_crate(c) for c in crates]
    components = [
        _clean(c)
        for c in (_cpython(dist, selected), *static, *python_dists, *system_libraries, *runtime)
    ]
    dependencies = [
        {
            "ref": "application",
            "dependsOn": ["cpython"]
            + [c["bom-ref"] for c in python_dists]
            + [c["bom-ref"] for c in system_libraries]
            + [c["bom-ref"] for c in runtime],
        },
        {"ref": "cpython", "dependsOn": [c["bom-ref"] for c in static]},
    ]
    body: Json = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    }
    # Reproducible: the same contents give the same serial number.
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "pyingot:" + dumps(body))
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial.urn,
        **{k: v for k, v in body.items() if k not in ("bomFormat", "specVersion")},
    }


#: Crates of the runtime that compile a C library from the sources they carry, whose
#: version names after "+" (``1.11.1+lz4-1.10.0``): the library and its license.
_BUNDLED_C: Final = {"lz4-sys": ("lz4", "BSD-2-Clause")}


def _crate(crate: Crate) -> Json:
    """A Rust crate compiled into pyingot's runtime, which every executable links,
    with the C library it compiles from its own sources, if any."""
    component: Json = {
        "type": "library",
        "bom-ref": f"cargo:{crate.name}@{crate.version}",
        "name": crate.name,
        "version": crate.version,
        "licenses": licenses(crate.license),
        "description": "Rust, compiled into pyingot's runtime",
    }
    if crate.name != "rust-std":
        component["purl"] = f"pkg:cargo/{crate.name}@{_purl_version(crate.version)}"
    bundled = _BUNDLED_C.get(crate.name)
    _, plus, build = crate.version.partition("+")
    library, dash, version = build.partition("-")
    if bundled and plus and dash and library == bundled[0]:
        component["components"] = [
            {
                "type": "library",
                "bom-ref": f"cargo:{crate.name}@{crate.version}:{library}",
                "name": library,
                "version": version,
                "licenses": licenses(bundled[1]),
                "description": f"C, compiled from {crate.name}'s copy of its sources",
            }
        ]
    return component


def _clean(component: Json) -> Json:
    """``component`` without empty lists (no hash or license known), recursively."""
    out: Json = {}
    for key, value in component.items():
        if isinstance(value, list):
            value = [_clean(v) if isinstance(v, dict) else v for v in value]
            if not value:
                continue
        out[key] = value
    return out


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as written: indented, keys in a fixed order, ending in a newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def path_for(executable: Path) -> Path:
    """Where the document of ``executable`` goes: ``dist/<name>.cdx.json``."""
    return executable.with_name(executable.name + SUFFIX)
