"""``importlib.metadata`` for distributions embedded in a pyingot executable.

Their ``.dist-info`` files are METADATA entries named
``<name>-<version>.dist-info/<file>``. ``find_distributions`` is reached
through the ``_pyingot`` finder on ``sys.meta_path``. Embedded in every
payload; imports only the standard library and ``_pyingot``.
"""

import io
import re
from importlib.metadata import Distribution, DistributionFinder
from pathlib import PurePosixPath

import _pyingot


def _normalize(name):
    return re.sub(r"[-_.]+", "_", name).lower()


class PayloadDistribution(Distribution):
    def __init__(self, dist_info):
        self._dist_info = dist_info

    def read_text(self, filename):
        entry = _pyingot.get(_pyingot.METADATA, f"{self._dist_info}/{filename}")
        return None if entry is None else bytes(entry[1]).decode("utf-8")

    read_text.__doc__ = Distribution.read_text.__doc__

    def locate_file(self, path):
        # Files of an embedded distribution live at virtual paths in the executable.
        return PayloadFile(_pyingot.executable) / path


class PayloadFile(PurePosixPath):
    """A virtual path in the executable that ``PackagePath.read_text()`` can read."""

    def _rel(self):
        return str(self)[len(_pyingot.executable) + 1 :]

    def _module(self):
        rel = self._rel()
        if not rel.endswith(".py"):
            return None
        name = rel[:-3].replace("/", ".").removesuffix(".__init__")
        return name if _pyingot.get(_pyingot.MODULE, name) is not None else None

    def exists(self):
        if _pyingot.get(_pyingot.METADATA, self._rel()) is not None or self._module():
            return True
        try:
            _pyingot.get_data(str(self))
        except OSError:
            return False
        return True

    def read_bytes(self):
        entry = _pyingot.get(_pyingot.METADATA, self._rel())
        if entry is not None:
            return bytes(entry[1])
        name = self._module()
        if name is None:
            return _pyingot.get_data(str(self))
        source = _pyingot.get_source(name)
        if source is None:
            raise FileNotFoundError(f"no source for {self} in this executable")
        return source.encode("utf-8")

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def open(self, mode="r", encoding=None, errors=None):
        if mode not in ("r", "rb"):
            raise ValueError(f"files inside an executable are read-only (mode {mode!r})")
        stream = io.BytesIO(self.read_bytes())
        return stream if mode == "rb" else io.TextIOWrapper(stream, encoding or "utf-8", errors)


def find_distributions(context=None):
    context = context or DistributionFinder.Context()
    # The embedded distributions lie in the executable (their files' paths start
    # there): a search of other paths (distributions(path=[...])) does not find them.
    path = vars(context).get("path")
    if path is not None and _pyingot.executable not in path:
        return
    wanted = None if context.name is None else _normalize(context.name)
    dirs = sorted({name.partition("/")[0] for name in _pyingot.names(_pyingot.METADATA, "")})
    for dist_info in dirs:
        if not dist_info.endswith(".dist-info"):
            continue
        if wanted is None or _normalize(dist_info.partition("-")[0]) == wanted:
            yield PayloadDistribution(dist_info)
