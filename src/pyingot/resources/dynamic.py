"""Imports that static analysis of ``import`` statements cannot see.

Reachability follows ``import`` statements; these tables add what CPython and its
standard library import in other ways, so that an application whose code is
collected by reachability still runs. Each table is data; ``reachability.py``
applies it. An entry's value may name modules or patterns:

* ``"pkg.*"`` — every module in package ``pkg``, at any depth;
* a name with ``*``, ``?`` or ``[...]`` in its last segment — the modules *at that
  depth* whose names match (``"_sysconfigdata_*"`` is a top-level module);
* any other string — that module, when it exists (a name missing on this platform
  or version, such as ``dbm.sqlite3`` before 3.13, is simply not added).

How the C tables were derived
-----------------------------
From the CPython 3.11.2 and 3.13.5 source trees, every call in ``Modules/``,
``Objects/``, ``Python/`` and ``Parser/`` to ``PyImport_ImportModule``,
``PyImport_ImportModuleLevel``, ``PyImport_ImportModuleNoBlock``,
``PyImport_Import``, ``_PyImport_GetModuleAttr``, ``_PyImport_GetModuleAttrString``,
``_PyImport_GetModuleId`` and ``PyCapsule_Import`` (which imports the module part
of a capsule name: ``PyDateTime_IMPORT``, ``PySocketModule_ImportModuleAndAPI``,
``import_curses``, ``PyUnicodeData_CAPSULE_NAME``) was listed with the module name
it imports (string literals, ``_Py_ID(...)`` identifiers and the
``WITH_MOD``/``SRE_PY_MODULE`` macros); the calls with computed names were read by
hand. Kept: imports
done by the interpreter itself (``INTERPRETER_IMPORTS``) and by extension
modules (``C_IMPORTS``, keyed by the extension's name). Dropped: the test and
fuzzing modules (``_testcapi``, ``_xxtestfuzz``...), Windows-, macOS-, Android-
and iOS-only code (``winreg``, ``_overlapped``, ``_apple_support``...), the
``zipimport`` path hook Python/import.c installs at start-up (it is frozen into
the interpreter, start-up goes on without it, and importing from zip files is
not what an executable does; collecting it would pull in ``importlib.resources``
and its dependencies for its ``ZipReader``), the
interactive console (``readline``, ``rlcompleter``, ``_pyrepl``), ``site`` (the
runtime starts CPython without it) and ``runpy`` (only ``python -m`` uses it).

How the Python table was derived
--------------------------------
From every ``__import__(...)`` and ``importlib.import_module(...)`` call with a
computed name in ``Lib/`` of both versions (tests, ``idlelib`` and
``turtledemo`` aside). Kept: those whose possible names are fixed by the
standard library itself. Dropped: those that import what the *application*
names (``pickle``, ``logging.config``, ``unittest``, ``doctest``, ``pkgutil``,
``importlib.metadata`` entry points...), which no table can know.
"""

from __future__ import annotations

from collections.abc import Mapping

_INTERPRETER_IMPORTS_311 = (
    # Python/codecs.c: the codec registry imports ``encodings`` and that
    # imports ``encodings.<name>`` for any codec name a program asks for
    # (``bytes.decode("cp1252")``, ``open(..., encoding=...)``), so the whole
    # package is needed: there is no way to know the names statically.
    "encodings",
    "encodings.*",
    # Python/pylifecycle.c: sys.std* are io.TextIOWrapper objects.
    "io",
    "abc",
    "codecs",
    # Python/_warnings.c imports ``warnings`` to show a warning.
    "warnings",
    # Objects/abstract.c and Objects/memoryobject.c: memoryview.cast() and
    # the buffer API parse non-native formats with ``struct``.
    "struct",
    # Objects/typeobject.c: object.__reduce_ex__ (copy, pickle).
    "copyreg",
    # Parser/pegen.c: NFKC normalization of non-ASCII identifiers.
    "unicodedata",
    # Parser/tokenizer.c, Python/traceback.c: reading source lines.
    "_io",
)

#: What the interpreter imports to start, before any code of the program runs
#: (``python -I -S -c pass``, both versions; ``site`` and what it imports for a
#: python-like executable). Unlike ``INTERPRETER_IMPORTS``, imports made only
#: when something happens (a warning, a non-ASCII identifier, an uncaught
#: exception, a codec looked up by name) are not in it.
STARTUP_IMPORTS = ("encodings", "encodings.aliases", "encodings.utf_8", "io", "abc", "codecs")
PYTHON_LIKE_STARTUP_IMPORTS = ("site",)

#: Modules the interpreter imports by itself, whatever the application does.
#: Reached in every build. Each later table is the one before and what changed.
INTERPRETER_IMPORTS: Mapping[str, tuple[str, ...]] = {
    "3.11": _INTERPRETER_IMPORTS_311,
    "3.13": (
        *_INTERPRETER_IMPORTS_311,
        # Python/pythonrun.c: an uncaught exception is printed by
        # traceback._print_exception_bltin (colors, suggestions); the C fallback
        # is only used when that fails. Python/crossinterp.c too.
        "traceback",
        "linecache",
    ),
}

