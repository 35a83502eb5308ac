"""The decisions: what goes into an executable, what is left out, and why.

``reachability.py`` walks the import graph and ``data.py`` lists files; both ask
this module what counts. The default is reachability: start from the entry point
and the modules the interpreter imports by itself, follow every import the
target interpreter's parser sees, plus the imports no ``import`` statement shows
(``dynamic.py``). Over-approximating is the safe side: a module that is
collected but never imported costs bytes, one that is missing costs a crash on
the user's machine.

Five kinds of import are known never to run in an executable, and are not
followed, so that the closure stays small (hello world would otherwise pull in
doctest, pdb, unittest and asyncio through pickle's ``_test()``):

* code that runs only when a module is ``__main__`` (its ``if __name__ ==
  "__main__"`` block and the private or ``main``/``test`` functions only that
  block uses), except in the entry point itself;
* branches for another platform (``if sys.platform == "win32"``), as the
  target interpreter evaluates them;
* the standard library's imports of its own test suite;
* ``importlib._bootstrap(_external)``, frozen into the interpreter
  (``dynamic.FROZEN_ALIASES``), but under ``stdlib="all"``, which embeds their
  sources as ``Lib/`` holds them (code that blocks the frozen importlib, as
  ``test.support.import_helper.import_fresh_module`` does, imports them);
* the fallback in the ``except`` clause of a ``try`` whose body only imports
  built-in modules that the executable links (``random`` imports ``hashlib``,
  and with it OpenSSL's libcrypto, only if ``_sha512`` is missing):
  :meth:`Policy.linked` says which are linked.

Module patterns (``include``, ``exclude``) are ``fnmatch`` patterns on dotted
names, where ``*`` also matches dots (``"email.*"`` is every module below
``email``). ``include`` adds the modules it matches and what they reach.
``exclude`` removes what it matches *and everything below it* (a package's
submodules cannot be imported without it, :func:`pyingot.patterns.module_matches`)
and its imports are not followed; it wins over ``include``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pyingot import patterns
from pyingot.errors import PyingotError
from pyingot.resources import dynamic
from pyingot.resources.compile import InterpreterFacts
from pyingot.resources.scan import ModuleFile, ModuleFinder, SearchRoot

StdlibMode = Literal["reachable", "all"]
#: ``[tool.pyingot] keep-sources``: every module's source, none, or all but the
#: standard library's.
KeepSources = bool | Literal["no-stdlib"]


def keeps_source(setting: KeepSources, *, is_stdlib: bool) -> bool:
    """Whether a module's source is embedded beside its bytecode under ``setting``."""
    return setting is True or (setting == "no-stdlib" and not is_stdlib)


#: Left out of ``stdlib="all"`` besides the test packages: the IDLE editor and
#: the turtle demos are applications of their own, ensurepip installs pip into
#: an environment (an executable has none), and ``__hello__`` and ``__phello__``
#: exist to test frozen imports. ``include`` brings them back.
EXCLUDED_FROM_ALL = ("test", "idlelib", "turtledemo", "ensurepip", "__hello__", "__phello__")

#: Package names that are test suites wherever they are (``lib2to3.tests``,
#: ``idlelib.idle_test``), as the distribution builder lists them.
TEST_PACKAGE_NAMES = ("test", "tests", "idle_test")
_TEST_NAMES = frozenset(TEST_PACKAGE_NAMES)

#: The module name an entry script is compiled as.
MAIN = "__main__"

#: Files of a ``.dist-info`` directory that are not embedded: ``direct_url.json``
#: records where a local wheel was on the build machine (an absolute path).
METADATA_LEFT_OUT = ("direct_url.json",)


@dataclass(frozen=True)
class Policy:
    """The module decisions of one build, as the walk of the import graph asks them."""

    facts: InterpreterFacts
    #: ``exclude`` patterns.
    exclude: tuple[str, ...] = ()
    #: The standard library's test suites: ``test`` and those the distribution lists.
    test_packages: tuple[str, ...] = ("test",)
    #: Modules the caller's runtime supplies (pyingot's built-in ``_pyingot``).
    provided: frozenset[str] = frozenset()
    #: Modules built into the target interpreter that the executable does not
    #: link (left out by the extension policy).
    unlinked: frozenset[str] = frozenset()
    #: ``stdlib="all"``: the sources of modules frozen under another name are
    #: embedded too, as a python's ``Lib/`` has them.
    frozen_sources: bool = False
    #: Standard-library extension modules built only as shared libraries that
    #: ``[tool.pyingot.extensions] include`` names: embedded like a wheel's.
    shared_extensions: frozenset[str] = frozenset()

    def excluded(self, name: str) -> bool:
        """``name`` or a package above it matches an ``exclude`` pattern."""
        return patterns.module_matches(name, self.exclude)

    def built_in(self, name: str) -> bool:
        """The interpreter or the runtime provides ``name`` without a file."""
        return (
            name in self.facts.builtin_modules
            or name in self.provided
            or (
                not self.frozen_sources
                and dynamic.FROZEN_ALIASES.get(name) in self.facts.frozen_modules
            )
        )

    def linked(self, name: str) -> bool:
        """``name`` is built in and the executable links it: importing it cannot fail."""
        return self.built_in(name) and name not in self.unlinked

    def embeds_extension(self, found: ModuleFile) -> bool:
        """A compiled extension module found on disk is embedded, but the standard
        library's: those are linked into the interpreter, and those left in
        lib-dynload are its test modules, embedded only when included."""
        return not found.root.is_stdlib or found.name in self.shared_extensions

    def is_test(self, name: str) -> bool:
        """``name`` is part of a test suite, of the standard library or anybody's."""
        return is_test(name, self.test_packages)

    def in_stdlib_all(self, name: str) -> bool:
        """``stdlib="all"`` (and a python-like executable) embeds ``name``."""
        return not is_test(name, (*EXCLUDED_FROM_ALL, *self.test_packages))

    def check_entry_module(self, finder: ModuleFinder, name: str, where: str) -> None:
        """The entry point module must exist and not be excluded."""
        if finder.find(name) is None and name not in self.facts.builtin_modules:
            raise PyingotError(
                f"entry point module {name!r} not found in {where}",
                hint="check its spelling, and that the directory holding it is "
                "one of the application's paths",
            )
        if self.excluded(name):
            raise PyingotError(
                f"entry point module {name!r} is excluded by an exclude pattern",
                hint="remove the pattern that matches it, or narrow it",
            )

    def follows(self, importer: ModuleFile, target: str) -> bool:
        """An import of ``target`` in ``importer`` is followed: the standard library's
        own test helpers import its test suite (multiprocessing.util imports
        test.support), which is not."""
        from_stdlib = importer.root.is_stdlib and not self.is_test(importer.name)
        return not (from_stdlib and self.is_test(target))


