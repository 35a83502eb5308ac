"""The SBOM (pyingot.sbom): CycloneDX 1.6, validated with cyclonedx-python-lib's schema.

The end-to-end half (a real build of the requests example, and ``inspect --sbom``)
is tests/end_to_end/test_sbom.py.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pyingot import sbom
from pyingot.dependencies import InstalledDependencies, Origin, report_origins
from pyingot.distribution.model import Distribution, ExtensionModule, Link
from pyingot.resources.model import MetadataResource, ResourceSet, SharedLibraryResource
from pyingot.resources.scan import installed_distributions
from pyingot.stub.runtime import Crate


def validate(document: str) -> None:
    """No error from the CycloneDX 1.6 JSON schema (strict: no unknown keys)."""
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(document)
    assert error is None, str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", [{"license": {"id": "MIT"}}]),
        ("apache-2.0", [{"license": {"id": "Apache-2.0"}}]),
        ("MIT OR Apache-2.0", [{"expression": "MIT OR Apache-2.0"}]),
        ("BSD 3-Clause License\n\nCopyright ...", [{"license": {"name": "BSD 3-Clause License"}}]),
        (None, []),
        ("  ", []),
    ],
)
def test_licenses_are_spdx_ids_where_known(text: str | None, expected: list[object]) -> None:
    assert sbom.licenses(text) == expected


def _dist_info(site: Path, name: str, version: str, headers: str) -> None:
    base = site / f"{name}-{version}.dist-info"
    base.mkdir(parents=True)
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (base / "METADATA").write_text(meta + textwrap.dedent(headers))
    (base / "RECORD").write_text(f"{name}/__init__.py,,\n")
    (base / "WHEEL").write_text("Wheel-Version: 1.0\nTag: py3-none-any\n")


def test_a_distribution_license_from_expression_field_or_classifiers(tmp_path: Path) -> None:
    _dist_info(tmp_path, "a", "1", "License-Expression: MIT AND BSD-3-Clause\n")
    _dist_info(tmp_path, "b", "1", "License: Apache 2.0\nClassifier: "
               "License :: OSI Approved :: Apache Software License\n")  # fmt: skip
    _dist_info(tmp_path, "c", "1", "License: MPL-2.0\n")
    _dist_info(tmp_path, "d", "1", "License: Some custom terms\n")
    found = {d.name: d for d in installed_distributions(tmp_path)}

    def of(name: str) -> str | None:
        return sbom.distribution_license(found[name].root / found[name].dist_info / "METADATA")

    assert of("a") == "MIT AND BSD-3-Clause"
    assert of("b") == "Apache-2.0"
    assert of("c") == "MPL-2.0"
    assert of("d") == "Some custom terms"


def test_pip_report_gives_each_wheel_url_and_sha256(tmp_path: Path) -> None:
    wheel = tmp_path / "local-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a zip")
    report = {
        "version": "1",
        "install": [
            {
                "metadata": {"name": "Requests", "version": "2.32.3"},
                "download_info": {
                    "url": "https://files.pythonhosted.org/r/requests-2.32.3-py3-none-any.whl",
                    "archive_info": {"hash": "sha256=" + "a" * 64, "hashes": {"sha256": "a" * 64}},
                },
            },
            {
                "metadata": {"name": "local", "version": "1.0"},
                "download_info": {"url": wheel.as_uri(), "archive_info": {}},
            },
        ],
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    origins = report_origins(tmp_path / "report.json", [wheel])
    assert origins["requests"] == Origin(
        "https://files.pythonhosted.org/r/requests-2.32.3-py3-none-any.whl", "a" * 64
    )
    # A local wheel: its own hash, and no path of the build machine.
    assert origins["local"] == Origin(None, hashlib.sha256(b"not really a zip").hexdigest())
    assert report_origins(tmp_path / "missing.json") == {}


def _distribution(root: Path) -> Distribution:
    library = {
        "name": "openssl",
        "version": "3.5.7",
        "license": "Apache-2.0",
        "archives": {"libssl.a": "0" * 64, "libcrypto.a": "1" * 64},
        "debian_package": "openssl",
        "debian_version": "3.5.7-1~deb13u2",
        "sources": {"openssl_3.5.7.orig.tar.gz": "2" * 64},
    }
    unused = {
        **library,
        "name": "gdbm",
        "license": "GPL-3.0-or-later",
        "archives": {"libgdbm.a": ""},
    }
    sqlite = {
        "name": "sqlite3",
        "version": "3.46.1",
        "license": None,
        "archives": {"libsqlite3.a": ""},
        "debian_package": "sqlite3",
        "debian_version": "3.46.1-7+deb13u2",
        "sources": {"sqlite3_3.46.1.orig.tar.xz": "3" * 64},
    }
    ssl = ExtensionModule(
        "_ssl",
        "PyInit__ssl",
        links=(Link("ssl", "build/lib/libssl.a"), Link("crypto", "build/lib/libcrypto.a")),
    )
    sqlite3 = ExtensionModule("_sqlite3", "PyInit__sqlite3", links=(Link("sqlite3", "x.a"),))
    decimal = ExtensionModule("_decimal", "x", links=(Link("cpython_mpdec", "y.a"),))
    return Distribution(
        root=root,
        format_version=8,
        target_triple="x86_64-unknown-linux-gnu",
        python_version="3.13.5",
        python_tag="cp313",
        python_exe="install/bin/python3.13",
        python_paths={},
        build_options="noopt+static",
        object_file_format="elf",
        core_objs=(),
        core_links=(Link("m", system=True),),
        inittab_object=None,
        inittab_source=None,
        inittab_cflags=(),
        extensions={"_ssl": (ssl,), "_sqlite3": (sqlite3,), "_decimal": (decimal,)},
        licenses=("Python-2.0",),
        license_path=None,
        extra={
            "pyingot": {
                "source": "Debian python3.13 3.13.5-2+deb13u5",
                "source_sha256": "4" * 64,
                "libraries": [library, unused, sqlite],
            }
        },
    )


def test_a_document_lists_what_is_inside_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    site = tmp_path / "site"
    _dist_info(site, "requests", "2.32.3", "License: Apache-2.0\n")
    _dist_info(site, "certifi", "2025.1.31", "License: MPL-2.0\n")
    _dist_info(site, "numpy", "2.1.0", "License-Expression: BSD-3-Clause\n")
    dists = installed_distributions(site)
    installed = InstalledDependencies(
        site,
        dists,
        reused=True,
        origins={"requests": Origin("https://example.org/requests.whl", "5" * 64)},
    )
    dist = _distribution(tmp_path)
    resources = ResourceSet(
        modules={},
        data=(),
        metadata=tuple(
            MetadataResource(d.dist_info, "METADATA", b"", d.name)
            for d in dists
            if d.name != "certifi"
        ),
        on_disk_distributions=("certifi",),
        shared_libraries=(
            SharedLibraryResource("libgfortran-abc.so.5", b"elf", (), "libgfortran-abc.so.5",
                                  "numpy.libs/libgfortran-abc.so.5", "numpy"),
            SharedLibraryResource("libstdc++.so.6", b"elf2", (), "libstdc++.so.6", "/usr/lib/x",
                                  "Debian package libstdc++6 12.2.0-14", True,
                                  "GPL-3.0-or-later WITH GCC-exception-3.1"),
        ),
    )  # fmt: skip
    selected = {n: dist.extension(n) for n in ("_ssl", "_sqlite3", "_decimal")}
    crates = (
        Crate("lz4-sys", "1.11.1+lz4-1.10.0", "MIT"),
        Crate("ruzstd", "0.8.3", "MIT"),
        Crate("rust-std", "1.95.0", "MIT OR Apache-2.0"),
    )
    doc = sbom.document(
        name="app",
        version="1.0",
        dist=dist,
        selected=selected,
        installed=installed,
        resources=resources,
        crates=crates,
    )
    text = sbom.dumps(doc)
    validate(text)
    assert doc["specVersion"] == "1.6" and doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    assert doc["metadata"]["tools"]["components"][0]["name"] == "pyingot"
    assert doc["metadata"]["component"] == {
        "type": "application",
        "bom-ref": "application",
        "name": "app",
        "version": "1.0",
    }
    by_name = {c["name"]: c for c in doc["components"]}
    # gdbm is in the distribution but no linked module uses it.
    assert list(by_name) == [
        "cpython",
        "openssl",
        "sqlite3",
        "certifi",
        "numpy",
        "requests",
        "libstdc++.so.6",
        "lz4-sys",
        "ruzstd",
        "rust-std",
    ]
    # The Rust runtime every executable links: crates as cargo packages, and std.
    assert by_name["ruzstd"]["purl"] == "pkg:cargo/ruzstd@0.8.3"
    assert by_name["ruzstd"]["licenses"] == [{"license": {"id": "MIT"}}]
    assert by_name["rust-std"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert "cargo:ruzstd@0.8.3" in doc["dependencies"][0]["dependsOn"]
    # lz4-sys compiles liblz4 from the sources it carries: the C library is inside it.
    assert by_name["lz4-sys"]["purl"] == "pkg:cargo/lz4-sys@1.11.1%2Blz4-1.10.0"
    assert by_name["lz4-sys"]["components"] == [
        {
            "type": "library",
            "bom-ref": "cargo:lz4-sys@1.11.1+lz4-1.10.0:lz4",
            "name": "lz4",
            "version": "1.10.0",
            "licenses": [{"license": {"id": "BSD-2-Clause"}}],
            "description": "C, compiled from lz4-sys's copy of its sources",
        }
    ]
    assert "components" not in by_name["ruzstd"]
    cpython = by_name["cpython"]
    assert cpython["version"] == "3.13.5"
    assert cpython["purl"] == "pkg:deb/debian/python3.13@3.13.5-2%2Bdeb13u5?arch=source"
    assert cpython["components"][0]["name"] == "mpdec"
    openssl = by_name["openssl"]
    assert openssl["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert openssl["externalReferences"] == [
        {
            "type": "source-distribution",
            "url": "https://deb.debian.org/debian/pool/main/o/openssl/openssl_3.5.7.orig.tar.gz",
            "hashes": [{"alg": "SHA-256", "content": "2" * 64}],
        }
    ]
    assert by_name["sqlite3"]["licenses"] == [{"license": {"name": "public domain"}}]
    requests = by_name["requests"]
    assert requests["purl"] == "pkg:pypi/requests@2.32.3"
    assert requests["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert requests["hashes"] == [{"alg": "SHA-256", "content": "5" * 64}]
    assert by_name["certifi"]["licenses"] == [{"license": {"id": "MPL-2.0"}}]
    # A wheel's bundled library sits under the wheel; one from the system on its own.
    assert [c["name"] for c in by_name["numpy"]["components"]] == ["libgfortran-abc.so.5"]
    stdcxx = by_name["libstdc++.so.6"]
    assert stdcxx["purl"] == "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14"
    assert stdcxx["licenses"] == [{"expression": "GPL-3.0-or-later WITH GCC-exception-3.1"}]
    # Reproducible: the same inputs give the same bytes, serial number included.
    again = sbom.dumps(
        sbom.document(
            name="app",
            version="1.0",
            dist=dist,
            selected=selected,
            installed=installed,
            resources=resources,
            crates=crates,
        )
    )
    assert again == text


def test_the_schema_check_catches_a_broken_document() -> None:
    # The validator is strict: the tests above could not pass a document it ignores.
    broken = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "x"}]}
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(broken)) is not None
