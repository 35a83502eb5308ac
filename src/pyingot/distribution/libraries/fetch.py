"""Get a recipe's pinned source files, from wherever they can be had, and verify them.

Each file is looked for, in order:

1. in the cache, ``<cache>/sources/sha256/<sha256>/<name>``: a file is stored
   there only after its hash matched, so it is never checked twice;
2. through ``apt-get source --download-only PKG=VERSION`` (a ``deb-src`` entry,
   as ``scripts/setup-system`` writes, and apt's own proxy and mirror settings);
3. at each Debian mirror's pool, ``<mirror>/pool/main/<p>/<package>/<name>``
   (plain HTTPS: works on machines that are not Debian);
4. at the upstream URLs the recipe lists for files whose bytes are identical.

Whichever place serves a file, its sha256 must be the pinned one; the cache key
of a build is made of those hashes, never of URLs. :class:`Sites` says which
places to try; tests point it at a loopback server.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution.libraries.model import Recipe, SourceFile
from pyingot.errors import PyingotError

DEBIAN_MIRROR = "https://deb.debian.org/debian"


@dataclass(frozen=True)
class Sites:
    """Where source files are looked for, after the cache."""

    #: Try ``apt-get source --download-only`` (skipped where apt-get is missing).
    apt: bool = True
    #: Debian mirrors (base URLs holding ``pool/``).
    debian_mirrors: tuple[str, ...] = (DEBIAN_MIRROR,)
    #: Try the recipe's upstream URLs.
    upstream: bool = True
    #: Seconds a download may stall before its site counts as unreachable.
    timeout: float = 60.0


DEFAULT_SITES = Sites()


@dataclass
class _Attempts:
    """What went wrong where, for the message when no site had the right bytes."""

    mismatches: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def sources_dir() -> Path:
    return cache.cache_root() / "sources" / "sha256"


def cached_path(file: SourceFile) -> Path:
    return sources_dir() / file.sha256 / file.name


def fetch(recipe: Recipe, sites: Sites = DEFAULT_SITES) -> dict[str, Path]:
    """Every pinned file of ``recipe``: name -> its verified copy in the cache."""
    files = recipe.source.files
    missing = [f for f in files if not cached_path(f).is_file()]
    attempts = {f.name: _Attempts() for f in missing}
    if missing and sites.apt:
        _from_apt(recipe, missing, attempts)
        missing = [f for f in missing if not cached_path(f).is_file()]
    for f in missing:
        urls = [
            f"{m.rstrip('/')}/pool/main/{recipe.source.pool_dir}/{f.name}"
            for m in sites.debian_mirrors
        ]
        if sites.upstream:
            urls.extend(f.upstream)
        for url in urls:
            if _from_url(recipe, f, url, sites.timeout, attempts[f.name]):
                break
        else:
            raise _not_found(recipe, f, attempts[f.name])
    return {f.name: cached_path(f) for f in files}


def _from_apt(recipe: Recipe, missing: list[SourceFile], attempts: dict[str, _Attempts]) -> None:
    """Let apt download the whole source package; keep the pinned files that match."""
    spec = f"{recipe.source.package}={recipe.source.version}"
    scratch = cache.ensure_dir(cache.cache_root() / "sources" / "tmp")
    with tempfile.TemporaryDirectory(prefix="apt-", dir=scratch) as tmp:
        try:
            tools.run(["apt-get", "source", "--download-only", spec], cwd=Path(tmp))
        except PyingotError:
            return  # no apt-get: not a Debian machine, the mirrors and upstream remain
        for f in missing:
            got = Path(tmp) / f.name
            if got.is_file():
                _store(recipe, f, got, f"apt-get source {spec}", attempts[f.name])


def _from_url(
    recipe: Recipe, file: SourceFile, url: str, timeout: float, attempts: _Attempts
) -> bool:
    # Imported here: urllib.request brings http.client, email and ssl, 12 ms that every
    # build would pay for a download almost none makes.
    import urllib.error
    import urllib.request

    scratch = cache.ensure_dir(cache.cache_root() / "sources" / "tmp")
    with tempfile.TemporaryDirectory(prefix="download-", dir=scratch) as tmp:
        dest = Path(tmp) / file.name
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "pyingot"})
            with (
                urllib.request.urlopen(request, timeout=timeout) as response,
                dest.open("wb") as out,
            ):
                shutil.copyfileobj(response, out, 1 << 20)
        except urllib.error.HTTPError as e:
            attempts.unreachable.append(f"{url} (HTTP {e.code} {e.reason})")
            return False
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            attempts.unreachable.append(f"{url} ({reason})")
            return False
        return _store(recipe, file, dest, url, attempts)


def _store(recipe: Recipe, file: SourceFile, got: Path, origin: str, attempts: _Attempts) -> bool:
    """Move ``got`` into the cache if its hash is the pinned one."""
    actual = cache.file_sha256(got)
    if actual != file.sha256:
        attempts.mismatches.append(
            f"{origin}: expected sha256 {file.sha256}, got {actual} ({got.stat().st_size} bytes)"
        )
        return False
    final = cached_path(file).parent
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if not cached_path(file).is_file():
            shutil.move(got, tmp / file.name)
            cache.commit(tmp, final)
    return True


def _not_found(recipe: Recipe, file: SourceFile, attempts: _Attempts) -> PyingotError:
    lines = [f"cannot get {file.name}, a source file of {recipe.label}"]
    if attempts.mismatches:
        lines.append("sha256 mismatch (the pinned hash is what the recipe was made with):")
        lines.extend(f"  {m}" for m in attempts.mismatches)
    if attempts.unreachable:
        lines.append("unreachable:")
        lines.extend(f"  {u}" for u in attempts.unreachable)
    if not attempts.mismatches and not attempts.unreachable:
        lines.append("no site to try (apt-get found nothing, and no mirror or URL is configured)")
    if attempts.mismatches:
        hint = (
            "a file with the pinned name but other bytes is a changed or tampered upload: "
            "do not use it; report it if the Debian pool itself serves it"
        )
    else:
        hint = (
            "check the network access to deb.debian.org (or apt's deb-src entries); "
            f"or put the file, sha256 {file.sha256}, at {cached_path(file)}"
        )
    return PyingotError("\n".join(lines), hint=hint)