_C_IMPORTS_311: Mapping[str, tuple[str, ...]] = {
    "_asyncio": (
        "asyncio",
        "asyncio.events",
        "asyncio.base_futures",
        "asyncio.exceptions",
        "asyncio.base_tasks",
        "asyncio.coroutines",
        "traceback",
        "weakref",
    ),
    "_codecs_cn": ("_multibytecodec",),
    "_codecs_hk": ("_multibytecodec",),
    "_codecs_iso2022": ("_multibytecodec",),
    "_codecs_jp": ("_multibytecodec",),
    "_codecs_kr": ("_multibytecodec",),
    "_codecs_tw": ("_multibytecodec",),
    "_ctypes": ("ctypes",),
    "_curses": ("curses",),
    "_curses_panel": ("_curses",),
    "_datetime": ("_strptime", "time"),
    "_decimal": ("collections", "collections.abc", "numbers"),
    "_elementtree": ("copy", "xml.etree.ElementPath", "pyexpat"),
    "_json": ("json.decoder",),
    "_operator": ("functools",),
    "_pickle": ("_compat_pickle", "codecs", "copyreg", "functools"),
    "_sqlite3": ("functools",),
    "_ssl": ("_socket",),
    "_sre": ("re",),
    "_zoneinfo": (
        "datetime",
        "io",
        "pickle",
        "weakref",
        "zoneinfo._common",
        "zoneinfo._tzpath",
    ),
    "array": ("array", "collections.abc"),
    "faulthandler": ("faulthandler",),
    "posix": ("resource",),
    "time": ("_strptime", "time"),
}

#: Modules an extension module (or the C core of a module) imports from C.
#: Applied when the key is reached, built in or not. Each later table is the one
#: before and what changed.
C_IMPORTS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "3.11": _C_IMPORTS_311,
    "3.13": {
        **_C_IMPORTS_311,
        "_datetime": ("_datetime", "_strptime", "time"),
        # _pydecimal formats the specifiers libmpdec lacks.
        "_decimal": ("collections", "collections.abc", "numbers", "_pydecimal"),
        "_lsprof": ("sys",),
        "select": ("posix",),
    },
}

#: Modules a standard-library module imports by a computed name.
PYTHON_IMPORTS: Mapping[str, tuple[str, ...]] = {
    # dbm.open() tries each implementation by name.
    "dbm": ("dbm.gnu", "dbm.ndbm", "dbm.dumb", "dbm.sqlite3"),
    # sysconfig loads _sysconfigdata_<abiflags>_<platform>_<multiarch>.
    "sysconfig": ("_sysconfigdata_*",),
    # xml.dom.getDOMImplementation() and xml.sax.make_parser() defaults.
    "xml.dom.domreg": ("xml.dom.minidom",),
    "xml.sax": ("xml.sax.expatreader",),
    # Start methods, resource tracker and forkserver run code given as strings
    # ("from multiprocessing.spawn import spawn_main; ...") in child processes.
    "multiprocessing": ("multiprocessing.*",),
}

#: Modules a language feature makes the interpreter import, keyed by the feature
#: the worker reports for a module that uses it.
FEATURE_IMPORTS: Mapping[str, tuple[str, ...]] = {
    # Objects/typevarobject.c (3.12+): PEP 695 type parameters and ``type``
    # aliases call into ``typing`` (Generic, _GenericAlias, unions).
    "type-params": ("typing",),
    # Python/sysmodule.c: breakpoint() imports $PYTHONBREAKPOINT, pdb.set_trace.
    "breakpoint": ("pdb",),
}


#: Modules the interpreter provides as frozen code under another name, although
#: a source file exists: importlib/__init__.py puts ``_frozen_importlib`` and
#: ``_frozen_importlib_external`` into ``sys.modules`` under these names, so the
#: files (a fallback for interpreters without frozen importlib) are never run.
FROZEN_ALIASES: Mapping[str, str] = {
    "importlib._bootstrap": "_frozen_importlib",
    "importlib._bootstrap_external": "_frozen_importlib_external",
}


def _table_version(major_minor: tuple[int, int]) -> str:
    # 3.11 is the last version whose C core does not import typing, traceback
    # and _pydecimal; later versions take the 3.13 table, earlier ones 3.11's.
    return "3.11" if major_minor <= (3, 11) else "3.13"


def interpreter_imports(major_minor: tuple[int, int]) -> tuple[str, ...]:
    return INTERPRETER_IMPORTS[_table_version(major_minor)]


def implicit_imports(major_minor: tuple[int, int]) -> dict[str, tuple[str, ...]]:
    """Module name → what reaching it also reaches (C and Python tables merged)."""
    merged: dict[str, tuple[str, ...]] = {}
    for table in (C_IMPORTS[_table_version(major_minor)], PYTHON_IMPORTS):
        for name, targets in table.items():
            merged[name] = merged.get(name, ()) + targets
    return merged
