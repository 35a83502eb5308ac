"""The wheel's two additions to a plain setuptools build (pyproject.toml says why).

- ``build_py`` also writes ``pyingot/prebuilt/``: ``libpyingot_runtime.a`` for
  every supported Python version, built by pyingot's own runtime builder
  (``pyingot.stub.runtime``, the one place the cargo command is spelled), so an
  installed pyingot needs no Rust. The archives are compiled into, and reused
  from, pyingot's user cache (keyed by the runtime's version), as a checkout's
  are. Editable installs skip this: a checkout builds its runtime on demand.
- The wheel is a platform wheel, installed into platlib and tagged for its
  platform, not ``any``: it holds x86_64 machine code. Its Python is
  version-independent (``py3-none``); the archives are linked against glibc
  2.17's symbols, as every executable is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

SRC = Path(__file__).resolve().parent / "src"

#: The platform tag of a wheel holding x86_64 code for glibc 2.17 and later.
PLATFORMS = {"linux_x86_64": "manylinux_2_17_x86_64.manylinux2014_x86_64"}


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        sys.path.insert(0, str(SRC))
        from pyingot.errors import PyingotError
        from pyingot.progress import Progress
        from pyingot.stub import runtime

        try:
            runtime.write_prebuilt(
                Path(self.build_lib) / "pyingot" / runtime.PREBUILT,
                Progress(len(runtime.SUPPORTED_VARIANTS)),
            )
        except PyingotError as e:
            raise SystemExit(e.render()) from e


class PlatformDistribution(Distribution):
    """Makes setuptools install into platlib and bdist_wheel drop ``Root-Is-Purelib``."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", PLATFORMS.get(platform, platform)


setup(
    distclass=PlatformDistribution,
    cmdclass={"build_py": BuildPyWithRuntime, "bdist_wheel": PlatformWheel},
)
