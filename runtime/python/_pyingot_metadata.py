"""``importlib.metadata`` for distributions embedded in a pyingot executable.

Their ``.dist-info`` files are METADATA entries named
``<name>-<version>.dist-info/<file>``. ``find_distributions`` is reached
through the ``_pyingot`` finder on ``sys.meta_path``. Embedded in every
payload; imports only the standard library and ``_pyingot``.
"""

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
        return PurePosixPath(_pyingot.executable) / path


def find_distributions(context=None):
    context = context or DistributionFinder.Context()
    wanted = None if context.name is None else _normalize(context.name)
    dirs = sorted({name.partition("/")[0] for name in _pyingot.names(_pyingot.METADATA, "")})
    for dist_info in dirs:
        if not dist_info.endswith(".dist-info"):
            continue
        if wanted is None or _normalize(dist_info.partition("-")[0]) == wanted:
            yield PayloadDistribution(dist_info)
