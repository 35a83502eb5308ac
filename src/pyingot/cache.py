"""The user cache directory and the atomic way into it.

Everything expensive pyingot makes (CPython distributions, downloaded sources,
linked runtime stubs) lives under one root, keyed by a hash of its inputs. An entry
is built in a temporary sibling directory and renamed into place only when it is
complete, so an interrupted or failed build never leaves a half-written entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from pyingot.errors import PyingotError

CACHE_ENV = "PYINGOT_CACHE_DIR"


def cache_root() -> Path:
    """``$PYINGOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyingot``, else ``~/.cache/pyingot``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "pyingot").absolute()


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (a cache subdirectory) and check that it is writable."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as e:
        raise PyingotError(
            f"cache directory {path} is not writable ({e.strerror or e})",
            hint=f"fix its permissions, or point {CACHE_ENV} at a writable directory",
        ) from e
    return path


def input_hash(inputs: dict[str, object]) -> str:
    """A stable hash of a JSON-serializable description of a cache entry's inputs."""
    blob = json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def entry_lock(final: Path) -> Iterator[None]:
    """Serialize builders of the same cache entry (two terminals, CI and a developer)."""
    ensure_dir(final.parent)
    lock_path = final.parent / f".{final.name}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A temporary directory beside ``final`` (same filesystem, so the rename is atomic).

    The caller fills it and calls :func:`commit`; whatever happens, the staging
    directory is gone when the block exits.
    """
    ensure_dir(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def commit(tmp: Path, final: Path) -> None:
    """Rename a completed staging directory (or file) into place."""
    if final.exists():
        # Somebody else finished the same entry first; theirs is as good as ours.
        return
    os.rename(tmp, final)


def identity(path: Path) -> dict[str, object]:
    """What changes whenever the file at ``path`` does: its path, size, mtime and inode
    (``{"missing": ...}`` when there is none)."""
    try:
        st = path.stat()
    except OSError:
        return {"missing": str(path)}
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def memo(kind: str, inputs: Mapping[str, object], compute: Callable[[], str]) -> str:
    """``compute()``, kept in the cache under ``kind`` and a hash of ``inputs`` (which
    must name whatever the answer depends on, such as the :func:`identity` of the files
    it reads): for the answers of slow commands, asked again on every build."""
    path = cache_root() / "memo" / kind / input_hash(dict(inputs))[:32]
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    answer = compute()
    try:
        ensure_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(answer)
        os.replace(tmp, path)
    except (OSError, PyingotError):
        pass  # only a memo: the next build asks again
    return answer
