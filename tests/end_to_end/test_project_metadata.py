"""Issue 12 end to end: the SBOM of a real build, ``build --json``, the progress a user
sees, the Python version ``requires-python`` picks and the versions ``uv.lock`` pins.

Each builds a real executable (under the compile lock) and runs it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests import building
from tests.building import EXAMPLES
from tests.distributions import distribution

pytestmark = pytest.mark.slow


def run(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_requests_sbom_json_summary_and_progress(tmp_path: Path) -> None:
    distribution("3.11")
    project = building.copy_project(EXAMPLES / "requests_certs", tmp_path / "requests_certs")
    building.pin(project, python="3.11")
    # requests reaches no sqlite3; linking every extension module puts SQLite in the
    # stub, so that the SBOM has it to list (it lists only what is inside).
    with (project / "pyproject.toml").open("a") as f:
        f.write('\n[tool.pyingot.extensions]\nlink = "all"\n')
    done = building.pyingot("build", "--json", project, timeout=1200)
    assert done.returncode == 0, done.stderr

    # --json: the summary on stdout, progress on stderr.
    summary = json.loads(done.stdout)
    exe = project / "dist" / "requests-certs"
    assert summary["path"] == str(exe)
    assert summary["size"] == exe.stat().st_size
    assert summary["sha256"] == hashlib.sha256(exe.read_bytes()).hexdigest()
    assert summary["python_version"].startswith("3.11.")
    assert summary["glibc_floor"] == "2.17"
    assert summary["sbom"] == str(project / "dist" / "requests-certs.cdx.json")

    # Stage counters within their total; no other platform's modules reported missing.
    stages = re.findall(r"^\[(\d+)/(\d+)\] ", done.stderr, re.MULTILINE)
    assert [int(i) for i, _ in stages] == [1, 2, 3, 4, 5, 6]
    assert {total for _, total in stages} == {"6"}
    assert "not embedded, not found:" in done.stderr  # brotli, chardet...: optional
    assert "bill of materials (CycloneDX): requests-certs.cdx.json" in done.stderr
    for name in ("_winapi", "msvcrt", "_winreg", " nt,", " org"):
        assert name not in done.stderr, name

    text = Path(summary["sbom"]).read_text()
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)
    doc = json.loads(text)
    by_name = {c["name"]: c for c in doc["components"]}
    assert by_name["cpython"]["version"] == summary["python_version"]
    assert by_name["openssl"]["version"] == "3.5.7"
    assert by_name["sqlite3"]["version"] == "3.46.1"
    assert by_name["requests"]["version"] == "2.32.3"
    assert by_name["requests"]["purl"] == "pkg:pypi/requests@2.32.3"
    assert by_name["requests"]["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert by_name["certifi"]["purl"] == "pkg:pypi/certifi@2025.1.31"
    assert by_name["certifi"]["licenses"] == [{"license": {"id": "MPL-2.0"}}]
    for name in ("requests", "certifi", "urllib3", "idna", "charset-normalizer"):
        (digest,) = by_name[name]["hashes"]
        assert digest["alg"] == "SHA-256" and re.fullmatch(r"[0-9a-f]{64}", digest["content"])
    assert doc["metadata"]["tools"]["components"][0]["name"] == "pyingot"

    # The executable carries the same document.
    inspected = building.pyingot("inspect", "--sbom", exe)
    assert inspected.returncode == 0, inspected.stderr
    assert inspected.stdout == text
    assert "SBOM:            CycloneDX" in building.pyingot("inspect", exe).stdout
    out = run(exe)
    assert out.returncode == 0, out.stderr


def test_requires_python_picks_the_newest_version_it_allows(tmp_path: Path) -> None:
    distribution("3.13")
    project = building.copy_project(EXAMPLES / "hello", tmp_path / "hello")
    text = (project / "pyproject.toml").read_text()
    assert "python =" not in text
    (project / "pyproject.toml").write_text(
        text.replace('version = "1.0"\n', 'version = "1.0"\nrequires-python = ">=3.13"\n')
    )
    done = building.build(project)
    assert done.returncode == 0, done.stderr
    assert "hello: entry point hello:main, Python 3.13" in done.stderr
    out = run(Path(done.stdout.strip()), "ingot")
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"Hello, ingot! \(Python 3\.13\.\d+\)\n", out.stdout)


#: The uv.lock that uv 0.13.9 wrote for this project with ``uv lock --exclude-newer
#: 2020-06-01``: six locked at 1.15.0, where pip alone would install the newest (1.17.0).
_UV_LOCK = """\
version = 1
revision = 5
requires-python = ">=3.11"

[options]
exclude-newer = "2020-06-02T00:00:00Z"

[[package]]
name = "locked"
version = "1.0"
source = { virtual = "." }
dependencies = [
    { name = "six" },
]

[package.metadata]
requires-dist = [{ name = "six" }]

[[package]]
name = "six"
version = "1.15.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/6b/34/415834bfdafca3c5f451532e8a8d9ba89a21c9743a0c59fbd0205c7f9426/six-1.15.0.tar.gz", hash = "sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259", size = 33917, upload-time = "2020-05-21T15:25:55.142Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ee/ff/48bde5c0f013094d729fe4b0316ba2a24774b3ff1c52d924a8a4cb04078a/six-1.15.0-py2.py3-none-any.whl", hash = "sha256:8b74bedcbbbaca38ff6d7491d76f2b06b3592611af620f8426e82dddb04a5ced", size = 10963, upload-time = "2020-05-21T15:25:54.177Z" },
]
"""  # noqa: E501


def test_uv_lock_versions_are_embedded(tmp_path: Path) -> None:
    distribution("3.11")
    project = tmp_path / "locked"
    building.write(
        project,
        {
            "pyproject.toml": """\
                [project]
                name = "locked"
                version = "1.0"
                dependencies = ["six"]

                [project.scripts]
                locked = "locked:main"

                [tool.pyingot]
                python = "3.11"
                sources = ["."]
            """,
            "locked.py": """\
                import six

                def main():
                    print(six.__version__)
            """,
        },
    )
    (project / "uv.lock").write_text(_UV_LOCK)
    done = building.build(project)
    assert done.returncode == 0, done.stderr
    assert "using the versions locked in uv.lock (1 pinned)" in done.stderr
    assert "six 1.15.0" in done.stderr
    exe = Path(done.stdout.strip())
    out = run(exe)
    assert (out.returncode, out.stdout) == (0, "1.15.0\n"), out.stderr
    doc = json.loads((project / "dist" / "locked.cdx.json").read_text())
    (six,) = [c for c in doc["components"] if c["name"] == "six"]
    assert six["version"] == "1.15.0"
    assert six["hashes"] == [
        {
            "alg": "SHA-256",
            "content": "8b74bedcbbbaca38ff6d7491d76f2b06b3592611af620f8426e82dddb04a5ced",
        }
    ]