#: Top-level modules that exist only on other platforms (Windows, macOS, Jython,
#: WebAssembly, iOS/Android, old systems), which portable code imports inside
#: ``try`` or behind a platform check. Not finding one on Linux is expected, so
#: the build does not report it as missing.
OTHER_PLATFORMS = frozenset(
    {
        # Windows
        "_winapi", "_winreg", "winreg", "msvcrt", "nt", "_overlapped", "_msi", "msilib",
        "winsound", "_wmi", "_winxptheme", "win32api", "win32con", "win32file",
        "win32pipe", "win32process", "win32event", "win32security", "win32com",
        "pywintypes", "pythoncom", "wmi", "_win32typing",
        # macOS
        "_scproxy", "Carbon", "MacOS", "AppKit", "Foundation", "objc", "CoreFoundation",
        # Jython (org.python.core), Java
        "org", "java", "javax",
        # WebAssembly
        "js", "pyodide", "_pyodide", "_emscripten_info",
        # iOS, Android
        "_ios_support", "_android_support", "android",
        # OpenVMS, RISC OS, Windows CE, OS/2
        "vms_lib", "riscos", "riscosenviron", "riscospath", "ce", "os2", "_emx_link",
    }
)  # fmt: skip


def of_other_platform(name: str) -> bool:
    """Whether ``name`` is (in) a module of :data:`OTHER_PLATFORMS`."""
    return name.partition(".")[0] in OTHER_PLATFORMS


def is_test(name: str, packages: Iterable[str] = ()) -> bool:
    """``name`` is in one of ``packages`` or in a package named as a test suite."""
    return _in_any(name, packages) or not _TEST_NAMES.isdisjoint(name.split("."))


def _in_any(name: str, packages: Iterable[str]) -> bool:
    return patterns.in_packages(name, tuple(packages))


def in_test_directory(rel: str) -> bool:
    """A file at ``rel`` ("/"-separated) lies in a directory named as a test suite."""
    return any(part in TEST_PACKAGE_NAMES for part in rel.split("/")[:-1])


def tolerates_compile_error(root: SearchRoot) -> bool:
    """A module that does not compile is left out, rather than failing the build,
    when it is not the user's code to fix: a standard-library or dependency file
    that does not compile for this Python (a Python 2 leftover, a template)."""
    return root.is_stdlib or root.is_dependency


def metadata_embedded(rel: str) -> bool:
    """A file of a ``.dist-info`` directory is embedded (:data:`METADATA_LEFT_OUT`)."""
    return rel not in METADATA_LEFT_OUT


def included(finder: ModuleFinder, pattern: str, where: str) -> list[str]:
    """The modules an ``include`` pattern names; one that names none is an error."""
    matched = [n for n in _candidates(finder, pattern) if fnmatch.fnmatchcase(n, pattern)]
    if not matched:
        raise PyingotError(
            f"include pattern {pattern!r} matches no module in {where}",
            hint="check its spelling; patterns match dotted module names "
            "('email.*' is every module below email)",
        )
    return matched


def _candidates(finder: ModuleFinder, pattern: str) -> list[str]:
    """Every module name ``pattern`` could match, walking as little as possible."""
    literal: list[str] = []
    for segment in pattern.split("."):
        if any(c in segment for c in "*?["):
            break
        literal.append(segment)
    else:
        return [pattern] if finder.find(pattern) is not None else []
    # fnmatch's "*" crosses dots, so the last literal segment may be a prefix
    # ("email.mi*" can match "email.mime.text"); walk from the package before it.
    start = ".".join(literal)
    while start and finder.find(start) is None:
        start = start.rpartition(".")[0]
    return list(finder.walk(start or None))
