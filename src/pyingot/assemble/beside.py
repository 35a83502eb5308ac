"""What goes beside the executable rather than inside it.

``on-disk`` distributions are written to ``<exe>.packages/``; the data files of
``data-on-disk`` distributions to ``<exe>.data/``, whose top-level packages the
runtime then locates there (META ``data_root``). Each directory is replaced as a
whole, so a failed build leaves the previous one intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pyingot import names
from pyingot.config import ProjectConfig
from pyingot.errors import PyingotError
from pyingot.resources.model import FileResource, ResourceSet

#: What ``<executable>`` + this names: the directory of on-disk distributions.
ON_DISK_SUFFIX = ".packages"
#: What ``<executable>`` + this names: the data directory of ``data-on-disk``.
DATA_ROOT_SUFFIX = ".data"


def on_disk_directory(executable: Path) -> Path:
    """Where the on-disk distributions of ``executable`` go: ``dist/app.packages``."""
    return executable.with_name(executable.name + ON_DISK_SUFFIX)


def write_on_disk(files: Sequence[FileResource], directory: Path) -> Path:
    """Write ``files`` into ``directory``, replacing what it held as a whole.

    The new tree is written beside it and renamed into place, so a build that
    fails leaves the previous one whole.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    old = directory.with_name(f".{directory.name}.old")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        for f in files:
            path = tmp / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.data)
            os.chmod(path, 0o755 if f.executable else 0o644)
            if epoch and epoch.isdigit():
                os.utime(path, (int(epoch), int(epoch)))
        os.chmod(tmp, 0o755)
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            os.rename(directory, old)
        os.rename(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return directory


def data_root_directory(executable: Path) -> Path:
    """Where the ``data-on-disk`` files of ``executable`` go: ``dist/app.data``."""
    return executable.with_name(executable.name + DATA_ROOT_SUFFIX)


def data_root_packages(config: ProjectConfig, resources: ResourceSet) -> list[str]:
    """The top-level packages of the ``data-on-disk`` distributions."""
    wanted = set(config.dependencies.data_on_disk)
    if not wanted:
        return []
    found: dict[str, set[str]] = {}
    owners = [(n, m.distribution) for n, m in resources.modules.items()]
    owners += [(n, e.distribution) for n, e in resources.extensions.items()]
    for name, distribution in owners:
        if distribution is None:
            continue
        key = names.normalize(distribution)
        if key in wanted:
            found.setdefault(key, set()).add(name.partition(".")[0])
    missing = sorted(wanted - set(found))
    if missing:
        raise PyingotError(
            f"{config.pyproject}: [tool.pyingot.dependencies] data-on-disk names "
            f"{', '.join(missing)}, which has no module in the executable",
            hint="name installed dependencies that the application imports",
        )
    return sorted({p for packages in found.values() for p in packages})
