from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyingot.distribution.toolchain import Toolchain, toolchain


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, empty cache root for tests that must not see the real cache."""
    root = tmp_path / "cache"
    monkeypatch.setenv("PYINGOT_CACHE_DIR", str(root))
    yield root


@pytest.fixture(scope="session")
def zig_toolchain() -> Toolchain:
    """The portable toolchain, its wrappers in the user's cache (made once, 4 s)."""
    return toolchain()
