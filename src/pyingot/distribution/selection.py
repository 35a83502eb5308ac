"""Which extension modules go into an executable.

A policy picks a base set and explicit lists adjust it:

``all`` (default)
    every extension module that can be linked statically, except CPython's own
    test modules (``_testcapi`` and friends), which only an explicit include adds;
``no-copyleft``
    ``all`` without modules that link GPL code (readline, gdbm, dbm): the
    executable can then be shipped under a permissive license;
``minimal``
    only the modules the interpreter needs to start (``required`` in PYTHON.json).

An included module that the distribution has only as a shared library (CPython's
test modules in lib-dynload: ``_testcapi``, ``_testsinglephase``...) cannot be
linked; it is embedded instead and loaded from memory like a wheel's extension
module (:meth:`ExtensionSelection.embedded`).

Required modules are always in. Contradictions (excluding a required module,
including a GPL module under ``no-copyleft``, naming a module twice) are errors
when the selection is made, not surprises at link time.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.distribution.recipe import is_test_module
from pyingot.errors import PyingotError

POLICIES = ("all", "no-copyleft", "minimal")
#: The policy when none is named: in ``[tool.pyingot.extensions]`` (whose
#: declaration reads it from here) and for ``pyingot python show``.
DEFAULT_POLICY = POLICIES[0]


@dataclass(frozen=True)
class ExtensionSelection:
    policy: str = DEFAULT_POLICY
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise PyingotError(
                f"unknown extension policy '{self.policy}'",
                hint=f"use one of: {', '.join(POLICIES)}",
            )
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            raise PyingotError(
                f"extension module {both[0]} is both included and excluded",
                hint="remove it from one of the two lists",
            )

    def resolve(self, dist: Distribution) -> dict[str, ExtensionModule]:
        """The chosen variant of each selected module, by name."""
        for name in (*self.include, *self.exclude):
            if name not in dist.extensions:
                import difflib  # here, not at the top: only this mistake needs it

                close = difflib.get_close_matches(name, list(dist.extensions), n=3)
                raise PyingotError(
                    f"extension module '{name}' is not in distribution {dist.name}",
                    hint=f"did you mean {' or '.join(close)}?"
                    if close
                    else "'pyingot python show' lists the modules",
                )
        chosen: dict[str, ExtensionModule] = {}
        for name, variants in sorted(dist.extensions.items()):
            static = [v for v in variants if v.is_static]
            if not static:
                continue  # embedded when included (embedded())
            required = any(v.required for v in static)
            if name in self.exclude:
                if required:
                    raise PyingotError(
                        f"extension module '{name}' is required to start the interpreter "
                        "and cannot be excluded",
                        hint="remove it from the exclude list",
                    )
                continue
            if self.policy == "no-copyleft":
                static = [v for v in static if not v.copyleft]
                if not static:
                    if name in self.include:
                        raise PyingotError(
                            f"extension module '{name}' links GPL-licensed code, which the "
                            "'no-copyleft' policy keeps out",
                            hint="use the 'all' policy, or drop it from the include list",
                        )
                    continue
            wanted = (
                required
                or name in self.include
                or (self.policy != "minimal" and not is_test_module(name))
            )
            if wanted:
                chosen[name] = static[0]
        return chosen

    def embedded(self, dist: Distribution) -> tuple[str, ...]:
        """The included modules that ``dist`` has only as shared libraries: they are
        embedded as files and loaded from memory (as a wheel's extension modules
        are) instead of being linked."""
        self.resolve(dist)  # the same checks of the names
        return tuple(
            sorted(
                name
                for name in self.include
                if not any(v.is_static for v in dist.extensions[name])
                and any(v.shared_lib for v in dist.extensions[name])
            )
        )
